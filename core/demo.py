"""What the demo cooperative's steps share, and the kernel's own step.

Each app loads its part of the demo in ``<app>/demo.py`` through the same services
members and staff use; ``cooprogreso/demo.py`` calls the steps in order, each with the one
:class:`Demo` they fill. Every step is idempotent: it creates what is missing and leaves
what exists alone.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.utils import timezone

from core.profile import cooperatives_load_ready

# Something that happened on the demo's timeline: when, and the service call that did it.
# A call may return a list of more events (a loan's installments, once it is granted).
Event = tuple[datetime, Callable[[], object]]


@dataclass
class Demo:
    """What one load did (its summary line), the day it loads for, and the history the
    steps plan for the ledger to post in time order (``ledger.demo.history_run``)."""

    today: date = field(default_factory=timezone.localdate)
    cooperatives: int = 0
    members: int = 0
    companies: int = 0
    staff: int = 0
    books: int = 0
    billers: int = 0
    history: list[Event] = field(default_factory=list)

    def line(self) -> str:
        companies = "empresa" if self.companies == 1 else "empresas"
        return (
            f"Cooperativa demo cargada: {self.cooperatives} perfiles, "
            f"{self.members} socios, {self.companies} {companies}, "
            f"{self.staff} usuario de agencia, "
            f"{self.billers} servicios de pago"
        )


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    """``day`` at ``hour:minute`` in the portal's time zone."""
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def cooperatives_load(demo: Demo) -> None:
    """The ready profiles of the manuals' three cooperatives, Cooprogreso active."""
    demo.cooperatives = cooperatives_load_ready()

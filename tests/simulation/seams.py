"""The simulated world around the portal, put in behind the seams the code already has.

- **Tasks**: every Celery task queued (``delay``/``apply_async``, a task's ``retry``) lands
  in :class:`TaskQueue` instead of a broker; the simulation delivers them when it likes —
  late, twice, never — as a worker with ``acks_late`` would (a task whose worker dies is
  delivered again).
- **Faults**: :class:`Faults` arms one failure at a named point for the next action: a
  crash (:class:`SimCrash`, a ``BaseException`` as a killed process: no ``except
  Exception`` catches it), a database error, a gateway timeout. The points wrap the
  ledger's ``journal_post`` and ``hold_place`` where each service imported them, the
  operations engine's execution, the biller network, the payment network and the SMS and
  e-mail backends.

The clock is ``time_machine`` (the simulation's ``Simulation.clock``); the randomness one
``random.Random(seed)``.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from celery.app.task import Task
from django.db import DatabaseError
from django.utils import timezone

# Where a service module imported the ledger's writers by name: each gets the wrapper.
JOURNAL_POST_USERS = (
    "transfers.services",
    "transfers.settlement",
    "payments.services",
    "cards.payments",
    "cards.deferral",
    "cards.services",
    "cards.payment_settlement",
    "products.loans",
)
HOLD_PLACE_USERS = ("payments.services",)


class SimCrash(BaseException):
    """The process died here: the open transaction is rolled back, nothing catches it."""


class SimDatabaseError(DatabaseError):
    """A database error the simulation injected (a lost connection, a statement timeout)."""


class SimGatewayTimeout(TimeoutError):
    """An SMS or e-mail gateway that did not answer in time."""


# --- faults -----------------------------------------------------------------------------

# What each point can do, by name: the effect raised there.
POINTS: dict[str, tuple[str, ...]] = {
    "ledger.post.before": ("database_error", "crash"),
    "ledger.post.after": ("crash",),  # after the debit, before the caller commits
    "ledger.hold.before": ("database_error",),
    "operation.execute.before": ("crash", "database_error", "slow"),
    "operation.execute.after": ("crash", "slow"),  # the service committed, the row not ended
    "biller.pay.before": ("crash", "timeout", "slow"),
    "biller.pay.after": ("crash", "timeout", "slow"),  # the biller took it, no answer yet
    "biller.status": ("timeout", "slow"),
    "network.send.after": ("crash", "unavailable", "slow"),
    "network.results": ("unavailable",),
    "sms.send": ("timeout",),
    "email.send": ("timeout",),
}


@dataclass
class Faults:
    """At most one armed fault at a time; ``hit`` at its point raises its effect once.

    ``slow`` raises nothing: the call takes long (the clock moves) and meanwhile other
    workers run (``on_slow``) — the sweeps, the resolver, a redelivered task — at a point
    where the caller holds no transaction open, as another process would."""

    armed: tuple[str, str] | None = None
    fired: list[tuple[str, str]] = field(default_factory=list)
    on_slow: Callable[[str], None] | None = None

    def arm(self, point: str, effect: str) -> None:
        self.armed = (point, effect)

    def disarm(self) -> None:
        self.armed = None

    def hit(self, point: str) -> None:
        if self.armed is None or self.armed[0] != point:
            return
        effect = self.armed[1]
        self.armed = None
        self.fired.append((point, effect))
        if effect == "slow":
            if self.on_slow is not None:
                self.on_slow(point)
            return
        raise _effect(point, effect)


def _effect(point: str, effect: str) -> BaseException:
    if effect == "crash":
        return SimCrash(point)
    if effect == "database_error":
        return SimDatabaseError(f"injected at {point}")
    if effect == "unavailable":
        from transfers.network import NetworkUnavailable

        return NetworkUnavailable(point)
    if point.startswith("biller."):
        from payments.network import BillerTimeout

        return BillerTimeout(f"injected at {point}")
    return SimGatewayTimeout(point)


# --- tasks ------------------------------------------------------------------------------


@dataclass(order=True)
class QueuedTask:
    eta: datetime
    seq: int
    name: str = field(compare=False)
    args: tuple = field(compare=False, default=())
    kwargs: dict = field(compare=False, default_factory=dict)


class SimRetry(Exception):
    """A task asked to be retried: it was queued again (``Task.retry``)."""


class TaskQueue:
    """The broker: tasks by the moment they may run (their countdown or eta)."""

    def __init__(self) -> None:
        self._heap: list[QueuedTask] = []
        self._seq = itertools.count()
        self.dropped = 0

    def push(self, name: str, args=(), kwargs=None, *, eta: datetime | None = None) -> None:
        eta = eta or timezone.now()
        heapq.heappush(
            self._heap,
            QueuedTask(eta, next(self._seq), name, tuple(args or ()), dict(kwargs or {})),
        )

    def ready(self) -> list[QueuedTask]:
        now = timezone.now()
        return sorted(t for t in self._heap if t.eta <= now)

    def take(self, task: QueuedTask) -> QueuedTask:
        self._heap.remove(task)
        heapq.heapify(self._heap)
        return task

    def __len__(self) -> int:
        return len(self._heap)


def _countdown_eta(options: dict[str, Any]) -> datetime | None:
    from datetime import timedelta

    if options.get("eta") is not None:
        return options["eta"]
    if options.get("countdown"):
        return timezone.now() + timedelta(seconds=float(options["countdown"]))
    return None


def install(monkeypatch, *, faults: Faults, queue: TaskQueue) -> None:
    """Puts the simulated world in place for one test (``monkeypatch`` undoes it)."""
    import importlib

    from accounts import operations as engine
    from core import notifications
    from ledger import services as ledger
    from payments import network as biller_network
    from transfers import network as payment_network

    # Tasks go to the queue, not to a broker nor run eagerly.
    def apply_async(self, args=None, kwargs=None, **options):
        queue.push(self.name, args, kwargs, eta=_countdown_eta(options))

    def retry(self, args=None, kwargs=None, exc=None, countdown=None, eta=None, **options):
        request = self.request
        queue.push(
            self.name,
            args if args is not None else request.args,
            kwargs if kwargs is not None else request.kwargs,
            eta=_countdown_eta({"countdown": countdown, "eta": eta}),
        )
        raise SimRetry(self.name)

    monkeypatch.setattr(Task, "apply_async", apply_async)
    monkeypatch.setattr(Task, "retry", retry)

    # The ledger's writers, where each service calls them.
    real_post, real_hold = ledger.journal_post, ledger.hold_place

    def journal_post(*args, **kwargs):
        faults.hit("ledger.post.before")
        posted = real_post(*args, **kwargs)
        faults.hit("ledger.post.after")
        return posted

    def hold_place(*args, **kwargs):
        faults.hit("ledger.hold.before")
        return real_hold(*args, **kwargs)

    real_holds = ledger.holds_place

    def holds_place(*args, **kwargs):  # a run's chunk of scheduled payments
        faults.hit("ledger.hold.before")
        return real_holds(*args, **kwargs)

    for name in JOURNAL_POST_USERS:
        monkeypatch.setattr(importlib.import_module(name), "journal_post", journal_post)
    for name in HOLD_PLACE_USERS:
        monkeypatch.setattr(importlib.import_module(name), "hold_place", hold_place)
        monkeypatch.setattr(importlib.import_module(name), "holds_place", holds_place)

    # The operations engine: around the kind's execution.
    real_kind = engine.operation_kind

    class FaultyKind:
        def __init__(self, kind):
            self._kind = kind

        def __getattr__(self, name):
            return getattr(self._kind, name)

        def execute(self, actor, payload, key):
            faults.hit("operation.execute.before")
            result = self._kind.execute(actor, payload, key)
            faults.hit("operation.execute.after")
            return result

    monkeypatch.setattr(engine, "operation_kind", lambda purpose: FaultyKind(real_kind(purpose)))

    # The biller network.
    sim = biller_network.SimulatedBillerNetwork
    real_pay, real_status = sim.pay, sim.status

    def pay(self, **kwargs):
        faults.hit("biller.pay.before")
        confirmation = real_pay(self, **kwargs)
        faults.hit("biller.pay.after")
        return confirmation

    def status(self, **kwargs):
        faults.hit("biller.status")
        return real_status(self, **kwargs)

    real_pay_many = sim.pay_many

    def pay_many(self, **kwargs):  # a run's chunk: the fault hits the whole call
        faults.hit("biller.pay.before")
        answers = real_pay_many(self, **kwargs)
        faults.hit("biller.pay.after")
        return answers

    monkeypatch.setattr(sim, "pay", pay)
    monkeypatch.setattr(sim, "pay_many", pay_many)
    monkeypatch.setattr(sim, "status", status)

    # The interbank payment network.
    net = payment_network.SimulatedNetwork
    real_send, real_results = net.send, net.results

    def send(self, **kwargs):
        acknowledgement = real_send(self, **kwargs)
        faults.hit("network.send.after")
        return acknowledgement

    def results(self, **kwargs):
        faults.hit("network.results")
        return real_results(self, **kwargs)

    monkeypatch.setattr(net, "send", send)
    monkeypatch.setattr(net, "results", results)

    # The SMS and e-mail gateways.
    real_sms, real_email = notifications.send_sms, notifications.send_email

    def send_sms(**kwargs):
        faults.hit("sms.send")
        return real_sms(**kwargs)

    def send_email(**kwargs):
        faults.hit("email.send")
        return real_email(**kwargs)

    monkeypatch.setattr(notifications, "send_sms", send_sms)
    monkeypatch.setattr(notifications, "send_email", send_email)

"""What the operation behind a journal adds to its receipt.

A receipt (``products/receipts.py``) is read from the ledger alone: the journal, its
postings and the products its legs belong to. An operation that knows more than the
ledger — an interbank transfer knows its beneficiary, the other institution and how far
settlement got — registers a *describer* for the journals it writes, keyed by their
source: ``journal.source_type``, the ``app_label.model`` of the ``source=`` the app gave
``journal_post``. So bill payments, card payments and payroll lines get receipts by
registering theirs, in their own app, and the receipt builder never names them.

Journals that name no source — reversals, and those written before their app passed
one — are keyed :data:`UNSOURCED`; each describer registered there answers ``None`` for
a journal that is not its own.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

UNSOURCED = ""


@dataclass(frozen=True)
class Description:
    """The other party and the institution as the receipt prints them, and the
    operation's state (``Por enviar``, ``Acreditada``…) when it has one.

    An operation whose manual prints a receipt of its own (Pago de servicios: "Valor
    pagado", "Categoría", "Empresa", "Referencia") gives all of its ``lines`` as
    ``(label, value)`` pairs, in order; the receipt then prints those instead of its
    generic ones."""

    beneficiary: str
    institution: str
    status: str = ""
    lines: tuple[tuple[str, str], ...] = ()


Describer = Callable[[Any], Description | None]
_describers: dict[str, list[Describer]] = {}


def describer_register(source_type: str, describer: Describer | None = None):
    """Registers ``describer`` for the journals whose source is ``source_type``
    (``"transfers.transfer"``, or :data:`UNSOURCED`). Registering the same function twice
    changes nothing. Usable as a decorator: ``@describer_register("payments.payment")``."""

    def register(fn: Describer) -> Describer:
        registered = _describers.setdefault(source_type, [])
        if fn not in registered:
            registered.append(fn)
        return fn

    return register if describer is None else register(describer)


def receipt_describe(journal) -> Description | None:
    """What the describers registered for ``journal``'s source say of it, the first that
    answers; ``None`` when none does: the receipt then reads the ledger alone."""
    for describer in _describers.get(journal.source_type, ()):
        description = describer(journal)
        if description is not None:
            return description
    return None

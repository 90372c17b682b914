"""Interbank items of other apps, for the settlement rail (``docs/settlement.md``).

The transfers app owns the rail: batches, the file, the payment network and its results
(``transfers.settlement``). Interbank transfers are its own items; an app that cannot be
imported by transfers — cards: a payment to another bank's card — registers a *source*
here in its ``AppConfig.ready``, and each run of the rail pulls that source's due items
into the same batch file and hands each result back. Products never imports the apps
that register, nor the rail.

A source gives five callbacks, all keyword-only and each idempotent:

- ``claim(today, limit, batch_number)`` — inside the rail's transaction, under its lock:
  take (``SELECT … FOR UPDATE SKIP LOCKED``) up to ``limit`` items waiting to be sent whose
  value date has come, mark them as in ``batch_number`` and return them as
  ``SettlementItem``s; they commit with the batch or not at all;
- ``sent(batch_number)`` — the network took the batch: the items are sent;
- ``open_references(batch_number)`` — the references of the batch's items still sent,
  waiting for a result;
- ``accepted(reference, network_reference, batch_number)`` — settle one item, once;
- ``rejected(reference, reason, batch_number)`` — give one item's money back, once.

The item's ``reference`` (32 hex digits, unique across sources: a public id) is what the
network's results name. An ``account_number`` the portal keeps only encrypted (another
bank's card number) travels ``sealed``: the batch file stored by the rail holds the
ciphertext (``core.crypto``), and only the copy handed to the network is opened.
"""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

# The destination's kind of account, as the batch file's account type names it.
SAVINGS = "savings"
CHECKING = "checking"
CARD = "card"


@dataclass(frozen=True)
class SettlementItem:
    """One interbank payment of a source, as the batch file carries it."""

    reference: str
    institution_code: str
    account_type: str  # SAVINGS, CHECKING or CARD
    account_number: str  # the ciphertext when ``sealed``
    id_type: str  # cedula, ruc, pasaporte
    id_number: str
    name: str
    amount: Decimal
    currency: str
    motive: str = ""
    sealed: bool = False

    def __repr__(self) -> str:  # never the destination's number, sealed or not
        return f"SettlementItem({self.reference}, {self.account_type}, {self.amount})"


@dataclass(frozen=True)
class SettlementSource:
    """An app's items for the rail: its name (for logs) and its callbacks (above)."""

    name: str
    claim: Callable[..., list[SettlementItem]]
    sent: Callable[..., None]
    open_references: Callable[..., list[str]]
    accepted: Callable[..., None]
    rejected: Callable[..., None]


_sources: dict[str, SettlementSource] = {}


def settlement_source_register(source: SettlementSource) -> SettlementSource:
    """Adds ``source`` to what every settlement run pulls (once per name)."""
    _sources.setdefault(source.name, source)
    return source


def settlement_sources() -> list[SettlementSource]:
    """The registered sources, in the order they registered."""
    return list(_sources.values())

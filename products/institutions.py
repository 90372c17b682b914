"""The financial institutions a member can send money to ("Entidad financiera"), for the
apps that cannot read the transfers app's table.

Transfers owns the institutions of the interbank network (``transfers.Institution``:
code, name, active) and registers a reader of them in its ``AppConfig.ready``; the cards
app offers them when a member registers another bank's card, and checks that the one a
card belongs to is still active before paying it. Products never imports transfers.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class InstitutionRef:
    """An institution as the network knows it: its code and its name."""

    code: str
    name: str


InstitutionsReader = Callable[[], Iterable[InstitutionRef]]
_readers: list[InstitutionsReader] = []


def institutions_reader_register(reader: InstitutionsReader) -> InstitutionsReader:
    """Adds a reader of the active institutions (once)."""
    if reader not in _readers:
        _readers.append(reader)
    return reader


def institutions_active() -> list[InstitutionRef]:
    """Every active institution the registered readers know, by name; none without a
    reader."""
    found = {ref.code: ref for reader in _readers for ref in reader()}
    return sorted(found.values(), key=lambda ref: (ref.name, ref.code))


def institution_active(code: str) -> InstitutionRef | None:
    """The active institution with ``code``, or ``None``."""
    return next((ref for ref in institutions_active() if ref.code == code), None)

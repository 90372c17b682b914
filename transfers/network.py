"""The payment network interbank transfers travel on (the central bank's SPI in Ecuador).

``PaymentNetwork`` is everything the portal needs from it: confirmation of payee before a
transfer, sending a settlement batch, and reading the batch's result per transfer. The
portal uses the class named by ``settings.PAYMENT_NETWORK``; ``SimulatedNetwork`` stands in
for the real network in the demo and the tests. A real connector implements the same three
methods and must keep the same promise: ``send`` is idempotent by batch number, so a
worker that crashed after sending can send the same batch again.

The batch file's format is documented in ``docs/settlement.md``.
"""

import difflib
import json
import unicodedata
from abc import ABC, abstractmethod
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.utils.module_loading import import_string

from core.masking import mask_name


class PayeeResult:
    MATCH = "match"
    CLOSE = "close"
    NO_MATCH = "no_match"
    UNAVAILABLE = "unavailable"

    LABELS = {
        MATCH: "El nombre coincide con el titular de la cuenta.",
        CLOSE: "El nombre se parece al del titular de la cuenta, pero no coincide del todo.",
        NO_MATCH: "El nombre NO coincide con el titular de la cuenta.",
        UNAVAILABLE: "La institución no confirmó el titular de la cuenta.",
    }


@dataclass(frozen=True)
class PayeeCheck:
    result: str
    holder: str = ""  # the network's (masked) holder name, for a close match

    @property
    def label(self) -> str:
        text = PayeeResult.LABELS[self.result]
        return f"{text} Titular: {self.holder}." if self.holder else text


@dataclass(frozen=True)
class ItemResult:
    """What the network did with one transfer of a batch (by its reference)."""

    reference: str
    accepted: bool
    network_reference: str = ""
    reason: str = ""


class NetworkUnavailable(Exception):
    """The network did not answer; the caller tries again later."""


class PaymentNetwork(ABC):
    @abstractmethod
    def payee_check(
        self, *, institution_code: str, account_type: str, account_number: str, name: str
    ) -> PayeeCheck: ...

    @abstractmethod
    def send(self, *, batch_number: str, content: str) -> str:
        """Delivers a batch file; returns the network's acknowledgement. Sending the same
        batch number again must not create a second batch."""

    @abstractmethod
    def results(self, *, batch_number: str, content: str) -> list[ItemResult] | None:
        """The outcome of every transfer of a sent batch, or ``None`` while the network
        has not processed it yet."""


def network_get() -> PaymentNetwork:
    return import_string(settings.PAYMENT_NETWORK)()


def _normalized(name: str) -> list[str]:
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return sorted(plain.upper().replace(".", " ").split())


def names_compare(given: str, holder: str) -> str:
    """match / close / no_match between the name the member typed and the holder's."""
    a, b = _normalized(given), _normalized(holder)
    if a == b:
        return PayeeResult.MATCH
    shared = len(set(a) & set(b)) / max(len(set(a) | set(b)), 1)
    ratio = difflib.SequenceMatcher(None, " ".join(a), " ".join(b)).ratio()
    if shared >= 0.5 or ratio >= 0.8:
        return PayeeResult.CLOSE
    return PayeeResult.NO_MATCH


@lru_cache(maxsize=1)
def _directory() -> dict:
    path = Path(settings.PAYMENT_NETWORK_DIRECTORY)
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


class SimulatedNetwork(PaymentNetwork):
    """A deterministic stand-in for the central bank's network.

    Its directory (``settings.PAYMENT_NETWORK_DIRECTORY``, JSON ``{"<institution
    code>:<account number>": {"name": …, "status": "active" | "closed"}}``) holds the
    accounts it knows. Payee check: a known account's holder is compared with the given
    name; an unknown one is "unavailable". Settlement: a transfer to a known closed
    account is rejected ("CUENTA CERRADA"), every other one is accepted. Results depend
    only on the file, so sending or reading a batch twice gives the same answer.
    """

    def _entry(self, institution_code: str, account_number: str) -> dict | None:
        return _directory().get(f"{institution_code}:{account_number}")

    def payee_check(self, *, institution_code, account_type, account_number, name):
        entry = self._entry(institution_code, account_number)
        if entry is None:
            return PayeeCheck(PayeeResult.UNAVAILABLE)
        result = names_compare(name, entry["name"])
        holder = mask_name(entry["name"]) if result == PayeeResult.CLOSE else ""
        return PayeeCheck(result, holder)

    def send(self, *, batch_number, content):
        return f"SIM-{batch_number}"

    def results(self, *, batch_number, content):
        from transfers.settlement import batch_file_parse

        results = []
        for item in batch_file_parse(content).items:
            entry = self._entry(item.institution_code, item.account_number)
            if entry is not None and entry.get("status") == "closed":
                results.append(ItemResult(item.reference, False, reason="CUENTA CERRADA"))
            else:
                results.append(
                    ItemResult(
                        item.reference, True, network_reference=f"SPI{batch_number}{item.seq:05d}"
                    )
                )
        return results

"""Card numbers (PANs): what is checked when staff type one, and the three things kept of
it — BIN, last four and a keyed digest. The full number lives only in the request that
registers the card; it is never stored, logged, shown or put in an exception."""

import re
from dataclasses import dataclass

from stdnum import luhn

from cards.exceptions import BrandMismatch, InvalidCardNumber
from cards.models import Card
from core.crypto import keyed_hash
from core.masking import mask_card

PAN_LENGTH = 16  # the cooperative's VISA and MASTERCARD cards
_SEPARATORS = re.compile(r"[\s-]")


@dataclass(frozen=True, repr=False)
class Pan:
    """A checked card number. ``repr`` and ``str`` show only the mask, so the number never
    reaches a log or a traceback by accident."""

    digits: str

    @property
    def bin(self) -> str:
        return self.digits[:6]

    @property
    def last4(self) -> str:
        return self.digits[-4:]

    @property
    def masked(self) -> str:
        return mask_card(self.bin, self.last4)

    @property
    def digest(self) -> str:
        return pan_digest(self.digits)

    def __repr__(self) -> str:
        return f"Pan({self.masked})"

    __str__ = __repr__


def pan_digest(digits: str) -> str:
    """HMAC-SHA256 of the number, keyed by the portal's field secret."""
    return keyed_hash(digits, purpose="card-pan")


def brand_of(digits: str) -> str | None:
    """The brand a number's prefix belongs to: VISA 4…, MASTERCARD 51–55 or 2221–2720."""
    if digits.startswith("4"):
        return Card.Brand.VISA
    if 51 <= int(digits[:2]) <= 55 or 2221 <= int(digits[:4]) <= 2720:
        return Card.Brand.MASTERCARD
    return None


def pan_parse(text: str, *, brand: str | None = None) -> Pan:
    """Checks a typed number: 16 digits (spaces and dashes ignored), the Luhn check digit,
    and a prefix of ``brand`` when one is given."""
    digits = _SEPARATORS.sub("", text or "")
    if not (digits.isascii() and digits.isdigit() and len(digits) == PAN_LENGTH):
        raise InvalidCardNumber("El número de tarjeta debe tener 16 dígitos.")
    if not luhn.is_valid(digits):
        raise InvalidCardNumber
    if brand is not None and brand_of(digits) != brand:
        raise BrandMismatch
    return Pan(digits)

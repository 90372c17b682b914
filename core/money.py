"""Money: Decimal at the edges, integer minor units (cents) in the ledger's tables.

Every rounding in the portal happens here, half-up to two places. Storing cents as
integers keeps sums exact on both databases (SQLite's NUMERIC affinity would otherwise
turn 10.05 into a binary float) and makes balance arithmetic integer arithmetic.
"""

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
MINOR_UNITS = 100

_AMOUNT_INPUT = re.compile(r"^\d{1,15}(?:[.,]\d{1,2})?$", re.ASCII)  # no other scripts' digits


class AmountError(ValueError):
    """A user-entered amount that is not a valid amount of money (message in Spanish)."""


def quantize(value: Decimal) -> Decimal:
    """Rounds half-up to cents: the one rounding rule of the portal."""
    if not isinstance(value, Decimal):
        raise TypeError(f"money must be Decimal, not {type(value).__name__}")
    if not value.is_finite():
        raise ValueError("money must be finite")
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def to_minor(value: Decimal) -> int:
    """``Decimal("12.34")`` → ``1234``. Refuses values with more than two decimals."""
    q = quantize(value)
    if q != value:
        raise ValueError(f"{value} has more than two decimal places")
    return int(q * MINOR_UNITS)


def from_minor(cents: int) -> Decimal:
    return (Decimal(cents) / MINOR_UNITS).quantize(CENT)


def parse_amount(text: str) -> Decimal:
    """Parses what a person typed: ``1500``, ``1500.5``, ``1500,50``.

    Accepts ``.`` or ``,`` as the decimal mark; refuses thousands separators, signs,
    exponents, NaN/Infinity and more than two decimals, each with a Spanish message.
    """
    cleaned = (text or "").strip().replace("$", "").replace(" ", "")
    if not cleaned:
        raise AmountError("Ingresa un monto.")
    if not _AMOUNT_INPUT.match(cleaned):
        if re.fullmatch(r"[0-9.,]+", cleaned):
            raise AmountError(
                "Escribe el monto sin separadores de miles y con hasta dos decimales, "
                "por ejemplo 1500.50."
            )
        raise AmountError("Ingresa un monto válido, por ejemplo 150.25.")
    try:
        value = Decimal(cleaned.replace(",", "."))
    except InvalidOperation as exc:  # pragma: no cover - the pattern already excludes it
        raise AmountError("Ingresa un monto válido, por ejemplo 150.25.") from exc
    if value <= 0:
        raise AmountError("El monto debe ser mayor a cero.")
    return value


HIDDEN_AMOUNT = "****"


def money_shown(value: Decimal, currency: str = "USD", *, hidden: bool) -> str:
    """An amount on a member's page: ``format_money``, or asterisks when the member hides
    amounts with the eye icon (the figure then never reaches the page)."""
    return HIDDEN_AMOUNT if hidden else format_money(value, currency)


def format_money(value: Decimal, currency: str = "USD") -> str:
    """The portal's one display style, as the manuals' tables show it: ``$1,234.56``,
    ``-$5.50``; other currencies by code (``Bs 1,234.56``)."""
    q = quantize(value)
    sign = "-" if q < 0 else ""
    symbol = {"USD": "$", "BOB": "Bs "}.get(currency, f"{currency} ")
    return f"{sign}{symbol}{abs(q):,.2f}"

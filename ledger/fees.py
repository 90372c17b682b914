"""Fees from the dated tariff table: commission plus IVA, shown and posted separately.

The tariff is a catalog (``core.cached``): read once per process and generation,
read again everywhere as soon as staff save or delete a row."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils import timezone

from core.cached import catalog_cached, catalog_watch
from core.money import quantize
from ledger.books import book_account_id
from ledger.models import Account, Tariff
from ledger.services import Line

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class FeeQuote:
    code: str
    commission: Decimal
    iva: Decimal
    commission_description: str
    iva_description: str

    @property
    def total(self) -> Decimal:
        return self.commission + self.iva


@catalog_cached
def _tariffs(code: str) -> tuple[Tariff, ...]:
    """Every row of ``code``, the latest ``valid_from`` first."""
    return tuple(Tariff.objects.filter(code=code).order_by("-valid_from"))


catalog_watch(Tariff)


def fee_quote(code: str, *, on: date | None = None, subject: str = "") -> FeeQuote:
    """The fee for operation ``code`` on ``on`` (today): the tariff row in force then —
    the one of ``subject`` (a biller's code) if it has one, else the general one. IVA is
    computed per fee and rounded half-up (0.36 × 15 % = 0.054 → 0.05)."""
    on = on or timezone.localdate()
    rows = [row for row in _tariffs(code) if row.valid_from <= on]
    tariff = next((row for row in rows if subject and row.subject == subject), None) or next(
        (row for row in rows if not row.subject), None
    )
    if tariff is None:
        return FeeQuote(code, ZERO, ZERO, "", "")
    commission = quantize(tariff.commission)
    return FeeQuote(
        code=code,
        commission=commission,
        iva=quantize(commission * tariff.iva_rate),
        commission_description=tariff.commission_description,
        iva_description=tariff.iva_description,
    )


def fee_lines(quote: FeeQuote, *, payer: Account, spread: str) -> list[Line]:
    """The journal lines that charge ``quote`` to ``payer`` (nothing for a zero fee)."""
    lines = []
    if quote.commission > 0:
        income = book_account_id("FEE_INCOME", payer.currency, spread=spread)
        lines += [
            Line.debit(payer, quote.commission, quote.commission_description),
            Line.credit(income, quote.commission, quote.commission_description),
        ]
    if quote.iva > 0:
        iva = book_account_id("IVA_PAYABLE", payer.currency, spread=spread)
        lines += [
            Line.debit(payer, quote.iva, quote.iva_description),
            Line.credit(iva, quote.iva, quote.iva_description),
        ]
    return lines

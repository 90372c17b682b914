from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.money import quantize
from ledger.books import book_account, books_open
from ledger.fees import fee_lines, fee_quote
from ledger.models import Kind, Tariff
from ledger.selectors import book_balance
from ledger.services import Line, journal_post
from tests.ledger.conftest import refreshed

D = Decimal


@pytest.fixture
def interbank_tariff(db):
    return Tariff.objects.create(
        code=Tariff.Code.TRANSFER_INTERBANK,
        valid_from=date(2024, 4, 1),
        commission=D("0.36"),
        iva_rate=D("0.15"),
        commission_description="COMISIÓN TRANSFERENCIA PAGO DIRECTO",
        iva_description="IVA TRANSFERENCIA PAGO DIRECTO",
    )


def test_the_manuals_interbank_fee_is_36_cents_plus_5_cents_of_iva(interbank_tariff):
    quote = fee_quote(Tariff.Code.TRANSFER_INTERBANK, on=date(2026, 11, 20))
    assert (quote.commission, quote.iva, quote.total) == (D("0.36"), D("0.05"), D("0.41"))


def test_the_tariff_in_force_on_the_date_applies(interbank_tariff):
    Tariff.objects.create(
        code=Tariff.Code.TRANSFER_INTERBANK,
        valid_from=date(2027, 1, 1),
        commission=D("0.40"),
        iva_rate=D("0.15"),
        commission_description="COMISIÓN",
        iva_description="IVA",
    )
    assert fee_quote(Tariff.Code.TRANSFER_INTERBANK, on=date(2026, 12, 31)).commission == D("0.36")
    assert fee_quote(Tariff.Code.TRANSFER_INTERBANK, on=date(2027, 1, 1)).total == D("0.46")
    assert fee_quote(Tariff.Code.TRANSFER_INTERBANK, on=date(2024, 3, 31)).total == D("0")


def test_operations_without_a_tariff_are_free(db):
    quote = fee_quote(Tariff.Code.TRANSFER_INTERNAL)
    assert quote.total == D("0.00")
    assert fee_lines(quote, payer=None, spread="x") == []


def test_the_fee_posts_as_commission_and_iva_movements(interbank_tariff, maria_savings, cash):
    books_open(currency="USD")
    quote = fee_quote(Tariff.Code.TRANSFER_INTERBANK)
    key = "interbank-7"
    lines = [
        Line.debit(maria_savings, D("6.00"), "ND TRANSFERENCIA PAGO DIRECTO"),
        Line.credit(book_account("SPI_CLEARING", "USD", spread=key), D("6.00"), "SPI"),
        *fee_lines(quote, payer=maria_savings, spread=key),
    ]
    posted = journal_post(key=key, kind=Kind.TRANSFER_INTERBANK, lines=lines)
    mine = posted.journal.postings.filter(account=maria_savings).order_by("pk")
    assert [(p.description, p.amount_minor) for p in mine] == [
        ("ND TRANSFERENCIA PAGO DIRECTO", 600),
        ("COMISIÓN TRANSFERENCIA PAGO DIRECTO", 36),
        ("IVA TRANSFERENCIA PAGO DIRECTO", 5),
    ]
    assert refreshed(maria_savings).balance == D("93.59")
    assert book_balance("FEE_INCOME", "USD") == D("0.36")
    assert book_balance("IVA_PAYABLE", "USD") == D("0.05")
    assert book_balance("SPI_CLEARING", "USD") == D("6.00")


def test_hot_books_are_spread_over_their_shards(db):
    books_open(currency="USD")
    shards = {book_account("FEE_INCOME", "USD", spread=f"k{n}").code for n in range(200)}
    assert len(shards) == 8
    assert book_account("FEE_INCOME", "USD", spread="same") == book_account(
        "FEE_INCOME", "USD", spread="same"
    )
    assert book_account("CASH", "USD").code == "CASH:USD"


@given(
    commission=st.decimals(min_value=D("0"), max_value=D("50"), places=2),
    rate=st.decimals(min_value=D("0"), max_value=D("0.25"), places=4),
)
def test_iva_is_the_commission_times_the_rate_rounded_half_up(commission, rate):
    from ledger.fees import FeeQuote

    iva = quantize(commission * rate)
    quote = FeeQuote("x", commission, iva, "", "")
    assert quote.total == commission + iva
    assert abs(iva - commission * rate) <= D("0.005")

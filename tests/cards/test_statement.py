"""The statement: minimum payment from the revolving balance, due date on a business day."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from cards.exceptions import NotACreditCard
from cards.services import (
    PAYMENT_TERM_DAYS,
    card_purchase,
    card_statement_close,
    minimum_payment,
    payment_due_date,
)
from ledger.calendar import is_business_day

D = Decimal


def test_the_minimum_payment_is_a_tenth_of_the_revolving_balance_rounded_half_up():
    assert minimum_payment(D("100.00")) == D("10.00")
    assert minimum_payment(D("165.55")) == D("16.56")  # 16.555 → 16.56
    assert minimum_payment(D("165.54")) == D("16.55")
    assert minimum_payment(D("0.00")) == D("0.00")


def test_the_due_date_moves_to_the_next_business_day(db):
    # 8 Feb 2026 + 20 days = Saturday 28 Feb → Monday 2 March.
    assert payment_due_date(date(2026, 2, 8)) == date(2026, 3, 2)
    # 12 Dec 2025 + 20 days = 1 January (a holiday) → Friday 2 January 2026.
    assert payment_due_date(date(2025, 12, 12)) == date(2026, 1, 2)
    for day in range(1, 32):
        due = payment_due_date(date(2026, 3, day))
        assert is_business_day(due)
        assert timedelta(days=PAYMENT_TERM_DAYS) <= due - date(2026, 3, day) < timedelta(days=26)


def test_closing_the_statement_sets_the_figures(credit_card):
    card_purchase(card=credit_card, amount=D("165.55"), description="KYWI", key="p1")
    card = card_statement_close(card=credit_card, on=date(2026, 2, 8))
    assert card.statement_date == date(2026, 2, 8)
    assert card.minimum_payment == D("16.56")
    assert card.payment_due == date(2026, 3, 2)
    card.refresh_from_db()
    assert card.minimum_payment == D("16.56")


def test_a_debit_card_has_no_statement(debit_card):
    with pytest.raises(NotACreditCard):
        card_statement_close(card=debit_card)

"""Purchases charge a credit card's revolving receivable through the ledger, within the
available limit (limit − revolving − deferred), once per key."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine

from cards.exceptions import (
    CardError,
    CardExpired,
    CardNotActive,
    CreditLimitExceeded,
    NotACreditCard,
)
from cards.models import Card, CardPurchase
from cards.services import card_purchase, card_set_status
from ledger.audit import ledger_check
from ledger.exceptions import IdempotencyConflict
from ledger.models import Journal, Kind, Posting
from ledger.selectors import book_balance
from ledger.services import Line, journal_post
from tests.cards.conftest import refreshed

D = Decimal


def buy(card, amount: str, key: str, description: str = "SUPERMAXI SAN CARLOS"):
    return card_purchase(card=card, amount=D(amount), description=description, key=key)


def test_a_purchase_within_the_limit_is_charged_to_the_revolving_receivable(credit_card):
    purchase = buy(credit_card, "120.50", "p1")
    card = refreshed(credit_card)
    assert card.revolving_used == D("120.50")
    assert card.deferred_used == D("0.00")
    assert card.available_limit == D("379.50")
    assert purchase.amount == D("120.50") and purchase.description == "SUPERMAXI SAN CARLOS"
    journal = Journal.objects.get(pk=purchase.journal_id)
    assert journal.kind == Kind.CARD_PURCHASE and journal.source_type == "cards.card"
    assert book_balance("CARD_SETTLEMENT", "USD") == D("120.50")
    posting = Posting.objects.get(journal=journal, account=card.revolving_account)
    assert posting.description == "CONSUMO SUPERMAXI SAN CARLOS"
    assert ledger_check().ok


def test_a_purchase_of_exactly_the_available_limit_fits(credit_card):
    buy(credit_card, "499.99", "p1")
    buy(credit_card, "0.01", "p2")
    assert refreshed(credit_card).available_limit == D("0.00")


def test_a_purchase_over_the_limit_is_refused_and_changes_nothing(credit_card):
    buy(credit_card, "450.00", "p1")
    journals = Journal.objects.count()
    with pytest.raises(CreditLimitExceeded) as refused:
        buy(credit_card, "50.01", "p2")
    assert refused.value.message == (
        "Cupo disponible insuficiente: el consumo de $50.01 supera el cupo disponible de $50.00."
    )
    assert Journal.objects.count() == journals
    assert CardPurchase.objects.count() == 1
    assert refreshed(credit_card).revolving_used == D("450.00")


def test_deferred_balances_count_against_the_limit(credit_card):
    buy(credit_card, "300.00", "p1")
    # What a deferral will post: the amount moves from revolving to deferred.
    journal_post(
        key="deferral-1",
        kind=Kind.CARD_DEFERRAL,
        lines=[
            Line.debit(credit_card.deferred_account, D("300.00"), "DIFERIDO 3 MESES"),
            Line.credit(credit_card.revolving_account, D("300.00"), "DIFERIDO 3 MESES"),
        ],
    )
    card = refreshed(credit_card)
    assert (card.revolving_used, card.deferred_used, card.available_limit) == (
        D("0.00"),
        D("300.00"),
        D("200.00"),
    )
    with pytest.raises(CreditLimitExceeded):
        buy(credit_card, "200.01", "p2")
    buy(credit_card, "200.00", "p3")


def test_a_replayed_purchase_posts_once(credit_card):
    first = buy(credit_card, "25.00", "tx-77")
    journals = Journal.objects.count()
    again = buy(credit_card, "25.00", "tx-77")
    assert again == first
    assert Journal.objects.count() == journals
    assert refreshed(credit_card).revolving_used == D("25.00")


def test_a_replay_is_answered_even_once_the_limit_is_used(credit_card):
    first = buy(credit_card, "500.00", "all")
    assert buy(credit_card, "500.00", "all") == first


def test_the_same_key_with_another_amount_is_a_conflict(credit_card):
    buy(credit_card, "25.00", "tx-78")
    with pytest.raises(IdempotencyConflict):
        buy(credit_card, "26.00", "tx-78")
    assert refreshed(credit_card).revolving_used == D("25.00")


def test_a_blocked_card_cannot_buy(credit_card):
    card_set_status(card=credit_card, status=Card.Status.BLOCKED, reason="Pérdida")
    with pytest.raises(CardNotActive, match="BLOQUEADA"):
        buy(credit_card, "1.00", "p1")
    assert not Journal.objects.filter(kind=Kind.CARD_PURCHASE).exists()


def test_an_expired_card_cannot_buy(credit_card):
    Card.objects.filter(pk=credit_card.pk).update(expiry_month=12, expiry_year=2030)
    with time_machine.travel(date(2031, 1, 2), tick=False), pytest.raises(CardExpired):
        buy(credit_card, "1.00", "p1")


def test_a_debit_card_is_not_charged_as_a_credit_card(debit_card):
    with pytest.raises(NotACreditCard):
        buy(debit_card, "1.00", "p1")


@pytest.mark.parametrize("amount", [D("0"), D("-5.00"), D("1.001"), D("NaN"), 10.5])
def test_it_refuses_amounts_that_are_not_money(credit_card, amount):
    with pytest.raises(CardError):
        card_purchase(card=credit_card, amount=amount, description="X", key="bad")
    assert not CardPurchase.objects.exists()

"""Purchases and payments at the same moment on real PostgreSQL: threads with their own
connections cannot together spend more than the card's limit nor pay more than it owes,
and one key charges or pays once."""

from decimal import Decimal

import pytest

from cards.exceptions import CreditLimitExceeded
from cards.models import CardPurchase
from cards.services import card_purchase
from ledger.audit import ledger_check
from ledger.models import Journal, Kind
from tests.cards.conftest import issue_credit, refreshed
from tests.ledger.test_concurrency import in_threads

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

D = Decimal


def test_purchases_at_once_cannot_exceed_the_limit(member, catalog):
    card = issue_credit(member, limit="100.00")

    def purchase(i):
        try:
            card_purchase(card=card, amount=D("30.00"), description="POS", key=f"race-{i}")
            return "ok"
        except CreditLimitExceeded:
            return "refused"

    outcomes = in_threads(10, purchase)
    assert outcomes.count("ok") == 3
    card = refreshed(card)
    assert card.revolving_used == D("90.00") and card.available_limit == D("10.00")
    assert Journal.objects.filter(kind=Kind.CARD_PURCHASE).count() == 3
    assert ledger_check().ok


def test_one_purchase_sent_many_times_at_once_charges_once(member, catalog):
    card = issue_credit(member, limit="100.00")

    def double_click(i):
        return card_purchase(card=card, amount=D("40.00"), description="POS", key="once").pk

    assert len(set(in_threads(8, double_click))) == 1
    assert CardPurchase.objects.count() == 1
    assert refreshed(card).revolving_used == D("40.00")


def test_payments_at_once_cannot_pay_more_than_the_card_owes(member, savings):
    from cards.models import CardPayment
    from cards.payments import AmountOverDue, CardPaymentOrder, NothingDue, card_payment_execute

    card = issue_credit(member, limit="100.00")
    card_purchase(card=card, amount=D("90.00"), description="POS", key="owed")

    def payment(i):
        order = CardPaymentOrder(origin=savings, amount=D("30.00"), card=card)
        try:
            card_payment_execute(member=member, order=order, key=f"pay-{i}", notify=False)
            return "ok"
        except (AmountOverDue, NothingDue):  # the rest owed, or nothing left
            return "refused"

    outcomes = in_threads(8, payment)
    assert outcomes.count("ok") == 3
    assert refreshed(card).revolving_used == D("0.00")
    assert CardPayment.objects.count() == 3
    assert ledger_check().ok


def test_one_payment_sent_many_times_at_once_pays_once(member, savings):
    from cards.payments import CardPaymentOrder, card_payment_execute

    card = issue_credit(member, limit="100.00")
    card_purchase(card=card, amount=D("50.00"), description="POS", key="owed")
    order = CardPaymentOrder(origin=savings, amount=D("20.00"), card=card)

    def double_click(i):
        return card_payment_execute(member=member, order=order, key="once", notify=False).pk

    assert len(set(in_threads(6, double_click))) == 1
    assert refreshed(card).revolving_used == D("30.00")

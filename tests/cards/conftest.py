"""María's cards: a debit card on her savings account and a credit card with a $500.00
limit. Card numbers are made up here (Luhn-valid, the manuals' BINs)."""

import itertools
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from stdnum import luhn

from cards.models import Card
from cards.services import card_issue_credit, card_issue_debit
from ledger.books import books_open
from ledger.calendar import is_business_day
from products.catalog import product_types_load
from products.models import ProductType
from products.services import cash_deposit, deposit_account_open

_serial = itertools.count(1)

MARIA_CREDIT_PAN = "5137440000060395"  # shown as 513744XXXXXX0395
MARIA_DEBIT_PAN = "5509750000037023"  # shown as 550975XXXXXX7023


def new_pan(bin: str = "513744") -> str:
    """A fresh, valid 16-digit number on ``bin``."""
    body = f"{bin}{next(_serial):09d}"
    return body + luhn.calc_check_digit(body)


@pytest.fixture
def catalog(db):
    books_open(currency="USD")
    product_types_load(cooperative_slug="cooprogreso")


@pytest.fixture
def savings(member, catalog):
    account = deposit_account_open(member=member, product_type=ProductType.objects.get(code="AHO"))
    cash_deposit(account=account, amount=Decimal("500.00"), key=f"fund-{account.pk}")
    return account


@pytest.fixture
def debit_card(savings) -> Card:
    return card_issue_debit(
        account=savings, brand=Card.Brand.MASTERCARD, pan=MARIA_DEBIT_PAN, reason="Entrega"
    )


def issue_credit(member, *, limit: str = "500.00", pan: str | None = None) -> Card:
    card = card_issue_credit(
        member=member,
        brand=Card.Brand.MASTERCARD,
        pan=pan or new_pan(),
        credit_limit=Decimal(limit),
        reason="Aprobada por comité",
    )
    return refreshed(card)


def refreshed(card: Card) -> Card:
    """The card with its receivables' current balances."""
    return Card.objects.select_related("revolving_account", "deferred_account").get(pk=card.pk)


@pytest.fixture
def credit_card(member, catalog) -> Card:
    return issue_credit(member, pan=MARIA_CREDIT_PAN)


def business_morning() -> datetime:
    """10:00 in the portal's time zone on the first business day after today whose next
    day can be a card's statement day (1–28): before the 15:00 cut-off, not a weekend
    nor a holiday, and always ahead of what the fixtures booked."""
    day = timezone.localdate() + timedelta(days=1)
    while not (is_business_day(day) and day.day <= 27):
        day += timedelta(days=1)
    return timezone.make_aware(datetime.combine(day, time(10, 0)))

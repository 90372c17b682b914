"""María's products: a savings account with money, and the catalog of the active profile."""

from decimal import Decimal

import pytest

from ledger.books import books_open
from products.catalog import product_types_load
from products.models import LoanType, ProductType
from products.services import cash_deposit, deposit_account_open


@pytest.fixture
def catalog(db):
    books_open(currency="USD")
    product_types_load(cooperative_slug="cooprogreso")


@pytest.fixture
def savings(member, catalog):
    account = deposit_account_open(member=member, product_type=ProductType.objects.get(code="AHO"))
    cash_deposit(account=account, amount=Decimal("500.00"), key=f"fund-{account.pk}")
    account.ledger_account.refresh_from_db()
    return account


@pytest.fixture
def agil(catalog):
    return LoanType.objects.get(code="CAG")

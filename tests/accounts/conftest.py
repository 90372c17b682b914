from decimal import Decimal

import pytest

from tests.auth import sign_in
from tests.factories import MemberFactory


@pytest.fixture
def me(client, member, password):
    """María's browser, signed in."""
    sign_in(client, "mariaperez", password)
    return client


@pytest.fixture
def new_member(db):
    """A socio with an account and both channels on file, never enrolled."""
    member = MemberFactory(
        user=None,
        first_names="Ana Lucía",
        last_names="Mora Vera",
        email="ana.mora@example.com",
        mobile_phone="+593987000111",
        member_number="500123",
    )
    from ledger.books import books_open
    from products.catalog import product_types_load
    from products.models import ProductType
    from products.services import cash_deposit, deposit_account_open

    books_open(currency="USD")
    product_types_load(cooperative_slug="cooprogreso")
    account = deposit_account_open(member=member, product_type=ProductType.objects.get(code="AHO"))
    cash_deposit(account=account, amount=Decimal("20.00"), key=f"open-{member.pk}")
    return member

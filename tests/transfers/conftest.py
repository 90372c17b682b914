"""María sends money: two accounts of hers, Gabriel's account at the coop, a beneficiary
at another bank, the coop's tariff and transfer limits."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from ledger.books import books_open
from ledger.models import Tariff
from products.catalog import product_types_load
from products.models import ProductType
from products.services import cash_deposit, deposit_account_open
from transfers.beneficiaries import beneficiary_add_external, beneficiary_add_internal
from transfers.catalog import transfer_catalog_load
from transfers.models import Institution


@pytest.fixture
def transfer_catalog(db):
    books_open(currency="USD")
    product_types_load(cooperative_slug="cooprogreso")
    transfer_catalog_load(cooperative_slug="cooprogreso")
    Tariff.objects.create(
        code=Tariff.Code.TRANSFER_INTERBANK,
        valid_from=date(2024, 4, 1),
        commission=Decimal("0.36"),
        iva_rate=Decimal("0.15"),
        commission_description="COMISIÓN TRANSFERENCIA PAGO DIRECTO",
        iva_description="IVA TRANSFERENCIA PAGO DIRECTO",
    )


def open_funded(member, code="AHO", amount="1000.00"):
    account = deposit_account_open(member=member, product_type=ProductType.objects.get(code=code))
    if Decimal(amount):
        cash_deposit(account=account, amount=Decimal(amount), key=f"fund-{account.pk}")
    account.ledger_account.refresh_from_db()
    return account


@pytest.fixture
def savings(member, transfer_catalog):
    return open_funded(member)


@pytest.fixture
def certificates(member, transfer_catalog):
    return open_funded(member, code="CER", amount="0")


@pytest.fixture
def gabriel_savings(other_member, transfer_catalog):
    return open_funded(other_member, amount="50.00")


def aged(beneficiary, hours=48):
    """A beneficiary registered long enough ago to be past the cooling-off period."""
    beneficiary.created_at = timezone.now() - timedelta(hours=hours)
    beneficiary.save(update_fields=["created_at"])
    return beneficiary


@pytest.fixture
def gabriel(member, gabriel_savings):
    return aged(
        beneficiary_add_internal(
            member=member, account_number=gabriel_savings.number, email="gabriel@example.com"
        )
    )


@pytest.fixture
def pichincha(transfer_catalog):
    return Institution.objects.get(code="0010")


@pytest.fixture
def carlos(member, pichincha):
    return aged(
        beneficiary_add_external(
            member=member,
            institution=pichincha,
            account_type="savings",
            account_number="2201234567",
            name="Carlos Andrés Mendoza Vera",
            id_type="cedula",
            id_number="1710034065",
            alias="Carlos",
        )
    )

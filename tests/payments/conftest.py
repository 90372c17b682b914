"""María pays her water bill and tops up her phone: a catalog with AGUA EPMAPA PEDERNALES
(bills, CONTRATO/CÉDULA/RUC of at least 4 characters, commission $0.31) and RECARGAS
CNT PAQUETE (an amount from $1 to $50, a NUMERO CELULAR 09xxxxxxxx), her savings account
with $100, and the simulated biller network."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from ledger.audit import ledger_check
from ledger.books import books_open
from ledger.models import Hold, Tariff
from ledger.selectors import book_balance
from payments.models import Biller, PaymentSchedule, ServiceCategory
from payments.schedules import TERMS_VERSION, SchedulePlan, schedule_create
from payments.services import BillOrder
from products.catalog import product_types_load
from products.models import ProductType
from products.services import cash_deposit, deposit_account_open

D = Decimal

# Simulated references (payments.network.simulated_bills): one bill of $7.13 — the
# manual's — and two bills, the older of $7.13 and the newer of $57.78.
ONE_BILL = "00003995"
TWO_BILLS = "00033090"
PHONE = "0991234567"


@pytest.fixture
def catalog(cooperative):
    books_open(currency="USD")
    product_types_load(cooperative_slug="cooprogreso")
    agua = ServiceCategory.objects.create(cooperative=cooperative, name="AGUA", position=1)
    recargas = ServiceCategory.objects.create(cooperative=cooperative, name="Recargas", position=2)
    water = Biller.objects.create(
        category=agua,
        code="EPMAPA",
        name="AGUA EPMAPA PEDERNALES",
        mode=Biller.Mode.BILLS,
        reference_label="CONTRATO/CÉDULA/RUC",
        reference_min_length=4,
    )
    topup = Biller.objects.create(
        category=recargas,
        code="CNTPAQ",
        name="RECARGAS CNT PAQUETE",
        mode=Biller.Mode.AMOUNT,
        reference_label="NUMERO CELULAR",
        reference_min_length=10,
        reference_max_length=10,
        reference_pattern=r"09\d{8}",
        reference_message="NUMERO CELULAR debe tener 10 caracteres numeros",
        min_amount=D("1.00"),
        max_amount=D("50.00"),
    )
    Tariff.objects.create(
        code=Tariff.Code.BILL_PAYMENT,
        subject="EPMAPA",
        valid_from=date(2024, 4, 1),
        commission=D("0.31"),
        iva_rate=D("0"),
        commission_description="COMISIÓN PAGO DE SERVICIOS",
        iva_description="IVA PAGO DE SERVICIOS",
    )
    return {"water": water, "topup": topup}


@pytest.fixture
def water(catalog):
    return catalog["water"]


@pytest.fixture
def topup(catalog):
    return catalog["topup"]


def open_funded(member, code="AHO", amount="100.00"):
    account = deposit_account_open(member=member, product_type=ProductType.objects.get(code=code))
    if D(amount):
        cash_deposit(account=account, amount=D(amount), key=f"fund-{account.pk}")
    account.ledger_account.refresh_from_db()
    return account


@pytest.fixture
def savings(member, catalog):
    return open_funded(member)


def bill_order(savings, biller, reference=ONE_BILL, amount="7.13", bill_number=None):
    """The order of the member who chose the bill of ``reference`` with ``amount``."""
    from payments.network import simulated_bills

    if bill_number is None and biller.mode == Biller.Mode.BILLS:
        bill_number = next(
            (b.number for b in simulated_bills(reference) if b.amount == D(amount)), "000000000"
        )
    return BillOrder(
        origin=savings,
        biller=biller,
        reference=reference,
        amount=D(amount),
        bill_number=bill_number or "",
    )


def balances(account):
    """(accounting balance, available balance) of a deposit account, read now."""
    account.ledger_account.refresh_from_db()
    return account.ledger_account.balance, account.ledger_account.available


def assert_ledger_ok():
    report = ledger_check()
    assert report.ok, report.lines()


def payable():
    return book_balance("BILLER_PAYABLE", "USD")


def active_holds(account):
    return Hold.objects.filter(account=account.ledger_account, status=Hold.Status.ACTIVE)


def scheduled(member, account, biller, reference=ONE_BILL, **plan) -> PaymentSchedule:
    """A schedule registered through the service, from today, with no end by default."""
    fields = {
        "origin": account,
        "max_amount": D("20.00"),
        "frequency": PaymentSchedule.Frequency.AVAILABLE,
        "start_date": timezone.localdate(),
        **plan,
    }
    return schedule_create(
        member=member,
        biller=biller,
        reference=reference,
        plan=SchedulePlan(**fields),
        terms_version=TERMS_VERSION,
        key=f"schedule-test-{reference}-{member.pk}",
    )

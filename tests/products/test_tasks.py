"""The products' beat jobs: scheduled, and a second run (a retry, a beat that fires twice)
changes nothing the first did not."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings

from ledger.models import Journal
from products import tasks
from products.investments import term_deposit_open
from products.loans import loan_grant
from products.models import Installment, Loan, ProductType, TermDeposit, TermDepositType
from products.services import cash_deposit, deposit_account_open


def test_the_beat_runs_every_products_job():
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {
        "products.tasks.mark_overdue_installments",
        "products.tasks.mature_term_deposits",
        "products.tasks.capitalize_savings_interest",
    } <= scheduled


@pytest.fixture
def loan(member, savings, agil, staff_user):
    return loan_grant(
        member=member,
        loan_type=agil,
        principal=Decimal("300.00"),
        installments=6,
        disbursement_account=savings,
        granted_on=date(2026, 1, 2),
        first_due=date(2026, 2, 2),
        actor=staff_user,
        reason="Crédito aprobado en comité",
    )


def test_overdue_marking_twice_marks_once(loan):
    with time_machine.travel("2026-04-10 01:00:00-05:00", tick=False):
        assert tasks.mark_overdue_installments.delay().get() == 3
        assert tasks.mark_overdue_installments.delay().get() == 0
    loan.refresh_from_db()
    assert loan.status == Loan.Status.OVERDUE
    assert loan.installments.filter(state=Installment.State.OVERDUE).count() == 3


def test_maturity_twice_pays_once(member, savings, catalog):
    deposit = term_deposit_open(
        member=member,
        deposit_type=TermDepositType.objects.get(code="DPF"),
        account=savings,
        capital=Decimal("200.00"),
        term_days=31,
        annual_rate=Decimal("0.06"),
        key="td-task",
        issued_on=date(2026, 3, 1),
        reason="Inversión en ventanilla",
    )
    journals = Journal.objects.count()
    with time_machine.travel(date(2026, 3, 1) + timedelta(days=32), tick=False):
        assert tasks.mature_term_deposits.delay().get() == 1
        assert tasks.mature_term_deposits.delay().get() == 0
    deposit.refresh_from_db()
    assert deposit.status == TermDeposit.Status.PAID
    assert Journal.objects.count() == journals + 1


def test_savings_interest_twice_capitalizes_once(member, catalog):
    account = deposit_account_open(member=member, product_type=ProductType.objects.get(code="AHO"))
    with time_machine.travel("2026-05-01 09:00:00-05:00", tick=False):
        cash_deposit(account=account, amount=Decimal("2400.00"), key="may")
    with time_machine.travel("2026-06-01 01:30:00-05:00", tick=False):
        assert tasks.capitalize_savings_interest.delay().get() == 1
        assert tasks.capitalize_savings_interest.delay().get() == 0
    account.ledger_account.refresh_from_db()
    # 2,400 × 1.5 % × 31 / 360 = 3.10, less 2 % withholding (0.06)
    assert account.ledger_account.balance == Decimal("2403.04")

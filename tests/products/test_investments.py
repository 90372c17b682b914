"""Pólizas and savings interest: computed on the profile's rules, paid once by the tasks."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from core.money import quantize
from core.profile import cooperative_current
from ledger.books import book_account
from ledger.models import Journal
from products.investments import (
    InvestmentError,
    average_daily_balance,
    interest_for,
    savings_interest_capitalize,
    savings_interest_month,
    term_deposit_open,
    term_deposit_summary,
    term_deposits_mature,
)
from products.models import ProductType, TermDeposit, TermDepositType
from products.services import cash_deposit, deposit_account_open


@pytest.fixture
def dpf(catalog):
    return TermDepositType.objects.get(code="DPF")


def test_the_domain_figures():
    ten_thousand, rate = Decimal("10000.00"), Decimal("0.079")
    assert interest_for(capital=ten_thousand, annual_rate=rate, days=365, basis=360) == Decimal(
        "800.97"
    )
    assert interest_for(capital=ten_thousand, annual_rate=rate, days=365, basis=365) == Decimal(
        "790.00"
    )


def open_deposit(member, dpf, savings, *, capital="400.00", days=365, key="td-1", on=None):
    return term_deposit_open(
        member=member,
        deposit_type=dpf,
        account=savings,
        capital=Decimal(capital),
        term_days=days,
        annual_rate=Decimal("0.0725"),
        key=key,
        issued_on=on,
        reason="Inversión en ventanilla",
    )


def test_opening_moves_the_capital_out_of_the_account(member, dpf, savings):
    deposit = open_deposit(member, dpf, savings)
    savings.ledger_account.refresh_from_db()
    assert savings.ledger_account.balance == Decimal("100.00")
    assert deposit.ledger_account.balance == Decimal("400.00")
    assert deposit.withholding_rate == 0  # 365 days ≥ the 180-day exemption


def test_a_double_submit_opens_one(member, dpf, savings):
    first = open_deposit(member, dpf, savings)
    again = open_deposit(member, dpf, savings)
    assert first.pk == again.pk and TermDeposit.objects.count() == 1


@pytest.mark.parametrize("capital,days", [("0", 365), ("-1", 365), ("100.00", 5), ("900.00", 365)])
def test_bad_terms_are_refused(member, dpf, savings, capital, days):
    with pytest.raises(InvestmentError):
        open_deposit(member, dpf, savings, capital=capital, days=days)
    assert not TermDeposit.objects.exists()


def test_maturity_pays_capital_and_net_interest_once(member, dpf, savings):
    issued = date(2026, 1, 5)
    deposit = open_deposit(member, dpf, savings, days=90, on=issued)
    assert deposit.withholding_rate == Decimal("0.02")
    gross = interest_for(
        capital=Decimal("400.00"), annual_rate=Decimal("0.0725"), days=90, basis=360
    )
    withheld = quantize(gross * Decimal("0.02"))
    assert term_deposits_mature(on=issued + timedelta(days=89)) == 0
    assert term_deposits_mature(on=issued + timedelta(days=90)) == 1
    assert term_deposits_mature(on=issued + timedelta(days=91)) == 0
    savings.ledger_account.refresh_from_db()
    deposit.refresh_from_db()
    assert savings.ledger_account.balance == Decimal("500.00") + gross - withheld
    assert deposit.status == TermDeposit.Status.PAID
    assert deposit.interest_paid == gross - withheld
    assert deposit.ledger_account.balance == Decimal("0.00")
    assert book_account("WITHHOLDING_PAYABLE", "USD").balance == withheld


def test_summary_accrues_interest_to_date(member, dpf, savings):
    deposit = open_deposit(member, dpf, savings, days=360, on=date(2026, 1, 1))
    half = term_deposit_summary(deposit, on=date(2026, 1, 1) + timedelta(days=180))
    assert half.interest_earned == Decimal("14.50")
    assert half.interest_total == Decimal("29.00")


def test_the_position_and_detail_show_investments(member_client, member, dpf, savings):
    deposit = open_deposit(member, dpf, savings)
    html = member_client.get("/posicion-consolidada/").content.decode()
    assert deposit.number in html and "7.25%" in html and "$400.00" in html
    detail = member_client.get(f"/inversiones/{deposit.public_id}/").content.decode()
    assert "Número de póliza" in detail and "Interés ganado" in detail


# --- Savings interest ----------------------------------------------------------------------


def test_average_daily_balance_weights_the_days(member, catalog):
    account = deposit_account_open(member=member, product_type=ProductType.objects.get(code="AHO"))
    with time_machine.travel("2026-04-01 10:00:00-05:00", tick=False):
        cash_deposit(account=account, amount=Decimal("300.00"), key="a")
    with time_machine.travel("2026-04-16 10:00:00-05:00", tick=False):
        cash_deposit(account=account, amount=Decimal("300.00"), key="b")
    # 15 days at 300 and 15 days at 600 in April
    assert average_daily_balance(account=account, year=2026, month=4) == Decimal("450.00")


def test_capitalization_is_once_per_account_and_month(member, catalog):
    account = deposit_account_open(member=member, product_type=ProductType.objects.get(code="AHO"))
    with time_machine.travel("2026-03-20 10:00:00-05:00", tick=False):
        cash_deposit(account=account, amount=Decimal("1200.00"), key="a")
    with time_machine.travel("2026-05-02 03:00:00-05:00", tick=False):
        assert savings_interest_month(year=2026, month=4) == 1
        assert savings_interest_month(year=2026, month=4) == 0
    account.ledger_account.refresh_from_db()
    # 1,200 × 1.5 % × 30 / 360 = 1.50, less 2 % withholding (0.03)
    assert account.ledger_account.balance == Decimal("1201.47")
    journal = Journal.objects.get(kind="interest")
    assert journal.postings.filter(description="CAPITALIZACION DE INTERESES EN CUENTA").exists()


def test_contribution_certificates_earn_nothing_here(member, catalog):
    certificate = deposit_account_open(
        member=member, product_type=ProductType.objects.get(code="CER")
    )
    with time_machine.travel("2026-03-20 10:00:00-05:00", tick=False):
        cash_deposit(account=certificate, amount=Decimal("1000.00"), key="c")
    with time_machine.travel("2026-05-02", tick=False):
        assert savings_interest_month(year=2026, month=4) == 0


def test_a_month_not_yet_ended_is_refused(member, savings):
    today = timezone.localdate()
    with pytest.raises(ValueError):
        savings_interest_capitalize(account=savings, year=today.year, month=today.month)


def test_withholding_follows_the_profile(member, savings):
    coop = cooperative_current()
    coop.deposit_withholding_rate = Decimal("0")
    coop.save()
    from products.investments import withholding_for

    assert withholding_for(interest=Decimal("10.00")) == Decimal("0.00")

"""The member's products read with written SQL return what the ORM returns: the same rows
in the same order, the related rows attached, one query per family."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cards.models import Card
from cards.selectors import member_cards
from cards.services import card_issue_credit, card_issue_debit
from products.investments import term_deposit_open
from products.loans import installment_pay, loan_due, loan_grant
from products.models import (
    DepositAccount,
    Installment,
    Loan,
    LoanType,
    ProductType,
    TermDeposit,
    TermDepositType,
)
from products.selectors import (
    loan_summary,
    member_deposit_accounts,
    member_loans,
    member_term_deposits,
)
from products.services import cash_deposit, deposit_account_open

D = Decimal


def _pan(prefix: str) -> str:
    from stdnum import luhn

    body = prefix.ljust(15, "0")
    return body + luhn.calc_check_digit(body)


@pytest.fixture
def holdings(member, other_member, savings):
    certificates = deposit_account_open(
        member=member, product_type=ProductType.objects.get(code="CER")
    )
    cash_deposit(account=savings, amount=D("3000.00"), key="more")
    granted = timezone.localdate() - timedelta(days=70)
    loan = loan_grant(
        member=member,
        loan_type=LoanType.objects.get(code="CAG"),
        principal=D("600.00"),
        installments=6,
        disbursement_account=savings,
        granted_on=granted,
        first_due=granted + timedelta(days=30),
    )
    first = loan.installments.get(number=1)
    installment_pay(
        loan=loan,
        number=1,
        amount=loan_due(loan=loan, on=first.due_date).total,
        account=savings,
        on=first.due_date,
    )
    paid_off = loan_grant(
        member=member,
        loan_type=LoanType.objects.get(code="CAG"),
        principal=D("100.00"),
        installments=2,
        disbursement_account=savings,
    )
    Loan.objects.filter(pk=paid_off.pk).update(status=Loan.Status.PAID_OFF)
    savings.ledger_account.refresh_from_db()
    term_deposit_open(
        member=member,
        deposit_type=TermDepositType.objects.get(code="DPF"),
        account=savings,
        capital=D("100.00"),
        term_days=90,
        annual_rate=D("0.06"),
        key="td-1",
    )
    card_issue_debit(account=savings, brand=Card.Brand.VISA, pan=_pan("4000001"))
    card_issue_credit(
        member=member, brand=Card.Brand.MASTERCARD, pan=_pan("5137002"), credit_limit=D("500")
    )
    cancelled = card_issue_credit(
        member=member, brand=Card.Brand.MASTERCARD, pan=_pan("5137003"), credit_limit=D("900")
    )
    Card.objects.filter(pk=cancelled.pk).update(status=Card.Status.CANCELLED)
    foreign = deposit_account_open(
        member=other_member, product_type=ProductType.objects.get(code="AHO")
    )
    card_issue_debit(account=foreign, brand=Card.Brand.VISA, pan=_pan("4000004"))
    return savings, certificates, loan


def _one_query(read):
    with CaptureQueriesContext(connection) as captured:
        result = read()
    assert len(captured) == 1, [q["sql"] for q in captured]
    return result


def test_the_accounts_are_the_orms_with_their_ledger_account_type_and_member(holdings, member):
    member_deposit_accounts(member=member)  # the catalog of product types, read once
    accounts = _one_query(lambda: member_deposit_accounts(member=member))
    expected = list(
        DepositAccount.objects.filter(member=member)
        .select_related("product_type", "ledger_account")
        .order_by("opened_at", "pk")
    )
    assert accounts == expected
    with CaptureQueriesContext(connection) as captured:
        for account, orm in zip(accounts, expected, strict=True):
            assert account.ledger_account.balance == orm.ledger_account.balance
            assert account.ledger_account.currency == orm.ledger_account.currency
            assert account.product_type.name == orm.product_type.name
            assert account.member.full_name == member.full_name
            assert account.opened_at == orm.opened_at
    assert not captured


@pytest.mark.parametrize("overdue", [0, 1, 3])
def test_the_loans_leave_out_paid_off_ones_and_carry_what_they_owe(holdings, member, overdue):
    """``owed``: the unpaid installments already due, else the next one; as the ORM says."""
    _, _, loan = holdings
    unpaid = list(loan.installments.exclude(state=Installment.State.PAID).order_by("number"))
    on = unpaid[overdue - 1].due_date + timedelta(days=1) if overdue else unpaid[0].due_date
    member_loans(member=member, on=on)
    loans = _one_query(lambda: member_loans(member=member, on=on))
    assert loans == [loan]
    balance = Loan.objects.get(pk=loan.pk).ledger_account.balance
    assert [i.number for i in unpaid] == [2, 3, 4, 5, 6]
    assert loans[0].owed == (unpaid[:overdue] or unpaid[:1])
    assert loans[0].unpaid_count == 5
    with CaptureQueriesContext(connection) as captured:
        assert loans[0].owed[0].due_date == unpaid[0].due_date
        assert loans[0].owed[0].total == unpaid[0].total
        assert loans[0].ledger_account.balance == balance
        assert loans[0].loan_type.code == "CAG"
        summary = loan_summary(loans[0], on=on)
    assert not captured
    assert summary == loan_summary(Loan.objects.get(pk=loan.pk), on=on)


def test_the_term_deposits_carry_their_type_and_account(holdings, member):
    savings, _, _ = holdings
    member_term_deposits(member=member)
    deposits = _one_query(lambda: member_term_deposits(member=member))
    assert deposits == list(TermDeposit.objects.filter(member=member))
    with CaptureQueriesContext(connection) as captured:
        assert deposits[0].deposit_type.code == "DPF"
        assert deposits[0].account == savings
        assert deposits[0].capital == D("100.00")
    assert not captured


def test_the_cards_are_credit_then_debit_without_the_cancelled_ones(holdings, member):
    savings, _, _ = holdings
    member_cards(member=member)
    cards = _one_query(lambda: member_cards(member=member))
    assert [card.kind for card in cards] == [Card.Kind.CREDIT, Card.Kind.DEBIT]
    credit, debit = cards
    with CaptureQueriesContext(connection) as captured:
        assert credit.available_limit == D("500.00") and credit.deferred_used == D("0.00")
        assert debit.account == savings and debit.account.product_type.code == "AHO"
        assert debit.revolving_account is None
    assert not captured


def test_a_renamed_product_type_shows_on_the_next_read(holdings, member):
    savings, _, _ = holdings
    member_deposit_accounts(member=member)
    product_type = ProductType.objects.get(code="AHO")
    product_type.name = "AHORRO PROGRESO"
    product_type.save()
    accounts = member_deposit_accounts(member=member)
    assert next(a for a in accounts if a.pk == savings.pk).product_type.name == "AHORRO PROGRESO"

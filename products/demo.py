"""The demo members' accounts, and María's year at the cooperative.

Her history is posted through the same services the branch and the portal use, each
journal booked on its day: a monthly salary deposit and a withdrawal at the window, a
monthly contribution, the savings interest of every month that has ended, a CONSUMO AGIL
loan paid installment by installment, and a póliza. Keys name calendar months, so a
second load the same day replays everything and a load a month later adds that month
only.
"""

from datetime import date, datetime
from decimal import Decimal

from accounts.demo import MARIA, MEMBERS
from accounts.models import Member
from core.demo import Demo, Event, at
from core.profile import cooperative_current
from ledger.calendar import business_day_on_or_after
from ledger.services import booked_at
from products.amortization import add_months
from products.catalog import product_types_load
from products.investments import savings_interest_capitalize, term_deposit_open
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
from products.services import cash_deposit, cash_withdrawal, deposit_account_open

HISTORY_MONTHS = 12
# Each demo member's accounts and what they deposited at the window to open them.
OPENINGS = {MARIA: [("AHO", "295.65"), ("CER", "432.90")]}


def history_start(today: date) -> datetime:
    """When the demo's year begins: the first of the month, twelve months ago."""
    return at(add_months(today, -HISTORY_MONTHS, on_day=1), 8, 0)


def accounts_load(demo: Demo) -> None:
    """Each demo member's accounts, funded at the branch window through the ledger."""
    product_types_load(cooperative_slug=cooperative_current().slug)
    opening_at = history_start(demo.today)
    for _login, _image, data in MEMBERS:
        member = Member.objects.get(member_number=data["member_number"])
        for code, opening in OPENINGS[data["member_number"]]:
            product_type = ProductType.objects.get(code=code)
            account = DepositAccount.objects.filter(
                member=member, product_type=product_type
            ).first()
            if account is None:
                account = deposit_account_open(
                    member=member, product_type=product_type, reason="Cuenta de demostración"
                )
            with booked_at(opening_at):
                cash_deposit(
                    account=account,
                    amount=Decimal(opening),
                    key=f"demo:{data['member_number']}:{code}:opening",
                )


def history_plan(demo: Demo) -> None:
    """Plans María's year (Cooprogreso's demo only): the monthly movements that are due by
    today, then the loan — granted five months ago, or its installments due since — and
    the póliza two months ago."""
    if cooperative_current().slug != "cooprogreso":
        return
    today = demo.today
    member = Member.objects.get(member_number=MARIA)
    savings = DepositAccount.objects.get(member=member, product_type__code="AHO")
    demo.history += _monthly(member, today)
    granted = add_months(today, -5, on_day=1)
    deposit_day = add_months(today, -2, on_day=3)
    loan = Loan.objects.filter(member=member).first()
    if loan is None:
        demo.history.append(
            (
                at(granted, 11),
                lambda: _installment_payments(
                    loan_grant(
                        member=member,
                        loan_type=LoanType.objects.get(code="CAG"),
                        principal=Decimal("1000.00"),
                        installments=24,
                        disbursement_account=savings,
                        granted_on=granted,
                        first_due=granted.replace(day=25),
                        reason="Crédito de demostración",
                    ),
                    savings,
                    today,
                ),
            )
        )
    else:
        demo.history += _installment_payments(loan, savings, today)
    if not TermDeposit.objects.filter(member=member).exists():
        demo.history.append(
            (
                at(deposit_day, 12),
                lambda: term_deposit_open(
                    member=member,
                    deposit_type=TermDepositType.objects.get(code="DPF"),
                    account=savings,
                    capital=Decimal("1000.00"),
                    term_days=365,
                    annual_rate=Decimal("0.0725"),
                    key=f"demo:{member.member_number}:poliza",
                    issued_on=deposit_day,
                    reason="Inversión de demostración",
                ),
            )
        )


def _monthly(member: Member, today: date) -> list[Event]:
    """Salary, contribution, cash and interest of every month of the year, by today."""
    savings = DepositAccount.objects.get(member=member, product_type__code="AHO")
    certificate = DepositAccount.objects.get(member=member, product_type__code="CER")
    start = add_months(today, -HISTORY_MONTHS, on_day=1)
    events = []
    for n in range(HISTORY_MONTHS + 1):
        month = add_months(start, n, on_day=1)
        tag = f"demo:{member.member_number}:{month:%Y-%m}"
        salary_day = business_day_on_or_after(month.replace(day=5))
        cash_day = business_day_on_or_after(month.replace(day=18))
        salary = Decimal("850.00") + Decimal(n % 3) * Decimal("25.00")
        cash = Decimal("380.00") + Decimal(n % 4) * Decimal("15.50")
        events += [
            (
                at(salary_day, 9, 15),
                lambda a=savings, v=salary, k=f"{tag}:salary": cash_deposit(
                    account=a, amount=v, key=k
                ),
            ),
            (
                at(salary_day, 9, 40),
                lambda a=certificate, k=f"{tag}:contribution": cash_deposit(
                    account=a, amount=Decimal("10.00"), key=k
                ),
            ),
            (
                at(cash_day, 16, 5),
                lambda a=savings, v=cash, k=f"{tag}:cash": cash_withdrawal(
                    account=a, amount=v, key=k
                ),
            ),
        ]
        ended = add_months(month, 1, on_day=1)
        if ended <= today:
            events.append(
                (
                    at(ended, 0, 30),
                    lambda a=savings, m=month: savings_interest_capitalize(
                        account=a, year=m.year, month=m.month
                    ),
                )
            )
    return [(moment, action) for moment, action in events if moment.date() <= today]


def _installment_payments(loan: Loan, savings: DepositAccount, today: date) -> list[Event]:
    def pay(installment):
        def action():
            loan.refresh_from_db()
            if loan.installments.get(pk=installment.pk).state == Installment.State.PAID:
                return
            on = installment.due_date
            installment_pay(
                loan=loan,
                number=installment.number,
                amount=loan_due(loan=loan, on=on).total,
                account=savings,
                on=on,
            )

        return action

    return [
        (at(i.due_date, 8, 30), pay(i))
        for i in loan.installments.filter(due_date__lte=today).order_by("number")
    ]

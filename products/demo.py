"""The demo members' accounts, and María's and Comercial Andina's year at the cooperative.

The history is posted through the same services the branch and the portal use, each
journal booked on its day. María: a monthly salary deposit and a withdrawal at the
window, a monthly contribution, the savings interest of every month that has ended, a
CONSUMO AGIL loan paid installment by installment, and a póliza. Comercial Andina (a
company): its sales deposited twice a month, cash withdrawn for its payroll, and the
savings interest. Keys name calendar months, so a second load the same day replays
everything and a load a month later adds that month only.
"""

from datetime import date, datetime
from decimal import Decimal

from accounts.demo import ANDINA, MARIA
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
# Each demo member's accounts (people and companies, by member number) and what they
# deposited at the window to open them.
OPENINGS = {
    MARIA: [("AHO", "295.65"), ("CER", "432.90")],
    ANDINA: [("AHO", "1500.00")],
}


def history_start(today: date) -> datetime:
    """When the demo's year begins: the first of the month, twelve months ago."""
    return at(add_months(today, -HISTORY_MONTHS, on_day=1), 8, 0)


def accounts_load(demo: Demo) -> None:
    """Each demo member's accounts, funded at the branch window through the ledger."""
    product_types_load(cooperative_slug=cooperative_current().slug)
    opening_at = history_start(demo.today)
    for member_number, openings in OPENINGS.items():
        member = Member.objects.get(member_number=member_number)
        for code, opening in openings:
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
                    key=f"demo:{member_number}:{code}:opening",
                )


def history_plan(demo: Demo) -> None:
    """Plans María's year (Cooprogreso's demo only): the monthly movements that are due by
    today, then the loan — granted five months ago, or its installments due since — and
    the póliza two months ago; and Comercial Andina's monthly movements."""
    if cooperative_current().slug != "cooprogreso":
        return
    today = demo.today
    demo.history += _company_monthly(Member.objects.get(member_number=ANDINA), today)
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


def _company_monthly(company: Member, today: date) -> list[Event]:
    """A company's year at the window: its sales deposited on the 10th and the 25th, cash
    withdrawn for the payroll at the month's end, the savings interest of every month that
    has ended."""
    savings = DepositAccount.objects.get(member=company, product_type__code="AHO")
    start = add_months(today, -HISTORY_MONTHS, on_day=1)
    events = []
    for n in range(HISTORY_MONTHS + 1):
        month = add_months(start, n, on_day=1)
        tag = f"demo:{company.member_number}:{month:%Y-%m}"
        ended = add_months(month, 1, on_day=1)
        sales = [Decimal("2140.00") + Decimal(n % 4) * Decimal("185.25"), Decimal("1875.60")]
        for day, amount, part in zip((10, 25), sales, ("a", "b"), strict=True):
            events.append(
                (
                    at(business_day_on_or_after(month.replace(day=day)), 11, 20),
                    lambda v=amount, k=f"{tag}:sales-{part}": cash_deposit(
                        account=savings, amount=v, key=k
                    ),
                )
            )
        payroll_day = business_day_on_or_after(month.replace(day=28))
        events.append(
            (
                at(payroll_day, 9, 10),
                lambda k=f"{tag}:payroll": cash_withdrawal(
                    account=savings, amount=Decimal("3420.00"), key=k
                ),
            )
        )
        if ended <= today:
            events.append(
                (
                    at(ended, 0, 35),
                    lambda m=month: savings_interest_capitalize(
                        account=savings, year=m.year, month=m.month
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

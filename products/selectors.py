"""Reading members' products, always scoped to their owner."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.models import Member
from core.money import quantize
from products.loans import late_charge
from products.models import DepositAccount, Installment, Loan, ProductRequest, TermDeposit
from products.queries import (
    deposit_account_read,
    deposit_accounts_read,
    loans_read,
    term_deposits_read,
)


def member_deposit_accounts(*, member: Member) -> list[DepositAccount]:
    """The member's accounts, oldest first, with their ledger account, type and member."""
    return deposit_accounts_read(member)


def member_deposit_account(*, member: Member, public_id) -> DepositAccount:
    """One of the member's accounts, with its ledger account, type and member; anybody
    else's answers 404."""
    account = deposit_account_read(member, public_id)
    if account is None:
        raise Http404("No DepositAccount matches the given query.")
    return account


def member_has_active_products(*, member: Member) -> bool:
    return DepositAccount.objects.filter(
        member=member, status=DepositAccount.Status.ACTIVE
    ).exists()


def enrollment_needs_an_active_product(member: Member) -> str:
    """What products requires of a member who enrolls in the portal (registered with
    ``accounts.enrollment`` by ``ProductsConfig.ready``): an active account."""
    if member_has_active_products(member=member):
        return ""
    return "necesitas tener un producto activo en la cooperativa"


def member_loans(*, member: Member, on: date) -> list[Loan]:
    """The member's loans not paid off, each with what it owes on ``on`` (``owed``: its
    overdue installments, else its next one) and its ``unpaid_count``: one query, however
    many."""
    return loans_read(member, on=on)


def member_loan(*, member: Member, public_id) -> Loan:
    """One of the member's loans; anybody else's answers 404."""
    return get_object_or_404(
        Loan.objects.select_related("loan_type", "ledger_account", "member"),
        member=member,
        public_id=public_id,
    )


def loan_installments(*, loan: Loan) -> list[Installment]:
    return list(loan.installments.order_by("number"))


def member_term_deposits(*, member: Member) -> list[TermDeposit]:
    return term_deposits_read(member)


def member_term_deposit(*, member: Member, public_id) -> TermDeposit:
    return get_object_or_404(
        TermDeposit.objects.select_related("deposit_type", "account"),
        member=member,
        public_id=public_id,
    )


@dataclass(frozen=True)
class ScheduleRow:
    """One line of the "Tabla de amortización" as the member sees it today."""

    installment: Installment
    status: str  # VIGENTE / POR VENCER / PAGADA / VENCIDA
    other: Decimal  # "Otros": interés de mora
    paid: Decimal  # "Abono"

    @property
    def to_pay(self) -> Decimal:
        """ "Valor cuota a pagar": what is still owed on the installment."""
        return self.installment.total + self.other - self.paid


@dataclass(frozen=True)
class LoanSummary:
    loan: Loan
    balance: Decimal  # "Saldo del crédito": the receivable, read in O(1)
    paid_count: int
    next_due: date | None
    amount_due: Decimal  # "Valor a pagar": overdue installments, else the next one

    @property
    def progress(self) -> Decimal:
        """ "Avance de pago": the share of the capital already repaid."""
        if not self.loan.principal:
            return Decimal("0.00")
        return quantize((self.loan.principal - self.balance) * 100 / self.loan.principal)


def loan_summary(loan: Loan, *, on: date | None = None):
    """The figures of the loan's row and detail. A loan ``member_loans`` read carries what
    they need (``owed``, ``unpaid_count``); any other is read here."""
    on = on or timezone.localdate()
    owed = getattr(loan, "owed", None)
    if owed is None:  # every unpaid installment: more than what is owed, in order
        owed = list(loan.installments.exclude(state=Installment.State.PAID).order_by("number"))
        unpaid_count = len(owed)
    else:
        unpaid_count = loan.unpaid_count
    # The installments overdue, else the next one (the first unpaid one is always read).
    due = [i for i in owed if i.due_date < on] or owed[:1]
    amount = sum((i.total + late_charge(i, loan=loan, on=on) for i in due), Decimal("0.00"))
    return LoanSummary(
        loan=loan,
        balance=loan.ledger_account.balance,
        paid_count=loan.installments_count - unpaid_count,
        next_due=owed[0].due_date if owed else None,
        amount_due=amount,
    )


def schedule_rows(*, loan: Loan, on: date | None = None) -> list[ScheduleRow]:
    on = on or timezone.localdate()
    rows, current_seen = [], False
    for installment in loan_installments(loan=loan):
        if installment.state == Installment.State.PAID:
            late = installment.late_charge
            rows.append(ScheduleRow(installment, "PAGADA", late, installment.total + late))
            continue
        late = late_charge(installment, loan=loan, on=on)
        if installment.due_date < on:
            status = "VENCIDA"
        elif not current_seen:
            status, current_seen = "VIGENTE", True
        else:
            status = "POR VENCER"
        rows.append(ScheduleRow(installment, status, late, Decimal("0.00")))
    return rows


def member_product_requests(*, member: Member) -> list[ProductRequest]:
    return list(ProductRequest.objects.filter(member=member).order_by("-created_at")[:20])

"""Loans: granting one (disbursed into a savings account), paying its installments, and
marking the overdue ones. Every money effect is a ledger journal.

The schedule rows (``Installment``) say what is owed and when; the loan's receivable in
the ledger says what is still owed in capital. Paying an installment is one journal —
the member's account debited, the receivable, interest income and the desgravamen
insurer credited — under the idempotency key of *that installment*, and the row that
records it is written in the same transaction, with the loan locked: an installment is
paid once, whatever double clicks, replays or simultaneous payments try.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from stdnum import luhn

from accounts.audit import audit_log
from accounts.models import Member, User
from core.errors import DomainError
from core.money import quantize
from ledger.books import book_account
from ledger.calendar import business_day_on_or_after
from ledger.models import Account as LedgerAccount
from ledger.models import Channel, Kind
from ledger.services import Line, Posted, account_open, booking_time, journal_post
from products.amortization import DAY_BASIS, add_months, fixed_payment, schedule
from products.models import DepositAccount, Installment, Loan, LoanType

NUMBER_PREFIX = "01"
MAX_INSTALLMENTS = 360
ZERO = Decimal("0.00")


class LoanError(DomainError):
    message = "No pudimos procesar el pago del crédito."


class LoanPaidOff(LoanError):
    message = "Este crédito ya está cancelado; no tiene cuotas por pagar."


class InstallmentAlreadyPaid(LoanError):
    message = "Esta cuota ya fue pagada."


class AmountChanged(LoanError):
    message = "El valor a pagar cambió desde que iniciaste el pago. Vuelve a intentarlo."


class AccountNotAllowed(LoanError):
    message = "La cuenta seleccionada no permite realizar pagos."


class LoanTermsInvalid(LoanError):
    message = "Revisa el monto, el plazo y las fechas del crédito."


def late_charge(installment: Installment, *, loan: Loan, on: date) -> Decimal:
    """Interés de mora: the late surcharge on the overdue capital, for the days late."""
    days = (on - installment.due_date).days
    if days <= 0 or installment.state == Installment.State.PAID:
        return ZERO
    return quantize(installment.capital * loan.annual_rate * loan.late_surcharge * days / DAY_BASIS)


@dataclass(frozen=True)
class Due:
    """What paying the next installment costs today."""

    installment: Installment
    late: Decimal

    @property
    def total(self) -> Decimal:
        return self.installment.total + self.late


def _next_number() -> str:
    last = (
        Loan.objects.select_for_update()
        .filter(number__startswith=NUMBER_PREFIX)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    sequence = int(last[len(NUMBER_PREFIX) : -1]) + 1 if last else 1
    body = f"{NUMBER_PREFIX}{sequence:07d}"
    return body + luhn.calc_check_digit(body)


def loan_terms_check(
    *,
    member: Member,
    loan_type: LoanType,
    principal: Decimal,
    installments: int,
    disbursement_account: DepositAccount,
    granted_on: date,
    first_due: date,
) -> None:
    """Refuses terms a loan cannot be granted on, with the reason (``LoanTermsInvalid``)."""
    if principal != quantize(principal) or principal <= 0:
        raise LoanTermsInvalid(
            "El monto del crédito debe ser mayor a cero, con hasta dos decimales."
        )
    if not 1 <= installments <= MAX_INSTALLMENTS:
        raise LoanTermsInvalid(f"El número de cuotas debe estar entre 1 y {MAX_INSTALLMENTS}.")
    if not timedelta(days=15) <= first_due - granted_on <= timedelta(days=45):
        raise LoanTermsInvalid(
            "La primera cuota debe vencer entre 15 y 45 días después de la fecha del crédito."
        )
    if disbursement_account.member_id != member.pk:
        raise LoanTermsInvalid("La cuenta de desembolso debe ser del mismo socio.")
    if disbursement_account.ledger_account.currency != loan_type.currency:
        raise LoanTermsInvalid("La cuenta de desembolso debe estar en la moneda del crédito.")
    if disbursement_account.status != DepositAccount.Status.ACTIVE:
        raise LoanTermsInvalid("La cuenta de desembolso no está activa.")


def loan_grant(
    *,
    member: Member,
    loan_type: LoanType,
    principal: Decimal,
    installments: int,
    disbursement_account: DepositAccount,
    granted_on: date | None = None,
    first_due: date | None = None,
    actor: User | None = None,
    reason: str = "",
) -> Loan:
    """Grants a loan on the type's current rates, writes its schedule and disburses the
    principal into one of the member's own accounts."""
    granted_on = granted_on or timezone.localdate()
    first_due = first_due or add_months(granted_on, 1, on_day=granted_on.day)
    loan_terms_check(
        member=member,
        loan_type=loan_type,
        principal=principal,
        installments=installments,
        disbursement_account=disbursement_account,
        granted_on=granted_on,
        first_due=first_due,
    )
    rows = schedule(
        principal=principal,
        annual_rate=loan_type.annual_rate,
        insurance_rate=loan_type.insurance_rate,
        installments=installments,
        granted_on=granted_on,
        first_due=first_due,
        business_day=business_day_on_or_after,
    )
    with transaction.atomic():
        number = _next_number()
        receivable = account_open(
            code=f"LOAN-{number}",
            name=f"{loan_type.name} {number} · {member.full_name}"[:120],
            kind=LedgerAccount.Kind.ASSET,
            normal_side=LedgerAccount.Side.DEBIT,
            currency=loan_type.currency,
            forbid_negative=True,
        )
        loan = Loan.objects.create(
            member=member,
            loan_type=loan_type,
            number=number,
            principal=principal,
            annual_rate=loan_type.annual_rate,
            insurance_rate=loan_type.insurance_rate,
            late_surcharge=loan_type.late_surcharge,
            installments_count=installments,
            payment=fixed_payment(
                principal, (loan_type.annual_rate + loan_type.insurance_rate) / 12, installments
            ),
            granted_on=granted_on,
            disbursement_account=disbursement_account,
            ledger_account=receivable,
        )
        Installment.objects.bulk_create(
            Installment(
                loan=loan,
                number=row.number,
                due_date=row.due_date,
                balance=row.balance,
                capital=row.capital,
                interest=row.interest,
                insurance=row.insurance,
            )
            for row in rows
        )
        journal_post(
            key=f"loan:{loan.public_id}:disbursement",
            kind=Kind.LOAN_DISBURSEMENT,
            lines=[
                Line.debit(receivable, principal, f"DESEMBOLSO CRÉDITO {number}"),
                Line.credit(
                    disbursement_account.ledger_account,
                    principal,
                    f"DESEMBOLSO DE CRÉDITO {number}",
                ),
            ],
            channel=Channel.BRANCH,
            actor=actor,
            source=loan,
        )
        audit_log(
            event="staff_action",
            user=member.user,
            actor=actor,
            action="loan_grant",
            loan=number,
            amount=str(principal),
            reason=reason,
        )
    loan.ledger_account.refresh_from_db()  # the balance the disbursement just wrote
    return loan


def loan_due(*, loan: Loan, on: date | None = None) -> Due:
    """The next installment to pay and its late charge, or ``LoanPaidOff``."""
    on = on or timezone.localdate()
    installment = loan.installments.exclude(state=Installment.State.PAID).order_by("number").first()
    if installment is None:
        raise LoanPaidOff
    return Due(installment, late_charge(installment, loan=loan, on=on))


def installment_pay(
    *,
    loan: Loan,
    number: int,
    amount: Decimal,
    account: DepositAccount,
    user: User | None = None,
    channel: str = Channel.WEB,
    on: date | None = None,
    key: str = "",
) -> Posted:
    """Pays installment ``number`` of ``loan`` from ``account``, if it is the next one due
    and still costs ``amount`` (what the member confirmed).

    Idempotent by ``key`` (the request's): called again with the key that paid it, it
    returns the original payment (``replayed``) and posts nothing; any other request for
    a paid installment raises ``InstallmentAlreadyPaid``."""
    on = on or timezone.localdate()
    with transaction.atomic():
        loan = Loan.objects.select_for_update().select_related("ledger_account").get(pk=loan.pk)
        installment = loan.installments.get(number=number)
        if installment.state == Installment.State.PAID:
            if key and installment.paid_key == key:
                return Posted(journal_id=installment.journal_id, replayed=True)
            raise InstallmentAlreadyPaid
        due = loan_due(loan=loan, on=on)
        if due.installment.number != number:
            raise LoanError("Primero debes pagar las cuotas anteriores de este crédito.")
        if due.total != amount:
            raise AmountChanged
        if account.member_id != loan.member_id or not account.can_transact:
            raise AccountNotAllowed
        if account.ledger_account.currency != loan.ledger_account.currency:
            raise AccountNotAllowed("La cuenta debe estar en la moneda del crédito.")
        currency = loan.ledger_account.currency
        journal_key = f"loan:{loan.public_id}:installment:{number}"
        label = f"CUOTA {number}/{loan.installments_count} CRÉDITO {loan.number}"
        lines = [Line.debit(account.ledger_account, due.total, f"PAGO {label}")]
        if installment.capital:
            lines.append(Line.credit(loan.ledger_account, installment.capital, f"CAPITAL {label}"))
        if installment.interest + due.late:
            lines.append(
                Line.credit(
                    book_account("INTEREST_INCOME", currency, spread=journal_key),
                    installment.interest + due.late,
                    f"INTERÉS {label}",
                )
            )
        if installment.insurance:
            lines.append(
                Line.credit(
                    book_account("INSURANCE_PAYABLE", currency),
                    installment.insurance,
                    f"SEGURO DESGRAVAMEN {label}",
                )
            )
        posted = journal_post(
            key=journal_key,
            kind=Kind.LOAN_PAYMENT,
            lines=lines,
            channel=channel,
            motive=f"Pago de cuota {number} del crédito {loan.number}",
            actor=user,
            source=loan,
        )
        installment.state = Installment.State.PAID
        installment.paid_at = booking_time()
        installment.late_charge = due.late
        installment.journal_id = posted.journal_id
        installment.paid_key = key
        installment.save(
            update_fields=["state", "paid_at", "late_charge", "journal_id", "paid_key"]
        )
        _status_refresh(loan)
    return posted


def _status_refresh(loan: Loan) -> None:
    unpaid = loan.installments.exclude(state=Installment.State.PAID)
    if not unpaid.exists():
        status = Loan.Status.PAID_OFF
    elif unpaid.filter(state=Installment.State.OVERDUE).exists():
        status = Loan.Status.OVERDUE
    else:
        status = Loan.Status.CURRENT
    if status != loan.status:
        loan.status = status
        loan.save(update_fields=["status"])


def installments_mark_overdue(*, on: date | None = None) -> int:
    """Marks every installment due before ``on`` and still unpaid as VENCIDA, and its
    loan as VENCIDO. Running it again changes nothing."""
    on = on or timezone.localdate()
    with transaction.atomic():
        marked = Installment.objects.filter(
            state=Installment.State.PENDING, due_date__lt=on
        ).update(state=Installment.State.OVERDUE)
        Loan.objects.filter(status=Loan.Status.CURRENT).filter(
            Exists(Installment.objects.filter(loan=OuterRef("pk"), state=Installment.State.OVERDUE))
        ).update(status=Loan.Status.OVERDUE)
    return marked

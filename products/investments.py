"""Term deposits (pólizas) and the monthly capitalization of savings interest.

A póliza takes its capital out of one of the member's accounts into its own ledger
account; at maturity one journal returns the capital with the interest, net of the
withholding the cooperative profile sets, to the same account. Interest uses the
product's day-count basis (actual/360 or actual/365): $10,000 at 7.90% for 365 days
earns $800.97 on 360 and $790.00 on 365.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from stdnum import luhn

from accounts.audit import audit_log
from accounts.models import Member, User
from core.errors import DomainError
from core.money import MINOR_UNITS, quantize
from core.profile import cooperative_current
from ledger.books import book_account
from ledger.models import Account as LedgerAccount
from ledger.models import Channel, Journal, Kind, Posting
from ledger.selectors import day_start
from ledger.services import Line, Posted, account_open, booking_time, journal_post
from products.models import DepositAccount, ProductType, TermDeposit, TermDepositType

NUMBER_PREFIX = "0010"
MIN_TERM_DAYS, MAX_TERM_DAYS = 30, 1825
ZERO = Decimal("0.00")


class InvestmentError(DomainError):
    message = "Revisa el monto, el plazo y la tasa de la inversión."


# --- Interest arithmetic --------------------------------------------------------------


def interest_for(*, capital: Decimal, annual_rate: Decimal, days: int, basis: int) -> Decimal:
    return quantize(capital * annual_rate * days / basis)


def withholding_for(*, interest: Decimal, term_days: int | None = None) -> Decimal:
    """The income-tax withholding the active profile sets; deposits held for at least the
    exempt term (180 days in Ecuador) have none."""
    coop = cooperative_current()
    exempt = coop.withholding_exempt_days
    if term_days is not None and exempt is not None and term_days >= exempt:
        return ZERO
    return quantize(interest * coop.deposit_withholding_rate)


@dataclass(frozen=True)
class TermDepositSummary:
    deposit: TermDeposit
    days: int  # "Días": the term
    interest_total: Decimal  # at maturity, gross
    interest_earned: Decimal  # "Interés ganado": accrued to date
    interest_paid: Decimal  # "Interés pagado"
    withholding: Decimal

    @property
    def net_at_maturity(self) -> Decimal:
        return self.deposit.capital + self.interest_total - self.withholding


def term_deposit_summary(deposit: TermDeposit, *, on: date | None = None) -> TermDepositSummary:
    on = on or timezone.localdate()
    elapsed = max(0, min((on - deposit.issued_on).days, deposit.term_days))
    total = interest_for(
        capital=deposit.capital,
        annual_rate=deposit.annual_rate,
        days=deposit.term_days,
        basis=deposit.day_basis,
    )
    earned = interest_for(
        capital=deposit.capital,
        annual_rate=deposit.annual_rate,
        days=elapsed,
        basis=deposit.day_basis,
    )
    if deposit.status == TermDeposit.Status.PAID:
        withholding = total - deposit.interest_paid
    else:
        withholding = quantize(total * deposit.withholding_rate)
    return TermDepositSummary(
        deposit=deposit,
        days=deposit.term_days,
        interest_total=total,
        interest_earned=earned,
        interest_paid=deposit.interest_paid,
        withholding=withholding,
    )


# --- Pólizas ----------------------------------------------------------------------------


def _next_number() -> str:
    last = (
        TermDeposit.objects.select_for_update()
        .filter(number__startswith=NUMBER_PREFIX)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    sequence = int(last[len(NUMBER_PREFIX) : -1]) + 1 if last else 1
    body = f"{NUMBER_PREFIX}{sequence:05d}"
    return body + luhn.calc_check_digit(body)


def term_deposit_check(
    *,
    member: Member,
    deposit_type: TermDepositType,
    account: DepositAccount,
    capital: Decimal,
    term_days: int,
    annual_rate: Decimal,
) -> None:
    """Refuses terms a póliza cannot be opened on, with the reason (``InvestmentError``);
    the funds themselves are checked by the ledger when it is opened."""
    if capital != quantize(capital) or capital <= 0:
        raise InvestmentError("El capital debe ser mayor a cero, con hasta dos decimales.")
    if not MIN_TERM_DAYS <= term_days <= MAX_TERM_DAYS:
        raise InvestmentError(f"El plazo debe estar entre {MIN_TERM_DAYS} y {MAX_TERM_DAYS} días.")
    if not Decimal("0") < annual_rate < Decimal("1"):
        raise InvestmentError("La tasa debe ser una fracción anual entre 0 y 1 (0.079 = 7.9 %).")
    if account.member_id != member.pk or account.status != DepositAccount.Status.ACTIVE:
        raise InvestmentError("La inversión se debita de una cuenta activa del mismo socio.")
    if account.ledger_account.currency != deposit_type.currency:
        raise InvestmentError("La cuenta debe estar en la moneda de la inversión.")
    if LedgerAccount.objects.get(pk=account.ledger_account_id).available < capital:
        raise InvestmentError("Saldo insuficiente en la cuenta para constituir la inversión.")


def term_deposit_open(
    *,
    member: Member,
    deposit_type: TermDepositType,
    account: DepositAccount,
    capital: Decimal,
    term_days: int,
    annual_rate: Decimal,
    key: str,
    issued_on: date | None = None,
    actor: User | None = None,
    reason: str = "",
) -> TermDeposit:
    """Constitutes a póliza funded from ``account`` (which must be the member's)."""
    issued_on = issued_on or timezone.localdate()
    replayed = Journal.objects.filter(idempotency_key=key).values_list("source_id", flat=True)
    if replayed:  # the same request again (a double submit): the póliza it opened
        return TermDeposit.objects.get(pk=replayed[0])
    term_deposit_check(
        member=member,
        deposit_type=deposit_type,
        account=account,
        capital=capital,
        term_days=term_days,
        annual_rate=annual_rate,
    )
    exempt = cooperative_current().withholding_exempt_days
    withholding_rate = (
        Decimal("0")
        if exempt is not None and term_days >= exempt
        else cooperative_current().deposit_withholding_rate
    )
    with transaction.atomic():
        number = _next_number()
        liability = account_open(
            code=f"TD-{number}",
            name=f"{deposit_type.name} {number} · {member.full_name}"[:120],
            kind=LedgerAccount.Kind.LIABILITY,
            normal_side=LedgerAccount.Side.CREDIT,
            currency=deposit_type.currency,
            forbid_negative=True,
        )
        deposit = TermDeposit.objects.create(
            member=member,
            deposit_type=deposit_type,
            number=number,
            capital=capital,
            annual_rate=annual_rate,
            term_days=term_days,
            day_basis=deposit_type.day_basis,
            withholding_rate=withholding_rate,
            issued_on=issued_on,
            matures_on=issued_on + timedelta(days=term_days),
            account=account,
            ledger_account=liability,
        )
        journal_post(
            key=key,
            kind=Kind.TERM_DEPOSIT,
            lines=[
                Line.debit(account.ledger_account, capital, f"CONSTITUCIÓN INVERSIÓN {number}"),
                Line.credit(liability, capital, f"CAPITAL INVERSIÓN {number}"),
            ],
            channel=Channel.BRANCH,
            actor=actor,
            source=deposit,
        )
        audit_log(
            event="staff_action",
            user=member.user,
            actor=actor,
            action="term_deposit_open",
            number=number,
            amount=str(capital),
            reason=reason,
        )
    deposit.ledger_account.refresh_from_db()
    return deposit


def term_deposit_pay(*, deposit: TermDeposit, on: date | None = None) -> Posted | None:
    """Pays a matured póliza: capital and net interest to its account. Once: a second
    call (a retried task, a second worker) finds it paid and does nothing."""
    on = on or timezone.localdate()
    with transaction.atomic():
        deposit = (
            TermDeposit.objects.select_for_update()
            .select_related("account__ledger_account", "ledger_account")
            .get(pk=deposit.pk)
        )
        if deposit.status != TermDeposit.Status.ACTIVE or deposit.matures_on > on:
            return None
        summary = term_deposit_summary(deposit, on=deposit.matures_on)
        gross = summary.interest_total
        withholding = quantize(gross * deposit.withholding_rate)
        net = gross - withholding
        currency, key = (
            deposit.ledger_account.currency,
            f"term_deposit:{deposit.public_id}:maturity",
        )
        number = deposit.number
        lines = [Line.debit(deposit.ledger_account, deposit.capital, f"CAPITAL INVERSIÓN {number}")]
        if gross:
            lines.append(
                Line.debit(
                    book_account("INTEREST_EXPENSE", currency, spread=key),
                    gross,
                    f"INTERÉS INVERSIÓN {number}",
                )
            )
        lines.append(
            Line.credit(
                deposit.account.ledger_account,
                deposit.capital + net,
                f"PAGO INVERSIÓN {number} CAPITAL E INTERÉS",
            )
        )
        if withholding:
            lines.append(
                Line.credit(
                    book_account("WITHHOLDING_PAYABLE", currency),
                    withholding,
                    f"RETENCIÓN INTERÉS INVERSIÓN {number}",
                )
            )
        posted = journal_post(
            key=key,
            kind=Kind.TERM_DEPOSIT,
            lines=lines,
            motive=f"Vencimiento de la inversión {number}",
            source=deposit,
        )
        deposit.status = TermDeposit.Status.PAID
        deposit.interest_paid = net
        deposit.paid_at = booking_time()
        deposit.save(update_fields=["status", "interest_paid", "paid_at"])
    return posted


def term_deposits_mature(*, on: date | None = None) -> int:
    """Pays every póliza that has reached its maturity date; returns how many."""
    on = on or timezone.localdate()
    due = TermDeposit.objects.filter(status=TermDeposit.Status.ACTIVE, matures_on__lte=on)
    return sum(1 for deposit in due.iterator() if term_deposit_pay(deposit=deposit, on=on))


# --- Savings interest -----------------------------------------------------------------


def _month_bounds(year: int, month: int) -> tuple[date, date]:
    first = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    return first, following


def average_daily_balance(*, account: DepositAccount, year: int, month: int) -> Decimal:
    """The month's average end-of-day balance, from the postings' running balances: one
    query for the balance the month opened with and one for the month's postings."""
    first, following = _month_bounds(year, month)
    ledger = account.ledger_account
    opening = (
        Posting.objects.filter(account=ledger, created_at__lt=day_start(first))
        .order_by("-created_at", "-pk")
        .values_list("balance_after_minor", flat=True)
        .first()
    ) or 0
    closing_by_day: dict[date, int] = {}
    for moment, balance in (
        Posting.objects.filter(
            account=ledger,
            created_at__gte=day_start(first),
            created_at__lt=day_start(following),
        )
        .order_by("created_at", "pk")
        .values_list("created_at", "balance_after_minor")
    ):
        closing_by_day[timezone.localdate(moment)] = balance
    total, balance, day = 0, opening, first
    while day < following:
        balance = closing_by_day.get(day, balance)
        total += balance
        day += timedelta(days=1)
    return quantize(Decimal(total) / (following - first).days / MINOR_UNITS)


def savings_interest_capitalize(*, account: DepositAccount, year: int, month: int) -> Posted | None:
    """ "CAPITALIZACION DE INTERESES EN CUENTA" for ``year``/``month``: the average daily
    balance × the type's rate × the month's days / 360, net of withholding. Idempotent per
    account and month (the journal's key); nothing when there is less than a cent."""
    rate = account.product_type.interest_rate
    first, following = _month_bounds(year, month)
    if following > timezone.localdate():
        raise ValueError("interest is capitalized only for months that have ended")
    if rate <= 0:
        return None
    average = average_daily_balance(account=account, year=year, month=month)
    if average <= 0:
        return None
    gross = quantize(average * rate * (following - first).days / 360)
    if gross <= 0:
        return None
    withholding = withholding_for(interest=gross)
    currency = account.ledger_account.currency
    key = f"savings_interest:{account.public_id}:{year:04d}-{month:02d}"
    lines = [
        Line.debit(
            book_account("INTEREST_EXPENSE", currency, spread=key), gross, "INTERESES AHORROS"
        ),
        Line.credit(
            account.ledger_account, gross - withholding, "CAPITALIZACION DE INTERESES EN CUENTA"
        ),
    ]
    if withholding:
        lines.append(
            Line.credit(
                book_account("WITHHOLDING_PAYABLE", currency), withholding, "RETENCIÓN EN LA FUENTE"
            )
        )
    return journal_post(
        key=key,
        kind=Kind.INTEREST,
        lines=lines,
        motive=f"Intereses de {first:%m/%Y}",
        source=account,
    )


def savings_interest_month(*, year: int, month: int) -> int:
    """Capitalizes ``year``/``month`` for every active savings account that earns interest;
    returns how many journals were written now (replays do not count)."""
    accounts = (
        DepositAccount.objects.filter(
            status=DepositAccount.Status.ACTIVE,
            product_type__family=ProductType.Family.SAVINGS,
            product_type__interest_rate__gt=0,
        )
        .select_related("product_type", "ledger_account")
        .order_by("pk")
    )
    written = 0
    for account in accounts.iterator(chunk_size=500):
        posted = savings_interest_capitalize(account=account, year=year, month=month)
        written += bool(posted and not posted.replayed)
    return written


def last_month(today: date | None = None) -> tuple[int, int]:
    today = today or timezone.localdate()
    previous = today.replace(day=1) - timedelta(days=1)
    return previous.year, previous.month

""" "Pagos programados": a biller and reference the beat pays from the member's account,
bill by bill, while each bill is at most the maximum the member set.

The member registers, changes and removes a schedule through operation kinds confirmed
with the code (``payments.operations``: registering also accepts the terms below). Every
business day the beat (``payments.tasks.run_due_schedules``) queues the due schedules
fifty to a task (``run_schedules``), which pays its chunk in phases
(``payments.batch.schedules_run``) writing what :func:`schedule_run` writes for one
schedule, bill by bill:

- the biller is asked for the reference's pending bills, oldest first;
- a bill over the maximum is not paid, and the member is e-mailed why; a bill the account
  cannot pay (amount, commission and IVA) neither — it is tried again on later runs;
- any other bill is paid as an operation of the kind ``bill_payment`` executed with no
  request, created under the key ``schedule-<id>-<bill number>``: every run, a task
  delivered twice, a worker restarted and two runs at once find that one operation, and
  the payment keys derived from it (``<key>:0``) pay the bill once (``bill_pay``; the
  bill-once constraint of ``BillPayment`` is the last guard);
- whatever the member is told about a bill (paid, over the maximum, no funds, refused) is
  a ``ScheduleNotice`` row, unique per schedule, bill and reason: said once.

A monthly schedule is due from its day of the month (1 to 31; on the month's last business
day when the month has no business day from its day on) until a bill was paid that month;
one "whenever available" is due on every run. Both only between their start and end dates.
"""

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from uuid import UUID

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.audit import audit_log
from accounts.models import Member, Operation
from accounts.operations import (
    Actor,
    Prepared,
    operation_execute,
    operation_kind,
    operation_run,
)
from core.errors import DomainError
from core.masking import mask_number
from core.models import Cooperative
from core.money import format_money
from core.notifications import notify
from core.profile import cooperative_current
from ledger.calendar import business_day_on_or_after, is_business_day, next_business_day
from ledger.models import Channel
from payments.exceptions import BillAlreadyPaid, NoDebt
from payments.models import Biller, BillPayment, PaymentSchedule, ScheduleNotice
from payments.network import Bill
from payments.queries import schedule_read
from payments.receipts import service_lines
from payments.services import bill_origin_check, bill_quote, biller_inquire
from products.models import DepositAccount

logger = logging.getLogger(__name__)

Frequency = PaymentSchedule.Frequency
Reason = ScheduleNotice.Reason

# The terms a member accepts when registering a schedule, by version: the version
# accepted is stored on the schedule, so the text it named stays readable after a change.
# A new text is a new version; an old one is never edited.
SCHEDULE_TERMS = {
    "1": (
        "El valor a pagar se debitara de tu cuenta de forma programada. {cooperative} no se "
        "responsabiliza por no poder realizar el débito por falta de fondos. {cooperative} "
        "no se responsabiliza por situaciones ajenas al control de la cooperativa ya sean "
        "técnicas, tecnológicas o que tengan relación con casos fortuitos"
    ),
}
TERMS_VERSION = "1"
MAX_AMOUNT = Decimal("100000.00")
# The payment kind the beat executes (``payments.operations.BillPay``), by purpose.
BILL_PAYMENT = "bill_payment"
# How many schedule ids the beat reads at a time.
FAN_OUT_BATCH = 1000


def schedule_terms(version: str = TERMS_VERSION, *, cooperative: Cooperative | None = None) -> str:
    """The terms of ``version`` with the cooperative's short name, as the member reads
    them: "El valor a pagar se debitara de tu cuenta de forma programada. …"."""
    cooperative = cooperative or cooperative_current()
    return SCHEDULE_TERMS[version].format(cooperative=cooperative.short_name)


# --- refusals ----------------------------------------------------------------------------


class ScheduleError(DomainError):
    message = "No se pudo programar el pago."


class NotSchedulable(ScheduleError):
    message = "Este servicio no admite pagos programados."


class AlreadyScheduled(ScheduleError):
    message = "Ya tienes un pago programado para este servicio y esta referencia."


class ScheduleGone(ScheduleError):
    message = "Este pago programado ya no está en tu lista."


# --- registering, changing, removing ------------------------------------------------------


@dataclass(frozen=True)
class SchedulePlan:
    """What a member sets and may change later: the account debited, the maximum of a
    bill, the frequency (and the day, monthly) and the dates (no end: "Fecha indefinida")."""

    origin: DepositAccount
    max_amount: Decimal
    frequency: str
    start_date: date
    end_date: date | None = None
    day_of_month: int | None = None


def schedule_check(
    *,
    member: Member,
    biller: Biller,
    reference: str,
    plan: SchedulePlan,
    schedule: PaymentSchedule | None = None,
) -> str:
    """Refuses, with the member's words, a schedule that cannot be kept (the first rule
    broken); returns the reference as it is stored. ``schedule`` is the one being changed
    (its start date may already be past)."""
    category = biller.category
    if (
        not biller.is_active
        or not category.is_active
        or category.cooperative_id != cooperative_current().pk
    ):
        raise ScheduleError("El servicio no está disponible en este momento.")
    if biller.mode != Biller.Mode.BILLS:
        raise NotSchedulable
    bill_origin_check(member=member, origin=plan.origin, biller=biller)
    reference = " ".join(reference.split())
    if error := biller.reference_error(reference):
        raise ScheduleError(error)
    if not Decimal("0") < plan.max_amount <= MAX_AMOUNT:
        raise ScheduleError("El monto máximo debe ser mayor a cero.")
    if plan.frequency not in Frequency.values:
        raise ScheduleError("Selecciona la frecuencia del pago.")
    if plan.frequency == Frequency.MONTHLY and not 1 <= (plan.day_of_month or 0) <= 31:
        raise ScheduleError("Elige un día del mes entre 1 y 31.")
    today = timezone.localdate()
    start_kept = schedule is not None and plan.start_date == schedule.start_date
    if plan.start_date < today and not start_kept:
        raise ScheduleError("La fecha de inicio no puede ser anterior a hoy.")
    if plan.end_date is not None and plan.end_date < max(plan.start_date, today):
        raise ScheduleError(
            "La fecha de finalización no puede ser anterior a la fecha de inicio ni a hoy."
        )
    if (
        schedule is None
        and PaymentSchedule.objects.filter(
            member=member, biller=biller, reference=reference, deleted_at__isnull=True
        ).exists()
    ):
        raise AlreadyScheduled
    return reference


def _plan_fields(plan: SchedulePlan) -> dict:
    monthly = plan.frequency == Frequency.MONTHLY
    return {
        "origin": plan.origin,
        "max_amount": plan.max_amount,
        "frequency": plan.frequency,
        "day_of_month": plan.day_of_month if monthly else None,
        "start_date": plan.start_date,
        "end_date": plan.end_date,
    }


def schedule_create(
    *,
    member: Member,
    biller: Biller,
    reference: str,
    plan: SchedulePlan,
    terms_version: str,
    key: str,
    by: Actor | None = None,
) -> PaymentSchedule:
    """Registers the schedule the member confirmed, having accepted the terms of
    ``terms_version`` now; once per ``key`` (the same key returns the same schedule)."""
    done = PaymentSchedule.objects.filter(key=key).first()
    if done is not None:
        return done
    if terms_version not in SCHEDULE_TERMS:
        raise ScheduleError("Los términos y condiciones cambiaron. Vuelve a programar el pago.")
    reference = schedule_check(member=member, biller=biller, reference=reference, plan=plan)
    try:
        with transaction.atomic():
            schedule = PaymentSchedule.objects.create(
                member=member,
                biller=biller,
                reference=reference,
                terms_version=terms_version,
                accepted_at=timezone.now(),
                key=key,
                created_by=by.user if by is not None else None,
                **_plan_fields(plan),
            )
            _audit(by, "payment_schedule_added", schedule)
    except IntegrityError:
        done = PaymentSchedule.objects.filter(key=key).first()
        if done is not None:
            return done
        raise AlreadyScheduled from None
    return schedule


def schedule_update(
    *, schedule: PaymentSchedule, plan: SchedulePlan, by: Actor | None = None
) -> PaymentSchedule:
    """Changes the account, the maximum, the frequency and the dates of a schedule (the
    service and its reference are what it is: another one is a new schedule)."""
    schedule_check(
        member=schedule.member,
        biller=schedule.biller,
        reference=schedule.reference,
        plan=plan,
        schedule=schedule,
    )
    with transaction.atomic():
        locked = PaymentSchedule.objects.select_for_update().get(pk=schedule.pk)
        if locked.deleted_at is not None:
            raise ScheduleGone
        for name, value in _plan_fields(plan).items():
            setattr(locked, name, value)
        locked.save()
        _audit(by, "payment_schedule_changed", locked)
    return locked


def schedule_delete(*, schedule: PaymentSchedule, by: Actor | None = None) -> PaymentSchedule:
    """Removes a schedule: the beat no longer pays it, and it leaves the member's list.
    The row stays (its payments name it). Removing it again changes nothing."""
    with transaction.atomic():
        locked = PaymentSchedule.objects.select_for_update().get(pk=schedule.pk)
        if locked.deleted_at is None:
            locked.deleted_at = timezone.now()
            locked.active = False
            locked.save(update_fields=["deleted_at", "active", "updated_at"])
            _audit(by, "payment_schedule_removed", locked)
    return locked


def _audit(by: Actor | None, event: str, schedule: PaymentSchedule) -> None:
    if by is None or by.user is None:
        return
    audit_log(
        event=event,
        user=by.user,
        request=by.request,
        biller=schedule.biller.name,
        max_amount=str(schedule.max_amount),
    )


# --- reading -------------------------------------------------------------------------------


def member_schedules(*, member: Member) -> QuerySet[PaymentSchedule]:
    """The member's schedules (not removed), newest first, with what the list shows."""
    return (
        PaymentSchedule.objects.filter(member=member, deleted_at__isnull=True)
        .select_related("biller__category", "origin__product_type")
        .order_by("-created_at", "-pk")
    )


def member_schedule(*, member: Member, public_id: UUID | str) -> PaymentSchedule:
    """One of the member's schedules; a 404 for anyone else's, or a removed one."""
    return get_object_or_404(
        member_schedules(member=member).select_related(
            "biller__category__cooperative", "origin__ledger_account", "member"
        ),
        public_id=public_id,
    )


# --- the beat ------------------------------------------------------------------------------


def _month_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day.replace(day=1), time.min))


def _month_last_business_day(day: date) -> bool:
    return next_business_day(day).month != day.month


def schedule_pay_day(year: int, month: int, day_of_month: int) -> date:
    """The first day of ``month`` on which the beat pays a monthly schedule of
    ``day_of_month`` (1 to 31): that day when it is a business day, else the next
    business day of the month; when the month has none from that day on — its day is
    the 31st of a 30-day month, or falls on the weekend or holiday that ends the month —
    the month's last business day, before it. So no month is skipped, and no payment
    slips into the next month."""
    first = date(year, month, 1)
    last = (first + timedelta(days=31)).replace(day=1) - timedelta(days=1)
    day = first.replace(day=min(day_of_month, last.day))
    on_or_after = business_day_on_or_after(day)
    if on_or_after.month == month:
        return on_or_after
    while not is_business_day(day):
        day -= timedelta(days=1)
    return day


def schedules_due(*, on: date) -> QuerySet[PaymentSchedule]:
    """The schedules the beat pays on ``on``: active, between their dates, and — monthly
    — on or after their day (any day, on the month's last business day:
    :func:`schedule_pay_day`) with nothing paid yet this month."""
    reached = 31 if _month_last_business_day(on) else on.day
    return PaymentSchedule.objects.filter(
        Q(end_date__isnull=True) | Q(end_date__gte=on),
        Q(frequency=Frequency.AVAILABLE)
        | Q(
            Q(last_paid_at__isnull=True) | Q(last_paid_at__lt=_month_start(on)),
            frequency=Frequency.MONTHLY,
            day_of_month__lte=reached,
        ),
        active=True,
        deleted_at__isnull=True,
        start_date__lte=on,
    )


def schedule_due_ids(*, on: date, batch: int = FAN_OUT_BATCH) -> Iterator[int]:
    """The ids of :func:`schedules_due`, in order, read ``batch`` at a time (a keyset on
    the primary key: the fan-out holds no cursor and no rows)."""
    after = 0
    while True:
        ids = list(
            schedules_due(on=on)
            .filter(pk__gt=after)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch]
        )
        yield from ids
        if len(ids) < batch:
            return
        after = ids[-1]


def schedule_is_due(schedule: PaymentSchedule, *, on: date) -> bool:
    """What :func:`schedules_due` says of one schedule, read again by its task."""
    if not schedule.active or schedule.deleted_at is not None:
        return False
    if on < schedule.start_date or (schedule.end_date is not None and on > schedule.end_date):
        return False
    if schedule.frequency == Frequency.MONTHLY:
        if on.day < schedule.day_of_month and not _month_last_business_day(on):
            return False
        if schedule.last_paid_at is not None and schedule.last_paid_at >= _month_start(on):
            return False
    return True


@dataclass
class ScheduleRun:
    """What one run did with a schedule's pending bills (by bill number)."""

    due: bool = True
    paid: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)  # Por confirmar, or another run's
    over_max: list[str] = field(default_factory=list)
    no_funds: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # paid elsewhere, no longer due
    error: str = ""

    def __str__(self) -> str:
        if not self.due:
            return "not due"
        parts = [
            f"{name}={len(numbers)}"
            for name in ("paid", "pending", "over_max", "no_funds", "refused", "skipped")
            if (numbers := getattr(self, name))
        ]
        return " ".join(parts) or self.error or "no bills"


def schedule_run(*, schedule_id: int, now: datetime | None = None) -> ScheduleRun:
    """Pays the pending bills of one due schedule (see the module's docstring). Safe to
    run twice, at once, or again after a crash anywhere: each bill's operation and
    payment are found again by their keys, and each notice is stored once."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    schedule = schedule_read(schedule_id)
    run = ScheduleRun()
    if schedule is None or not schedule_is_due(schedule, on=today):
        run.due = False
        return run
    inquired_at = timezone.now()
    try:
        bills = biller_inquire(biller=schedule.biller, reference=schedule.reference)
    except NoDebt:
        bills = []
    except DomainError as exc:  # the biller is unavailable, or no longer takes it: later
        run.error = exc.message
        logger.info("schedule not inquired", extra={"schedule": schedule.pk, "why": exc.message})
        bills = []
    for n, bill in enumerate(bills):
        if n:  # the first bill's payment changed what is available
            schedule.origin.ledger_account.refresh_from_db(fields=["balance_minor", "held_minor"])
        schedule_bill_run(schedule, bill, run, inquired_at=inquired_at)
    stamp = {"last_run_at": now}
    if run.paid or run.pending:
        stamp["last_paid_at"] = now
    PaymentSchedule.objects.filter(pk=schedule.pk).update(**stamp)
    return run


def schedule_bill_key(schedule: PaymentSchedule, bill: Bill) -> str:
    """The key of the operation that pays ``bill`` for ``schedule``."""
    return f"schedule-{schedule.pk}-{bill.number}"


# Refusals that mean the bill needs nothing from this schedule any more: no notice.
SILENT = (BillAlreadyPaid.message, NoDebt.message)


def schedule_bill_run(
    schedule: PaymentSchedule, bill: Bill, run: ScheduleRun, *, inquired_at: datetime
) -> None:
    key = schedule_bill_key(schedule, bill)
    quote = bill_quote(biller=schedule.biller, amount=bill.amount)
    over_max = bill.amount > schedule.max_amount
    no_funds = schedule.origin.ledger_account.available < quote.total
    if over_max or no_funds:
        # Unless an earlier run paid it (a biller may list a paid bill a while longer).
        operation = Operation.objects.filter(key=key).first()
        if operation is None:
            if over_max:
                run.over_max.append(bill.number)
                schedule_tell(schedule, bill, Reason.OVER_MAX)
            else:
                run.no_funds.append(bill.number)
                schedule_tell(schedule, bill, Reason.NO_FUNDS, total=quote.total)
            return
    try:
        if over_max or no_funds:
            operation = operation_execute(operation=operation)
        else:  # the bill's operation: this run's, or the one an earlier run created
            operation = operation_run(
                kind=operation_kind(BILL_PAYMENT),
                actor=Actor(user=None, owner=schedule.member, channel=Channel.SYSTEM),
                # The member approved it when confirming the schedule with their code; a
                # row a crash left executing is resumed by the operations' sweep.
                prepared=schedule_bill_prepared(
                    schedule, bill, quote.total, inquired_at=inquired_at
                ),
                key=key,
            )
    except DomainError as exc:
        _refused(schedule, bill, exc.message, run)
        return
    if operation.state == Operation.State.REFUSED:  # an earlier run's refusal
        _refused(schedule, bill, operation.error, run)
        return
    if operation.state not in (Operation.State.EXECUTED, Operation.State.PARTIALLY_EXECUTED):
        run.pending.append(bill.number)  # being executed by another run
        return
    # What the execution found (``BillPay``'s result): paid then, it is said now; found
    # waiting for the biller, the resolver tells the member when it knows.
    done = ((operation.result or {}).get("payments") or [{}])[0]
    if done.get("state") == BillPayment.State.PAID:
        run.paid.append(bill.number)
        schedule_tell(schedule, bill, Reason.PAID, paid=done)
        return
    state = BillPayment.objects.filter(key=f"{key}:0").values_list("state", flat=True).first()
    if state == BillPayment.State.PAID:
        run.paid.append(bill.number)
    elif state == BillPayment.State.REFUSED:
        run.skipped.append(bill.number)
    else:
        run.pending.append(bill.number)


def _refused(schedule: PaymentSchedule, bill: Bill, message: str, run: ScheduleRun) -> None:
    """The operation of ``bill`` was refused when executed (the biller refused it, the
    account changed…): it is not tried again, and the member is told why — unless the
    bill was paid another way or is no longer due."""
    if message in SILENT:
        run.skipped.append(bill.number)
        return
    run.refused.append(bill.number)
    schedule_tell(schedule, bill, Reason.REFUSED, detail=message)


def schedule_bill_prepared(
    schedule: PaymentSchedule, bill: Bill, total: Decimal, *, inquired_at: datetime
) -> Prepared:
    """The payment of one bill, as ``BillPay.prepare`` would have stored it, the schedule
    it is made for and when the biller listed the bill (``BillPay`` does not ask again
    about a bill listed moments ago)."""
    origin, biller = schedule.origin, schedule.biller
    currency = origin.ledger_account.currency
    return Prepared(
        payload={
            "origin": str(origin.public_id),
            "biller": biller.pk,
            "reference": schedule.reference,
            "bills": [
                {"number": bill.number, "description": bill.description, "amount": str(bill.amount)}
            ],
            "save": "",
            "schedule": schedule.pk,
            "inquired_at": inquired_at.isoformat(),
        },
        review=[
            ("Monto a pagar", format_money(bill.amount, currency)),
            ("Cuenta de origen", origin.masked_name),
            *service_lines(biller, schedule.reference),
            ("Recibo N.º", bill.number),
            ("Total a debitar", format_money(total, currency)),
        ],
        summary=f"Pago programado de {biller.name} por {format_money(total, currency)}",
    )


# --- telling the member ----------------------------------------------------------------------


def schedule_tell(
    schedule: PaymentSchedule,
    bill: Bill,
    reason: str,
    *,
    total: Decimal | None = None,
    paid: dict | None = None,
    detail: str = "",
) -> bool:
    """E-mails the member what happened to ``bill``, once per schedule, bill and reason:
    the notice row and the e-mail commit together, and a second notice is refused by the
    row's unique constraint. Returns whether it was sent now."""
    subject, body = schedule_notice_text(schedule, bill, reason, total, paid, detail)
    try:
        with transaction.atomic():
            ScheduleNotice.objects.create(
                schedule=schedule,
                bill_number=bill.number,
                reason=reason,
                amount=bill.amount,
                detail=detail[:300],
            )
            notify(email=schedule.member.email, subject=subject, body=body, kind="Pago programado")
    except IntegrityError:  # said already, by an earlier run or one beside this one
        return False
    return True


def schedule_notice_text(schedule, bill, reason, total, paid, detail) -> tuple[str, str]:
    coop = cooperative_current()
    member, biller = schedule.member, schedule.biller
    currency = schedule.origin.ledger_account.currency
    account = mask_number(schedule.origin.number)
    what = (
        f"la factura N.º {bill.number} de {biller.name} (referencia {schedule.reference}) "
        f"por {format_money(bill.amount, currency)}"
    )
    if reason == Reason.PAID:
        subject = f"{coop.short_name}: pago programado realizado"
        text = (
            f"Pagamos {what} desde tu cuenta {account}, como lo programaste. Total debitado: "
            f"{format_money(Decimal(paid['total']), currency)}. Comprobante N.º "
            f"{paid['journal']}."
        )
    elif reason == Reason.OVER_MAX:
        subject = f"{coop.short_name}: pago programado no realizado"
        text = (
            f"No pagamos {what}: es mayor al monto máximo de "
            f"{format_money(schedule.max_amount, currency)} que estableciste en tu pago "
            "programado. Puedes pagarla en «Pago de Servicios» o cambiar el monto máximo en "
            "«Pagos programados»."
        )
    elif reason == Reason.NO_FUNDS:
        amount = f" de {format_money(total, currency)}" if total is not None else ""
        subject = f"{coop.short_name}: pago programado no realizado"
        text = (
            f"No pudimos pagar {what}: tu cuenta {account} no tiene saldo suficiente para el "
            f"débito{amount} (con la comisión). Volveremos a intentarlo en los próximos días "
            "hábiles mientras la factura esté pendiente."
        )
    else:
        subject = f"{coop.short_name}: pago programado no realizado"
        text = f"No pudimos pagar {what}. {detail}".strip()
    body = (
        f"Hola {member.greeting_name}:\n\n{text}\n\n"
        f"Si tienes dudas, llama al {coop.call_center_phone}."
    )
    return subject, body

"""The beat's scheduled payments a chunk at a time (``payments.tasks.run_schedules``).

:func:`payments.schedules.schedule_run` pays one schedule's bills one at a time: for
each bill a dozen statements in three transactions. :func:`schedules_run` does the same
for a chunk of schedules (fifty) in phases, each a few statements for the whole chunk:

1. the chunk's schedules read with their member, account and biller (one query);
2. the biller network asked for every reference's bills at once
   (``BillerNetwork.inquire_many``);
3. each bill decided as ``schedule_run`` decides it: over the maximum → the member is
   told; no funds — the account's available balance less what the chunk's earlier bills
   hold on it — → told; a bill another run or an earlier one began (its operation
   exists), another payment has, or the account may not pay goes the one-bill way
   (below); any other is paid here;
4. one transaction: the bills' operations inserted *executing* under their keys
   (``schedule-<id>-<bill>``; a key another run inserted meanwhile sends its bill the
   one-bill way), their payments *held* and the holds (``ledger.services.holds_place``:
   the accounts locked once, in id order);
5. the biller network asked to pay them all (``BillerNetwork.pay_many``); a refusal
   releases its hold and an unknown outcome waits for the resolver, each as ``bill_pay``
   does it (``_refuse``, ``_await``);
6. one transaction: the confirmed payments captured (one journal each, their accounts
   locked once, in id order), *paid*; every operation ended with the result the one-bill
   way stores; the notices and their e-mails (delivered by one task for the chunk); the
   schedules stamped.

The rows are the ones the one-bill way writes — the same keys, states, holds, journals,
notices and operation results — so the operations' sweep, ``bill_payments_sweep`` and
the resolver recover a crashed chunk as they recover a crashed bill. An unexpected error
in a phase sends the bills it covered the one-bill way (``schedule_bill_run``, or the capture of
``bill_pay``), which finds by key what committed: nothing is done twice.

PostgreSQL only (a few statements are written for it); on SQLite, and for one schedule
(``run_schedule``), the one-bill way runs.
"""

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Operation
from accounts.operations import (
    Actor,
    operation_kind,
    operations_end,
    operations_insert_executing,
)
from core.db.rows import rows_insert
from core.errors import DomainError
from core.notifications import notify_many
from ledger.models import Channel
from payments.exceptions import NoDebt
from payments.models import BillPayment, PaymentSchedule, ScheduleNotice
from payments.network import Bill, Confirmation
from payments.operations import bill_result
from payments.queries import schedules_read
from payments.schedules import (
    BILL_PAYMENT,
    SILENT,
    ScheduleRun,
    schedule_bill_key,
    schedule_bill_prepared,
    schedule_bill_run,
    schedule_is_due,
    schedule_notice_text,
    schedule_run,
    schedule_tell,
)
from payments.services import (
    CENT,
    BillOrder,
    BillQuote,
    HeldBill,
    bill_origin_check,
    bill_payment_answered,
    bill_payment_capture,
    bill_payments_capture,
    bill_payments_hold,
    bill_payments_send,
    bill_quote,
    biller_inquire_many,
)

logger = logging.getLogger(__name__)

Reason = ScheduleNotice.Reason
TRIPLE = "(%s, %s, %s)"


@dataclass
class _Bill:
    """One bill of the chunk on its way: what was decided, and what became of it."""

    schedule: PaymentSchedule
    bill: Bill
    key: str
    quote: BillQuote
    operation: Operation | None = None
    payment: BillPayment | None = None
    answer: Confirmation | Exception | None = None
    result: dict | None = None  # the operation's result, once known
    refusal: str = ""  # the operation's refusal


@dataclass
class _Notice:
    schedule: PaymentSchedule
    bill: Bill
    reason: str
    total: Decimal | None = None
    paid: dict | None = None
    detail: str = ""


@dataclass
class _Chunk:
    now: datetime
    runs: dict[int, ScheduleRun] = field(default_factory=dict)
    schedules: list[PaymentSchedule] = field(default_factory=list)
    failed: set[int] = field(default_factory=set)  # logged; not stamped, as one by one
    bills: dict[int, list[Bill]] = field(default_factory=dict)
    inquired_at: datetime | None = None
    paying: list[_Bill] = field(default_factory=list)
    one_by_one: list[tuple[PaymentSchedule, Bill]] = field(default_factory=list)
    notices: list[_Notice] = field(default_factory=list)


def schedules_run(
    *, schedule_ids: list[int], now: datetime | None = None
) -> dict[int, ScheduleRun]:
    """Pays the due bills of the schedules of ``schedule_ids`` as :func:`schedule_run`
    pays each (see the module's docstring); returns what it did with each, by id. Safe
    to run twice, at once, or again after a crash anywhere. A schedule that fails is
    logged and leaves the rest to run."""
    now = now or timezone.now()
    if not _batched():
        return _each(schedule_ids, now)
    chunk = _Chunk(now=now)
    try:
        _read(chunk, schedule_ids)
        _inquire(chunk)
        _decide(chunk)
    except Exception:  # nothing written yet: the chunk runs one schedule at a time
        logger.exception("scheduled payments not batched", extra={"schedules": schedule_ids})
        return _each(schedule_ids, now)
    _hold(chunk)
    _pay(chunk)
    _answered(chunk)
    _each_bill(chunk)
    _finish(chunk)
    return chunk.runs


def _batched() -> bool:
    """Whether chunks are paid in phases: on PostgreSQL (a few statements are written
    for it); on SQLite one schedule at a time."""
    return connection.vendor == "postgresql"


def _each(schedule_ids: list[int], now: datetime) -> dict[int, ScheduleRun]:
    runs = {}
    for schedule_id in schedule_ids:
        try:
            runs[schedule_id] = schedule_run(schedule_id=schedule_id, now=now)
        except Exception:
            logger.exception("scheduled payment failed", extra={"schedule": schedule_id})
    return runs


# --- 1. the schedules -----------------------------------------------------------------------


def _read(chunk: _Chunk, schedule_ids: list[int]) -> None:
    today = timezone.localdate(chunk.now)
    found = {s.pk: s for s in schedules_read(schedule_ids)}
    for schedule_id in schedule_ids:
        run = chunk.runs[schedule_id] = ScheduleRun()
        schedule = found.get(schedule_id)
        if schedule is None or not schedule_is_due(schedule, on=today):
            run.due = False
        else:
            chunk.schedules.append(schedule)


# --- 2. the biller network's bills ------------------------------------------------------------


def _inquire(chunk: _Chunk) -> None:
    chunk.inquired_at = timezone.now()
    answers = biller_inquire_many(requests=[(s.biller, s.reference) for s in chunk.schedules])
    for schedule, answer in zip(chunk.schedules, answers, strict=True):
        if isinstance(answer, NoDebt):
            answer = []
        elif isinstance(answer, DomainError):  # unavailable, or no longer taken: later
            chunk.runs[schedule.pk].error = answer.message
            logger.info(
                "schedule not inquired", extra={"schedule": schedule.pk, "why": answer.message}
            )
            answer = []
        elif isinstance(answer, Exception):
            logger.error(
                "scheduled payment failed",
                extra={"schedule": schedule.pk, "error": repr(answer)},
            )
            chunk.failed.add(schedule.pk)
            answer = []
        chunk.bills[schedule.pk] = answer


# --- 3. each bill decided ---------------------------------------------------------------------


def _decide(chunk: _Chunk) -> None:
    keyed = [
        (schedule, bill, schedule_bill_key(schedule, bill))
        for schedule in chunk.schedules
        for bill in chunk.bills[schedule.pk]
    ]
    if not keyed:
        return
    begun = set(
        Operation.objects.filter(key__in=[key for _, _, key in keyed]).values_list("key", flat=True)
    )
    taken = _taken(keyed)
    reserved: dict[int, Decimal] = defaultdict(Decimal)  # by ledger account
    for schedule, bill, key in keyed:
        run = chunk.runs[schedule.pk]
        quote = bill_quote(biller=schedule.biller, amount=bill.amount)
        if key in begun:  # an earlier run's, or one beside this one: as one by one
            chunk.one_by_one.append((schedule, bill))
            continue
        account = schedule.origin.ledger_account
        if bill.amount > schedule.max_amount:
            run.over_max.append(bill.number)
            chunk.notices.append(_Notice(schedule, bill, Reason.OVER_MAX))
            continue
        if account.available - reserved[account.pk] < quote.total:
            run.no_funds.append(bill.number)
            chunk.notices.append(_Notice(schedule, bill, Reason.NO_FUNDS, total=quote.total))
            continue
        if (schedule.biller_id, schedule.reference, bill.number) in taken or not _payable(
            schedule, bill
        ):  # refused one by one, in the member's words
            chunk.one_by_one.append((schedule, bill))
            continue
        reserved[account.pk] += quote.total
        chunk.paying.append(_Bill(schedule=schedule, bill=bill, key=key, quote=quote))


def _taken(keyed: list[tuple[PaymentSchedule, Bill, str]]) -> set[tuple[int, str, str]]:
    """The chunk's bills another payment has (not refused), in one query."""
    triples = {(s.biller_id, s.reference.strip(), b.number) for s, b, _ in keyed if b.number}
    if not triples:
        return set()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT biller_id, reference, bill_number FROM payments_billpayment "  # noqa: S608 - no input in the text
            f"WHERE (biller_id, reference, bill_number) IN ({', '.join([TRIPLE] * len(triples))}) "
            "AND bill_number <> '' AND state <> %s",
            [*(v for triple in sorted(triples) for v in triple), BillPayment.State.REFUSED],
        )
        return {tuple(row) for row in cursor.fetchall()}


def _payable(schedule: PaymentSchedule, bill: Bill) -> bool:
    """Whether ``bill_pay`` would let the schedule's account pay the bill (else it is
    paid one by one, which refuses it with the reason)."""
    if not bill.amount.is_finite() or bill.amount <= 0 or bill.amount != bill.amount.quantize(CENT):
        return False
    try:
        bill_origin_check(member=schedule.member, origin=schedule.origin, biller=schedule.biller)
    except DomainError:
        return False
    return True


# --- 4. the operations, the payments and their holds ------------------------------------------


def _hold(chunk: _Chunk) -> None:
    if not chunk.paying:
        return
    kind = operation_kind(BILL_PAYMENT)
    try:
        with transaction.atomic(durable=True):
            inserted = operations_insert_executing(
                kind=kind,
                runs=[
                    (
                        Actor(user=None, owner=b.schedule.member, channel=Channel.SYSTEM),
                        schedule_bill_prepared(
                            b.schedule, b.bill, b.quote.total, inquired_at=chunk.inquired_at
                        ),
                        b.key,
                    )
                    for b in chunk.paying
                ],
            )
            fresh = []
            for b in chunk.paying:
                b.operation = inserted.get(b.key)
                if b.operation is None:  # another run inserted it meanwhile
                    chunk.one_by_one.append((b.schedule, b.bill))
                else:
                    fresh.append(b)
            held = bill_payments_hold(bills=[_held_bill(b) for b in fresh])
            for b, payment in zip(fresh, held, strict=True):
                b.payment = payment
    except Exception:  # nothing of it committed: each bill one by one
        logger.exception("scheduled payments not held", extra={"bills": len(chunk.paying)})
        chunk.one_by_one += [(b.schedule, b.bill) for b in chunk.paying]
        chunk.paying = []
        return
    chunk.paying = fresh


def _held_bill(b: _Bill) -> HeldBill:
    schedule = b.schedule
    return HeldBill(
        member=schedule.member,
        order=BillOrder(
            origin=schedule.origin,
            biller=schedule.biller,
            reference=schedule.reference,
            amount=b.bill.amount,
            bill_number=b.bill.number,
            description=b.bill.description,
        ),
        quote=b.quote,
        key=f"{b.key}:0",  # as ``BillPay.execute`` keys its first bill
        channel=Channel.SYSTEM,
        schedule_id=schedule.pk,
    )


# --- 5. the biller paid -------------------------------------------------------------------------


def _pay(chunk: _Chunk) -> None:
    if not chunk.paying:
        return
    answers = bill_payments_send(payments=[b.payment for b in chunk.paying])
    for b, answer in zip(chunk.paying, answers, strict=True):
        b.answer = answer


def _answered(chunk: _Chunk) -> None:
    """The bills the biller did not confirm, one by one as ``bill_pay`` does: refused →
    the hold released, the operation refused, the member told why (unless the bill no
    longer needs this schedule); unknown → the resolver's, the operation executed with
    the payment "Por confirmar"."""
    for b in chunk.paying:
        if isinstance(b.answer, Confirmation):
            continue
        run = chunk.runs[b.schedule.pk]
        try:
            b.payment = bill_payment_answered(b.payment, b.answer)
        except DomainError as exc:
            b.refusal = exc.message
            if exc.message in SILENT:
                run.skipped.append(b.bill.number)
            else:
                run.refused.append(b.bill.number)
                chunk.notices.append(
                    _Notice(b.schedule, b.bill, Reason.REFUSED, detail=exc.message)
                )
            continue
        except Exception:  # its own transaction failed: the sweeps recover the bill
            logger.exception("scheduled payment not answered", extra={"payment": b.payment.pk})
            chunk.failed.add(b.schedule.pk)
            continue
        b.result = bill_result([b.payment], viewer=b.schedule.member, receipt=False)
        run.pending.append(b.bill.number)


# --- the bills the batch leaves to the one-bill way ----------------------------------------


def _each_bill(chunk: _Chunk) -> None:
    """``schedule_run``'s handling of each bill left out of the batch, in the chunk's
    order, each against its account as it is now."""
    for schedule, bill in chunk.one_by_one:
        try:
            schedule.origin.ledger_account.refresh_from_db(fields=["balance_minor", "held_minor"])
            schedule_bill_run(
                schedule, bill, chunk.runs[schedule.pk], inquired_at=chunk.inquired_at
            )
        except Exception:
            logger.exception("scheduled payment failed", extra={"schedule": schedule.pk})
            chunk.failed.add(schedule.pk)


# --- 6. captured, ended, told, stamped ------------------------------------------------------


def _finish(chunk: _Chunk) -> None:
    confirmed = [b for b in chunk.paying if isinstance(b.answer, Confirmation)]
    try:
        with transaction.atomic(durable=True):
            captured = bill_payments_capture(confirmed=[(b.payment, b.answer) for b in confirmed])
            paid = {p.pk for p in captured}
            told = []
            for b in confirmed:
                if b.payment.pk in paid:
                    b.result = bill_result([b.payment], viewer=b.schedule.member, receipt=False)
                    paid_now = b.result["payments"][0]
                    told.append(_Notice(b.schedule, b.bill, Reason.PAID, paid=paid_now))
            late = [b for b in confirmed if b.payment.pk not in paid]
            late_ids = {b.payment.pk for b in late}
            _end(chunk, [b for b in chunk.paying if b.payment.pk not in late_ids])
            _tell_all([*told, *chunk.notices])
            _stamp(chunk, paid={n.schedule.pk for n in told})
    except Exception:
        logger.exception("scheduled payments not captured", extra={"bills": len(confirmed)})
        _finish_each(chunk, confirmed)
        return
    for notice in told:
        chunk.runs[notice.schedule.pk].paid.append(notice.bill.number)
    if late:  # taken by the resolver meanwhile: captured (or found) one by one
        _finish_each(chunk, late, rest=False)


def _end(chunk: _Chunk, bills: list[_Bill]) -> None:
    operations_end(
        ended=[
            (b.operation, b.result, b.refusal) for b in bills if b.result is not None or b.refusal
        ]
    )


def _tell_all(notices: list[_Notice]) -> None:
    """The notices, each said once (a notice another run stored is not said again), and
    their e-mails, in two statements."""
    if not notices:
        return
    rows = [
        ScheduleNotice(
            schedule=n.schedule,
            bill_number=n.bill.number,
            reason=n.reason,
            amount=n.bill.amount,
            detail=n.detail[:300],
        )
        for n in notices
    ]
    stored = {
        (row.schedule_id, row.bill_number, row.reason)
        for row in rows_insert(
            rows, skip_conflicts=True, match=("schedule", "bill_number", "reason")
        )
    }
    mails = []
    for n in notices:
        if (n.schedule.pk, n.bill.number, n.reason) not in stored:
            continue
        subject, body = schedule_notice_text(
            n.schedule, n.bill, n.reason, n.total, n.paid, n.detail
        )
        mails.append(
            {"email": n.schedule.member.email, "subject": subject, "body": body,
             "kind": "Pago programado"}
        )  # fmt: skip
    notify_many(mails)


def _stamp(chunk: _Chunk, *, paid: frozenset[int] | set[int] = frozenset()) -> None:
    """``last_run_at`` on every due schedule that did not fail, ``last_paid_at`` too on
    those with a bill paid (``paid``: by this phase) or being paid."""
    stamped = [s.pk for s in chunk.schedules if s.pk not in chunk.failed]
    if not stamped:
        return
    paid = [pk for pk in stamped if pk in paid or chunk.runs[pk].paid or chunk.runs[pk].pending]
    PaymentSchedule.objects.filter(pk__in=stamped).update(last_run_at=chunk.now)
    if paid:
        PaymentSchedule.objects.filter(pk__in=paid).update(last_paid_at=chunk.now)


def _finish_each(chunk: _Chunk, confirmed: list[_Bill], *, rest: bool = True) -> None:
    """Phase 6 one bill at a time, as ``bill_pay`` and ``schedule_run`` finish a bill:
    each confirmed payment captured (or left to the resolver), its operation ended, its
    notice told; with ``rest``, the other operations, notices and stamps too."""
    for b in confirmed:
        try:
            b.payment = bill_payment_capture(b.payment, b.answer)
            b.result = bill_result([b.payment], viewer=b.schedule.member, receipt=False)
            operations_end(ended=[(b.operation, b.result, "")])
            if b.payment.state == BillPayment.State.PAID:
                chunk.runs[b.schedule.pk].paid.append(b.bill.number)
                schedule_tell(b.schedule, b.bill, Reason.PAID, paid=b.result["payments"][0])
            else:
                chunk.runs[b.schedule.pk].pending.append(b.bill.number)
        except Exception:  # the sweeps finish it
            logger.exception("scheduled payment failed", extra={"schedule": b.schedule.pk})
            chunk.failed.add(b.schedule.pk)
    if not rest:
        return
    for step in (
        lambda: _end(chunk, [b for b in chunk.paying if not isinstance(b.answer, Confirmation)]),
        lambda: [
            schedule_tell(n.schedule, n.bill, n.reason, total=n.total, paid=n.paid, detail=n.detail)
            for n in chunk.notices
            if n.reason != Reason.PAID
        ],
        lambda: _stamp(chunk),
    ):
        try:
            step()
        except Exception:
            logger.exception("scheduled payments not finished", extra={"bills": len(confirmed)})

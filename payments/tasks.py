"""The workers' side of bill payments: asking the biller again about a payment it did not
answer, with backoff, the beat's sweep for payments whose task was lost
(``payments.services``), and paying the scheduled payments that are due
(``payments.schedules``). All may run twice or at once: the services are idempotent."""

import logging
from datetime import datetime

from celery import shared_task
from django.utils import timezone

from core.notifications import notifications_batched
from ledger.calendar import is_business_day
from payments.batch import schedules_run
from payments.models import BillPayment
from payments.schedules import schedule_due_ids, schedule_run
from payments.services import (
    UNRESOLVED,
    bill_payment_next_check,
    bill_payment_resolve,
    bill_payments_sweep,
)

logger = logging.getLogger(__name__)

# How many due schedules one task runs: enough to spread a task's own cost (the broker's
# round trips, its acknowledgement) thin, few enough that the workers share a run evenly.
SCHEDULES_PER_TASK = 50


@shared_task(bind=True, acks_late=True, max_retries=None)
def resolve_bill_payment(self, payment_id: int, due: str | None = None) -> str:
    """Asks the biller what became of the payment and finishes it; while nobody knows,
    asks again at the payment's next check (``bill_payment_next_check``; after a day,
    staff are told and it asks every six hours). ``due`` is the check this task was
    queued for: when the payment's ``next_check_at`` says otherwise, another task (queued
    by the sweep) owns it."""
    payment = BillPayment.objects.filter(pk=payment_id).first()
    if payment is None:
        return "missing"
    if (
        due is not None
        and payment.state in UNRESOLVED
        and payment.next_check_at != datetime.fromisoformat(due)
    ):
        return "superseded"
    payment = bill_payment_resolve(payment=payment)
    if payment.state not in UNRESOLVED:
        return payment.state
    next_check = bill_payment_next_check(payment=payment)
    if self.request.is_eager:  # run in the caller (tests): the sweep asks again
        return payment.state
    raise self.retry(
        args=(payment_id,),
        kwargs={"due": next_check.isoformat()},
        countdown=max((next_check - timezone.now()).total_seconds(), 0),
    )


@shared_task(acks_late=True)
def sweep_bill_payments() -> int:
    """Every five minutes: queues the resolver for payments whose task was lost."""
    swept = bill_payments_sweep()
    if swept:
        logger.info("bill payments swept", extra={"swept": swept})
    return swept


@shared_task(acks_late=True)
def run_due_schedules() -> int:
    """On business days (the beat runs it in the morning and again in the afternoon):
    one ``run_schedules`` task per ``SCHEDULES_PER_TASK`` due schedules, so that
    thousands of them spread over the workers. Only ids travel, read a thousand at a
    time. Returns how many schedules were queued."""
    today = timezone.localdate()
    if not is_business_day(today):
        return 0
    queued, chunk = 0, []
    for schedule_id in schedule_due_ids(on=today):
        chunk.append(schedule_id)
        queued += 1
        if len(chunk) == SCHEDULES_PER_TASK:
            run_schedules.delay(chunk)
            chunk = []
    if chunk:
        run_schedules.delay(chunk)
    if queued:
        logger.info("scheduled payments queued", extra={"schedules": queued})
    return queued


@shared_task(acks_late=True)
def run_schedules(schedule_ids: list[int]) -> int:
    """Pays the due bills of the schedules of ``schedule_ids``, the chunk in a few
    statements a phase (``payments.batch.schedules_run``); returns how many were run.
    Each bill stays its own operation under its own key, so a chunk delivered twice, run
    beside another run or again after its worker died pays nothing twice; a schedule
    that fails is logged and leaves the rest to run."""
    with notifications_batched():  # the chunk's e-mails: one delivery task, not one each
        schedules_run(schedule_ids=schedule_ids)
    return len(schedule_ids)


@shared_task(acks_late=True)
def run_schedule(schedule_id: int) -> str:
    """Pays the due bills of one schedule. A task delivered twice, run beside another run
    or again after its worker died pays nothing twice (``schedule_run``)."""
    return str(schedule_run(schedule_id=schedule_id))

"""The workers' side of bill payments: asking the biller again about a payment it did not
answer, with backoff, and the beat's sweep for payments whose task was lost
(``payments.services``). Both may run twice or at once: the services are idempotent."""

import logging
from datetime import datetime

from celery import shared_task
from django.utils import timezone

from payments.models import BillPayment
from payments.services import (
    UNRESOLVED,
    bill_payment_next_check,
    bill_payment_resolve,
    bill_payments_sweep,
)

logger = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, max_retries=None)
def resolve_bill_payment(self, payment_id: int, due: str | None = None) -> str:
    """Asks the biller what became of the payment and finishes it; while nobody knows,
    asks again at the payment's next check (``bill_payment_next_check``) until a day has
    passed. ``due`` is the check this task was queued for: when the payment's
    ``next_check_at`` says otherwise, another task (queued by the sweep) owns it."""
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
    if next_check is None:
        return "review"
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

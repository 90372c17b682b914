"""The workers' side of notifications: one try per task, retried with backoff, and the
beat's sweep for rows whose task was lost (``core.notifications``)."""

import logging

from celery import Task, shared_task

from core.notifications import notification_deliver, notifications_deliver, notifications_sweep

logger = logging.getLogger(__name__)


class DeliveryTask(Task):
    """Run eagerly (the tests), a delivery behaves as on a worker: its retries run at
    once, one after the other, and nothing it raises reaches the code that queued it.

    Celery re-applies a retried eager task only when the eager run does not propagate
    exceptions, and the project propagates them for every other task."""

    def apply(self, args=None, kwargs=None, *, throw=None, **options):
        return super().apply(args, kwargs, throw=False if throw is None else throw, **options)


@shared_task(bind=True, base=DeliveryTask, acks_late=True, max_retries=None)
def deliver_notification(self, notification_id: int) -> str:
    """Sends the stored notification once; a failed try is retried after the next of
    ``RETRY_DELAYS`` until the row says it failed for good."""
    delivery = notification_deliver(notification_id=notification_id)
    if delivery.outcome == "retry":
        raise self.retry(countdown=delivery.retry_in)
    return delivery.outcome


@shared_task(acks_late=True)
def deliver_notifications(notification_ids: list[int]) -> int:
    """Sends the stored notifications of a batch (``notifications_batched``) one after
    the other, each claimed and sent once as by ``deliver_notification``; one whose try
    failed goes on alone, retried by its own task. Returns how many were sent."""
    try:
        deliveries = notifications_deliver(notification_ids=notification_ids)
    except Exception:  # the database failed: the rows stay pending for the sweep
        logger.exception("notifications not delivered", extra={"count": len(notification_ids)})
        return 0
    sent = 0
    for notification_id, delivery in deliveries.items():
        if delivery.outcome == "retry":
            deliver_notification.apply_async((notification_id,), countdown=delivery.retry_in)
        sent += delivery.outcome == "sent"
    return sent


@shared_task(acks_late=True)
def sweep_notifications() -> int:
    """Every few minutes: queues again the pending notifications whose task was lost."""
    return notifications_sweep()

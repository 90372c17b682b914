"""Interbank settlement on the beat. The task can run at any moment, twice at once, or
after a crash: ``transfers.settlement`` makes each step idempotent."""

import logging

from celery import shared_task

from transfers.settlement import settlement_run

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def settle_interbank_transfers() -> dict:
    """Every few minutes: batch what is due, send it, close what the network answered."""
    summary = settlement_run()
    logger.info("interbank settlement run", extra=summary.__dict__)
    return summary.__dict__

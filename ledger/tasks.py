import logging

from celery import shared_task

from ledger.audit import ledger_check
from ledger.services import holds_release_expired

logger = logging.getLogger(__name__)


@shared_task
def check_ledger() -> bool:
    """Nightly: recompute every balance from the postings and alert on any drift."""
    report = ledger_check()
    if report.ok:
        logger.info("ledger balanced", extra={"journals": report.journals})
    else:
        logger.error("LEDGER DRIFT", extra={"report": report.lines()})
    return report.ok


@shared_task
def release_expired_holds() -> int:
    return holds_release_expired()

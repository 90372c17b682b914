import logging

from celery import shared_task
from django.db import connection

from ledger.audit import ledger_check
from ledger.checks import database_code_messages
from ledger.services import holds_release_expired

logger = logging.getLogger(__name__)


@shared_task
def check_ledger() -> bool:
    """Nightly: recompute every balance from the postings and alert on any drift, and on
    database functions or triggers that are not the code's."""
    report = ledger_check()
    if report.ok:
        logger.info("ledger balanced", extra={"journals": report.journals})
    else:
        logger.error("LEDGER DRIFT", extra={"report": report.lines()})
    messages = database_code_messages(connection)
    if messages:
        logger.error("DATABASE CODE DIFFERS", extra={"report": [m.msg for m in messages]})
    return report.ok and not any(m.is_serious() for m in messages)


@shared_task
def release_expired_holds() -> int:
    return holds_release_expired()

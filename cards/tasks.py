"""The cards' nightly job. Safe to run again: a statement is closed once per card and month
(``card_statement_close``) and e-mailed once (its delivery row is claimed before sending),
so a retried task or a beat that fires twice changes nothing the first run did not."""

import logging

from celery import shared_task

from cards.statements import card_statements_close, card_statements_send

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def close_card_statements() -> dict:
    """Nightly, late on each day: closes the statements of the credit cards whose
    statement day it is (and any a missed night left behind), then e-mails the closed
    statements to the members subscribed to them."""
    closed = card_statements_close()
    sent = card_statements_send()
    logger.info("card statements", extra={"closed": closed, "sent": sent})
    return {"closed": closed, "sent": sent}

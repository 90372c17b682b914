"""Documents e-mailed once by a beat: a row per document to send, claimed before sending.

SMTP cannot join a database transaction, so delivery is at least once, not exactly once.
:func:`delivery_send_once` claims the row (committed) before sending and marks it sent
right after: a task redelivered within :data:`CLAIM_LEASE` skips a claimed row, and a
failed send releases the claim for the next run. Only a crash between the server
accepting the message and the one-row update that marks it sent makes a later run (after
the lease) send it again — a duplicate document, never a missing one.

The rows are models built on :class:`~products.models.EmailDelivery`: the monthly
estado de cuenta (``products.statements``) and, in the apps above, the card statement
(``cards.statements``)."""

from collections.abc import Callable
from datetime import timedelta

from django.db.models import F, Q
from django.utils import timezone

from products.models import EmailDelivery, VerifiedDocument

# A delivery claimed this recently is left alone: a task redelivered after a worker died
# does not send again. The beats run a day apart, well after the lease ends.
CLAIM_LEASE = timedelta(hours=6)


def delivery_send_once(
    delivery: EmailDelivery, send: Callable[[], tuple[str, VerifiedDocument]]
) -> bool:
    """Claims ``delivery`` and calls ``send()``, which e-mails the document and returns
    the address it went to and the document attached; then marks the row sent. Returns
    False, sending nothing, when the row was sent or another run holds the claim. When
    ``send`` raises, the claim is released and the exception propagates."""
    rows = type(delivery).objects.filter(pk=delivery.pk)
    now = timezone.now()
    claimed = (
        rows.filter(sent_at__isnull=True)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_LEASE))
        .update(claimed_at=now, attempts=F("attempts") + 1)
    )
    if not claimed:
        return False
    try:
        email, document = send()
    except Exception:
        rows.update(claimed_at=None)
        raise
    rows.update(sent_at=timezone.now(), email=email, document=document)
    return True

"""Outgoing notifications: e-mail through Django's backends, SMS through the same shape.

Production: SMTP (``EMAIL_URL``) and an HTTP SMS gateway (``SMS_GATEWAY_URL``).
Development: both write to the outbox folder, listed at ``/dev/outbox/`` so a person
trying the demo can read OTP codes and temporary credentials. Tests: in-memory.

A notice about something that happened (a lock, new credentials, a receipt) goes through
:func:`notify`, inside the transaction of the action it reports: it stores one
``Notification`` per channel and, once that transaction commits, a worker sends each one
(``core.tasks.deliver_notification``), retrying with backoff until it goes out or finally
fails, for staff to see in the admin. A message whose outcome the page must tell right
away (a security code) is sent in the request with :func:`notification_send`, each
channel on its own: a failing SMS gateway does not stop the e-mail, nor the other way
round. Both end in :func:`send_email` and :func:`send_sms`: every delivery updates the
channel's recent state in the shared cache (``channel_state``, shown by ``/healthz``) and
every failure is one structured log line; message bodies are never logged.
"""

import json
import logging
import secrets
import sys
import time
import urllib.error
import urllib.request
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path

from cryptography.fernet import InvalidToken
from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.module_loading import import_string

from core.crypto import decrypt, encrypt
from core.db.rows import Columns, Reading, reading_run, rows_inserting
from core.masking import mask_email, mask_number
from core.models import Notification

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SmsMessage:
    to: str
    body: str


class BaseSmsBackend(ABC):
    @abstractmethod
    def send_messages(self, messages: list[SmsMessage]) -> int:
        """Delivers ``messages`` and returns how many were sent."""


class ConsoleSmsBackend(BaseSmsBackend):
    def send_messages(self, messages):
        for message in messages:
            sys.stdout.write(f"SMS para {message.to}: {message.body}\n")
        return len(messages)


class LocmemSmsBackend(BaseSmsBackend):
    """Keeps messages in ``LocmemSmsBackend.outbox`` (tests)."""

    outbox: list[SmsMessage] = []

    def send_messages(self, messages):
        type(self).outbox.extend(messages)
        return len(messages)


class HttpSmsBackend(BaseSmsBackend):
    """Posts each message as JSON to the operator's gateway.

    Request: ``POST SMS_GATEWAY_URL`` with ``Authorization: Bearer SMS_GATEWAY_TOKEN`` and
    body ``{"to": "+593…", "from": SMS_SENDER, "text": "…"}``; any 2xx answer is success.
    Connecting and each read wait at most ``SMS_GATEWAY_TIMEOUT`` seconds (3 by default):
    a person is waiting for the page that sends their code.
    """

    def send_messages(self, messages):
        sent = 0
        for message in messages:
            payload = json.dumps(
                {"to": message.to, "from": settings.SMS_SENDER, "text": message.body}
            ).encode()
            request = urllib.request.Request(  # noqa: S310 - URL comes from settings
                settings.SMS_GATEWAY_URL,
                data=payload,
                method="POST",
                headers={
                    "Content-Type": "application/json",
                    "Authorization": f"Bearer {settings.SMS_GATEWAY_TOKEN}",
                },
            )
            timeout = settings.SMS_GATEWAY_TIMEOUT
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                if not 200 <= response.status < 300:
                    raise OSError(f"La pasarela SMS respondió {response.status}")
            sent += 1
        return sent


def _outbox_write(record: dict) -> None:
    outbox = Path(settings.OUTBOX_DIR)
    outbox.mkdir(parents=True, exist_ok=True)
    stamp = timezone.now().strftime("%Y%m%dT%H%M%S%f")
    path = outbox / f"{stamp}-{secrets.token_hex(4)}.json"
    path.write_text(json.dumps(record, ensure_ascii=False, indent=1))


class OutboxSmsBackend(BaseSmsBackend):
    def send_messages(self, messages):
        for message in messages:
            _outbox_write(
                {
                    "channel": "sms",
                    "to": message.to,
                    "subject": "",
                    "body": message.body,
                    "sent_at": timezone.now().isoformat(),
                }
            )
        return len(messages)


def _attachment_name(attachment) -> str:
    """The file name of an attachment (a tuple, or a MIME part built by the caller)."""
    if isinstance(attachment, tuple):
        return attachment[0] or ""
    return attachment.get_filename() or ""


class OutboxEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        for message in email_messages:
            _outbox_write(
                {
                    "channel": "email",
                    "to": ", ".join(message.to),
                    "subject": message.subject,
                    "body": message.body,
                    "attachments": [_attachment_name(a) for a in message.attachments],
                    "sent_at": timezone.now().isoformat(),
                }
            )
        return len(email_messages)


def outbox_messages(limit: int = 50) -> list[dict]:
    """The newest development-outbox messages first."""
    outbox = Path(settings.OUTBOX_DIR)
    if not outbox.exists():
        return []
    paths = sorted(outbox.glob("*.json"), reverse=True)[:limit]
    return [json.loads(p.read_text()) for p in paths]


def get_sms_backend() -> BaseSmsBackend:
    return import_string(settings.SMS_BACKEND)()


# --- the channels' recent state (for /healthz) ---------------------------------------------

CHANNELS = ("sms", "email")
_STATE_TIMEOUT = 7 * 24 * 3600


def _state_key(channel: str, field: str) -> str:
    return f"notifications:{channel}:{field}"


def _failure_detail(exc: BaseException) -> dict:
    """What staff need to tell a failure apart — never the message or its recipient."""
    if isinstance(exc, urllib.error.HTTPError):
        return {"error": "HTTPError", "status": exc.code}
    if isinstance(exc, urllib.error.URLError) and isinstance(exc.reason, BaseException):
        return {"error": type(exc.reason).__name__}
    return {"error": type(exc).__name__}


def _record(channel: str, *, started: float, failure: BaseException | None = None) -> None:
    """Keeps the channel's last success or failure and its count of consecutive failures
    in the shared cache, and logs a failure; a cache that is down only loses the state."""
    elapsed_ms = int((time.monotonic() - started) * 1000)
    now = timezone.now().isoformat()
    failures = 0
    try:
        if failure is None:
            cache.set_many(
                {_state_key(channel, "last_success"): now, _state_key(channel, "failures"): 0},
                timeout=_STATE_TIMEOUT,
            )
        else:
            cache.set(_state_key(channel, "last_failure"), now, timeout=_STATE_TIMEOUT)
            cache.add(_state_key(channel, "failures"), 0, timeout=_STATE_TIMEOUT)
            failures = cache.incr(_state_key(channel, "failures"))
    except Exception:
        logger.exception("notification state not recorded", extra={"channel": channel})
    if failure is not None:
        logger.warning(
            "notification not delivered",
            extra={
                "channel": channel,
                "backend": settings.SMS_BACKEND.rsplit(".", 1)[-1]
                if channel == "sms"
                else settings.EMAIL_BACKEND.rsplit(".", 1)[-1],
                "consecutive_failures": failures,
                "elapsed_ms": elapsed_ms,
                **_failure_detail(failure),
            },
        )


def channel_state(channel: str) -> dict:
    """``{"status": "ok" | "failing" | "unknown", "consecutive_failures": 2,
    "last_failure": "2026-…", "last_success": "2026-…"}`` — as this portal's processes
    last saw the channel."""
    values = cache.get_many(
        [_state_key(channel, f) for f in ("failures", "last_failure", "last_success")]
    )
    failures = values.get(_state_key(channel, "failures")) or 0
    last_success = values.get(_state_key(channel, "last_success"))
    if failures:
        status = "failing"
    elif last_success:
        status = "ok"
    else:
        status = "unknown"
    return {
        "status": status,
        "consecutive_failures": failures,
        "last_failure": values.get(_state_key(channel, "last_failure")),
        "last_success": last_success,
    }


def channels_failing() -> bool:
    """Whether the last delivery on every channel failed (nothing gets through now)."""
    return all(channel_state(channel)["status"] == "failing" for channel in CHANNELS)


# --- sending ----------------------------------------------------------------------------------


def send_sms(*, to: str, body: str) -> None:
    """Raises whatever the backend raised (after logging it) when the SMS was not sent."""
    started = time.monotonic()
    try:
        get_sms_backend().send_messages([SmsMessage(to=to, body=body)])
    except Exception as exc:
        _record("sms", started=started, failure=exc)
        raise
    _record("sms", started=started)
    logger.info("sms sent", extra={"channel": "sms"})


def send_email(
    *,
    to: list[str],
    subject: str,
    body: str,
    html: str | None = None,
    attachments: list[tuple[str, bytes, str]] | None = None,
) -> None:
    """``attachments``: ``(filename, content, mimetype)`` triples, e.g. a statement PDF.
    Raises whatever the backend raised (after logging it) when the e-mail was not sent."""
    message = EmailMultiAlternatives(subject=subject, body=body, to=to)
    if html:
        message.attach_alternative(html, "text/html")
    for filename, content, mimetype in attachments or ():
        message.attach(filename, content, mimetype)
    started = time.monotonic()
    try:
        message.send()
    except Exception as exc:
        _record("email", started=started, failure=exc)
        raise
    _record("email", started=started)
    logger.info("email sent", extra={"channel": "email"})


def notification_send(
    *, phone: str | None, email: str | None, subject: str, body: str
) -> frozenset[str]:
    """Sends ``body`` by SMS to ``phone`` and by e-mail to ``email`` (either may be
    missing), each on its own, and returns the channels that took it (``{"sms",
    "email"}``, one of them, or none). A channel that fails is logged, never raised."""
    delivered = set()
    if phone and _sent(send_sms, to=phone, body=body):
        delivered.add("sms")
    if email and _sent(send_email, to=[email], subject=subject, body=body):
        delivered.add("email")
    return frozenset(delivered)


def _sent(send, **message) -> bool:
    try:
        send(**message)
    except Exception:  # logged by send_sms / send_email; the other channel still goes
        return False
    return True


# --- stored notices, sent by a worker -------------------------------------------------------

# Seconds before the 2nd, 3rd… try: six tries over about two hours and twenty minutes. None
# is longer than an hour, the Redis transport's visibility timeout, so the broker never
# hands a waiting retry to a second worker.
RETRY_DELAYS = (60, 300, 900, 3600, 3600)
# A claim older than this belongs to a worker that died while sending: the row is taken
# again. A send waits at most SMS_GATEWAY_TIMEOUT / EMAIL_TIMEOUT seconds.
CLAIM_LEASE = timedelta(minutes=10)
# A pending row whose try is this overdue lost its task (a broker that dropped it, or was
# down when the action committed): the sweep queues it again.
SWEEP_AFTER = timedelta(minutes=10)
SWEEP_BATCH = 500


def notify(
    *,
    phone: str | None = None,
    email: str | None = None,
    subject: str = "",
    body: str,
    kind: str,
    secret: bool = False,
) -> list[Notification]:
    """Stores ``body`` for SMS to ``phone`` and e-mail to ``email`` (either may be
    missing) and, once the current transaction commits, queues each for a worker. Call it
    inside the transaction of the action it reports: rolled back, nothing is sent.

    ``kind`` names the notice for staff ("Credenciales temporales"); ``secret`` marks a
    body holding a secret (a temporary password), wiped even when the message finally
    fails. Recipient and body are stored encrypted; neither is ever logged."""
    return notify_many(
        [
            {
                "phone": phone,
                "email": email,
                "subject": subject,
                "body": body,
                "kind": kind,
                "secret": secret,
            }
        ]
    )


def notify_many(notices: list[dict]) -> list[Notification]:
    """:func:`notify` for many notices at once (a worker telling a run's members, a
    transfer telling its member and beneficiary), each one a dict of ``notify``'s
    arguments: the rows inserted in one statement."""
    rows = notification_rows(notices)
    if not rows:
        return rows
    return reading_run(notifications_storing(rows))


def notification_rows(notices: list[dict]) -> list[Notification]:
    """The rows of ``notices`` (dicts of :func:`notify`'s arguments), one per channel with
    a recipient, not stored yet: :func:`notifications_storing` stores them."""
    now = timezone.now()
    rows = []
    for notice in notices:
        phone, email = notice.get("phone"), notice.get("email")
        for channel, to, masked in (
            (Notification.Channel.SMS, phone, mask_number(phone or "")),
            (Notification.Channel.EMAIL, email, mask_email(email or "")),
        ):
            if not to:
                continue
            rows.append(
                Notification(
                    kind=notice["kind"][:60],
                    channel=channel,
                    recipient_masked=masked,
                    recipient_encrypted=encrypt(to),
                    subject=notice.get("subject", "")[:200],
                    body_encrypted=encrypt(notice["body"]),
                    secret=notice.get("secret", False),
                    created_at=now,
                    next_attempt_at=now,
                )
            )
    return rows


def notifications_storing(rows: list[Notification]) -> Reading[list[Notification]]:
    """Inserts ``rows`` (not empty) in one written INSERT, as a reading — to send it
    together with the action's own statements — and queues each once the transaction
    commits (or into the ``notifications_batched`` block's task)."""
    stored = yield from rows_inserting(rows)
    batch = _batch.get()
    for row in stored:
        if batch is None:
            transaction.on_commit(partial(_enqueue, row.pk))
        else:
            transaction.on_commit(partial(batch.append, row.pk))
    return stored


# The ids of the notices stored, and committed, inside ``notifications_batched``.
_batch: ContextVar[list[int] | None] = ContextVar("notifications_batch", default=None)


@contextmanager
def notifications_batched() -> Iterator[None]:
    """Within the block, the notices :func:`notify` stores are not queued one task each:
    the rows whose transaction committed go to one task when the block ends
    (``core.tasks.deliver_notifications``) — for a worker that tells many members at once
    (the scheduled payments of a run). Each row is still sent once, retried on its own,
    and swept if that task is lost. Nested blocks share the outer one's task."""
    if _batch.get() is not None:
        yield
        return
    ids: list[int] = []
    token = _batch.set(ids)
    try:
        yield
    finally:
        _batch.reset(token)
        if ids:
            _enqueue_many(ids)


def _enqueue(notification_id: int) -> None:
    """Hands the row to a worker. A broker that is down leaves it pending for the sweep:
    the action it reports has committed and is never turned into an error."""
    from core.tasks import deliver_notification

    try:
        deliver_notification.delay(notification_id)
    except Exception:
        logger.exception("notification not queued", extra={"notification_id": notification_id})


def _enqueue_many(notification_ids: list[int]) -> None:
    """Hands the rows to one worker's task; a broker that is down leaves them to the sweep."""
    from core.tasks import deliver_notifications

    try:
        deliver_notifications.delay(notification_ids)
    except Exception:
        logger.exception("notifications not queued", extra={"count": len(notification_ids)})


@dataclass(frozen=True)
class Delivery:
    """What one try did: ``sent``, ``skipped`` (already sent or failed, or another
    worker holds it), ``retry`` (in ``retry_in`` seconds) or ``failed`` (for good)."""

    outcome: str
    retry_in: int = 0


def notification_deliver(*, notification_id: int) -> Delivery:
    """One try at sending a stored notification.

    The row is claimed first by a conditional UPDATE (pending, and unclaimed or claimed
    longer than :data:`CLAIM_LEASE` ago), committed before the send: a task delivered
    twice, or two workers, send it once. A crash between the gateway taking the message
    and the one-row update that marks it sent makes a later try send it again — a rare
    duplicate notice, never a lost one."""
    now = timezone.now()
    claimed = (
        Notification.objects.filter(pk=notification_id, status=Notification.Status.PENDING)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_LEASE))
        .update(claimed_at=now, attempts=F("attempts") + 1)
    )
    if not claimed:
        return Delivery("skipped")
    row = Notification.objects.get(pk=notification_id)
    return _send_claimed(row)


_SENT_SQL = (
    "UPDATE core_notification SET status = %s, sent_at = %s, claimed_at = NULL, "
    "body_encrypted = '' WHERE id = %s"
)
_ROW = Columns(Notification, "core_notification")


def notifications_deliver(*, notification_ids: list[int]) -> dict[int, Delivery]:
    """:func:`notification_deliver` for a batch (``notifications_batched``): the rows
    claimed as one claims a row, in one statement that reads them back, committed before
    the first send; then each sent, and marked sent, on its own — a crash re-sends at
    most the one it was sending, as one at a time. Returns each row's ``Delivery``."""
    if not notification_ids:
        return {}
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE core_notification SET claimed_at = %s, attempts = attempts + 1 "  # noqa: S608 - no input in the text
            f"WHERE id IN ({', '.join(['%s'] * len(notification_ids))}) AND status = %s "
            "AND (claimed_at IS NULL OR claimed_at < %s) "
            f"RETURNING {_ROW.sql()}",
            [now, *notification_ids, Notification.Status.PENDING, now - CLAIM_LEASE],
        )
        claimed = {row.pk: row for row in map(_ROW.build, cursor.fetchall())}
    deliveries = {}
    for pk in notification_ids:
        if pk not in claimed:
            deliveries[pk] = Delivery("skipped")
            continue
        try:
            deliveries[pk] = _send_claimed(claimed[pk], mark=_mark_sent)
        except Exception:  # the database failed: claimed, pending, the sweep's after the lease
            logger.exception("notification not delivered", extra={"notification_id": pk})
            deliveries[pk] = Delivery("skipped")
    return deliveries


def _mark_sent(row: Notification) -> None:
    with connection.cursor() as cursor:
        cursor.execute(_SENT_SQL, [Notification.Status.SENT, timezone.now(), row.pk])


def _send_claimed(row: Notification, *, mark=None) -> Delivery:
    """Sends a row this worker claimed, and marks it sent (or to be tried again)."""
    try:
        to, body = decrypt(row.recipient_encrypted), decrypt(row.body_encrypted)
    except InvalidToken as exc:  # FIELD_ENCRYPTION_KEY changed: it can never be read
        return _finally_failed(row, exc)
    try:
        if row.channel == Notification.Channel.SMS:
            send_sms(to=to, body=body)
        else:
            send_email(to=[to], subject=row.subject, body=body)
    except Exception as exc:  # logged by send_sms / send_email
        return _try_failed(row, exc)
    if mark is not None:
        mark(row)
    else:
        Notification.objects.filter(pk=row.pk).update(
            status=Notification.Status.SENT,
            sent_at=timezone.now(),
            claimed_at=None,
            body_encrypted="",
        )
    return Delivery("sent")


def _error_label(exc: BaseException) -> str:
    detail = _failure_detail(exc)
    return " ".join(str(detail[k]) for k in ("error", "status") if k in detail)[:80]


def _try_failed(row: Notification, exc: BaseException) -> Delivery:
    if row.attempts > len(RETRY_DELAYS):
        return _finally_failed(row, exc)
    delay = RETRY_DELAYS[row.attempts - 1]
    Notification.objects.filter(pk=row.pk).update(
        claimed_at=None,
        last_error=_error_label(exc),
        next_attempt_at=timezone.now() + timedelta(seconds=delay),
    )
    return Delivery("retry", retry_in=delay)


def _finally_failed(row: Notification, exc: BaseException) -> Delivery:
    error = _error_label(exc)
    wiped = {"body_encrypted": ""} if row.secret else {}
    Notification.objects.filter(pk=row.pk).update(
        status=Notification.Status.FAILED, claimed_at=None, last_error=error, **wiped
    )
    logger.warning(
        "notification failed",
        extra={
            "notification": str(row.public_id),
            "kind": row.kind,
            "channel": row.channel,
            "attempts": row.attempts,
            "error": error,
        },
    )
    return Delivery("failed")


def notification_retry(*, notification: Notification) -> bool:
    """Staff's «Reintentar»: a failed notification goes out again with a fresh round of
    tries. False for one that is not failed, or whose text was wiped because it held a
    secret (new credentials are issued instead)."""
    retried = (
        Notification.objects.filter(pk=notification.pk, status=Notification.Status.FAILED)
        .exclude(body_encrypted="")
        .update(
            status=Notification.Status.PENDING,
            attempts=0,
            claimed_at=None,
            next_attempt_at=timezone.now(),
        )
    )
    if retried:
        transaction.on_commit(partial(_enqueue, notification.pk))
    return bool(retried)


def notifications_sweep(*, now: datetime | None = None) -> int:
    """Queues again the pending notifications whose task was lost: their try is more
    than :data:`SWEEP_AFTER` overdue and no live claim holds them. Returns how many."""
    now = now or timezone.now()
    stuck = list(
        Notification.objects.filter(
            status=Notification.Status.PENDING, next_attempt_at__lt=now - SWEEP_AFTER
        )
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_LEASE))
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    if stuck:
        Notification.objects.filter(pk__in=stuck).update(next_attempt_at=now)
        logger.warning("notifications queued again", extra={"count": len(stuck)})
        for notification_id in stuck:
            transaction.on_commit(partial(_enqueue, notification_id))
    return len(stuck)

"""Outgoing notifications: e-mail through Django's backends, SMS through the same shape.

Production: SMTP (``EMAIL_URL``) and an HTTP SMS gateway (``SMS_GATEWAY_URL``).
Development: both write to the outbox folder, listed at ``/dev/outbox/`` so a person
trying the demo can read OTP codes and temporary credentials. Tests: in-memory.

Callers use :func:`send_email` and :func:`send_sms`; message bodies are never logged.
"""

import json
import logging
import secrets
import sys
import urllib.request
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone
from django.utils.module_loading import import_string

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
    """

    timeout = 10

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
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
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


def send_sms(*, to: str, body: str) -> None:
    get_sms_backend().send_messages([SmsMessage(to=to, body=body)])
    logger.info("sms sent", extra={"channel": "sms"})


def send_email(
    *,
    to: list[str],
    subject: str,
    body: str,
    html: str | None = None,
    attachments: list[tuple[str, bytes, str]] | None = None,
) -> None:
    """``attachments``: ``(filename, content, mimetype)`` triples, e.g. a statement PDF."""
    message = EmailMultiAlternatives(subject=subject, body=body, to=to)
    if html:
        message.attach_alternative(html, "text/html")
    for filename, content, mimetype in attachments or ():
        message.attach(filename, content, mimetype)
    message.send()
    logger.info("email sent", extra={"channel": "email"})

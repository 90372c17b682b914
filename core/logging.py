"""Structured JSON logs on stdout, with secrets kept out of them.

Never logged: passwords, OTP codes, PINs, security answers, session ids, full card
numbers. Values of sensitive keys are replaced, and anything that looks like a card
number (13–19 digits passing Luhn) is masked as first six + X + last four
(``core.masking``).
"""

import contextvars
import logging

from core.masking import mask_card_numbers_in

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")

SENSITIVE_KEYS = frozenset(
    {
        "password",
        "password1",
        "password2",
        "new_password",
        "old_password",
        "otp",
        "code",
        "pin",
        "new_pin",
        "answer",
        "security_answer",
        "sessionid",
        "__host-sessionid",
        "csrftoken",
        "__host-csrftoken",
        "cp_device",
        "__host-cp_device",
        "session_key",
        "secret",
        "token",
        "card_number",
        "pan",
        "cvv",
    }
)
REDACTED = "[OCULTO]"


def redact(value):
    if isinstance(value, dict):
        return {
            k: (REDACTED if str(k).lower() in SENSITIVE_KEYS else redact(v))
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return type(value)(redact(v) for v in value)
    if isinstance(value, str):
        return mask_card_numbers_in(value)
    return value


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


class RedactSecretsFilter(logging.Filter):
    """Masks secrets in the message, its arguments and any ``extra`` fields."""

    _STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
        "message",
        "asctime",
        "request_id",
    }

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = mask_card_numbers_in(record.msg)
        if record.args:
            record.args = redact(record.args)
        for key in list(record.__dict__):
            if key in self._STANDARD:
                continue
            if key.lower() in SENSITIVE_KEYS:
                record.__dict__[key] = REDACTED
            else:
                record.__dict__[key] = redact(record.__dict__[key])
        return True

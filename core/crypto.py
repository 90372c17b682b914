"""Encryption for the few secrets the portal must read back (authenticator-app seeds),
and keyed digests for the values it must only recognise (card numbers).

Fernet (AES-128-CBC + HMAC-SHA256) with a key from ``FIELD_ENCRYPTION_KEY``, or derived
from ``SECRET_KEY`` with HKDF when that is not set. Changing the key makes stored values
unreadable: members would enroll their authenticator app again.
"""

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


@lru_cache(maxsize=4)
def _fernet(secret: str) -> Fernet:
    raw = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"cooprogreso-field-encryption"
    ).derive(secret.encode())
    return Fernet(base64.urlsafe_b64encode(raw))


def _key() -> str:
    return getattr(settings, "FIELD_ENCRYPTION_KEY", "") or settings.SECRET_KEY


def encrypt(text: str) -> str:
    return _fernet(_key()).encrypt(text.encode()).decode()


def decrypt(token: str) -> str:
    return _fernet(_key()).decrypt(token.encode()).decode()


@lru_cache(maxsize=8)
def _hmac_key(secret: str, purpose: str) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=f"cooprogreso-hmac:{purpose}".encode()
    ).derive(secret.encode())


def keyed_hash(value: str, *, purpose: str) -> str:
    """HMAC-SHA256 of ``value`` (hex) under a key derived for ``purpose`` from the same
    secret as ``encrypt``: for values the portal must recognise but never read back
    (card numbers). Without the key a stored digest cannot be brute-forced from the
    million numbers a card's BIN and last four digits leave open. Changing the key
    makes stored digests stop matching."""
    return hmac.new(_hmac_key(_key(), purpose), value.encode(), hashlib.sha256).hexdigest()

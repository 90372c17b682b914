"""Encryption for the few secrets the portal must read back (authenticator-app seeds).

Fernet (AES-128-CBC + HMAC-SHA256) with a key from ``FIELD_ENCRYPTION_KEY``, or derived
from ``SECRET_KEY`` with HKDF when that is not set. Changing the key makes stored values
unreadable: members would enroll their authenticator app again.
"""

import base64
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

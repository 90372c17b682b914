"""An authenticator app (TOTP, RFC 6238) as an optional second channel for codes.

The seed is stored encrypted (``core.crypto``); a code is accepted once — the
last used 30-second step is remembered with a conditional UPDATE, so a code seen over a
shoulder cannot be replayed in the same window.
"""

from datetime import UTC, datetime

import pyotp
import segno
from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_log
from accounts.models import AuthenticatorApp, User
from accounts.notices import security_change_notify
from core.crypto import decrypt, encrypt
from core.profile import cooperative_current


def _totp(app: AuthenticatorApp) -> pyotp.TOTP:
    return pyotp.TOTP(decrypt(app.secret_encrypted))


def authenticator_pending(*, user: User) -> AuthenticatorApp:
    """The app being set up (a fresh seed unless one is already waiting)."""
    app = AuthenticatorApp.objects.filter(user=user).first()
    if app is None:
        return AuthenticatorApp.objects.create(
            user=user, secret_encrypted=encrypt(pyotp.random_base32())
        )
    if app.confirmed_at is None:
        return app
    raise ValueError("the user already has an authenticator app")


def authenticator_qr(app: AuthenticatorApp) -> tuple[str, str]:
    """The provisioning QR (an SVG data URI, allowed by the CSP) and the seed to type."""
    secret = decrypt(app.secret_encrypted)
    uri = pyotp.TOTP(secret).provisioning_uri(
        name=app.user.username, issuer_name=cooperative_current().short_name
    )
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2), secret


def _matching_step(app: AuthenticatorApp, code: str) -> int | None:
    totp = _totp(app)
    now = timezone.now().timestamp()
    for offset in (0, -1, 1):
        moment = now + offset * totp.interval
        if totp.verify(code, for_time=moment, valid_window=0):
            return totp.timecode(datetime.fromtimestamp(moment, tz=UTC))
    return None


def authenticator_check_setup(app: AuthenticatorApp, code: str) -> bool:
    return _matching_step(app, (code or "").strip()) is not None


def authenticator_accepts(*, user: User, code: str) -> bool:
    """True — once — for a current code of the user's confirmed app."""
    app = AuthenticatorApp.objects.filter(user=user, confirmed_at__isnull=False).first()
    if app is None:
        return False
    step = _matching_step(app, (code or "").strip())
    if step is None:
        return False
    return bool(
        AuthenticatorApp.objects.filter(pk=app.pk, last_used_step__lt=step).update(
            last_used_step=step
        )
    )


def authenticator_confirm(*, user: User, app_id: int, request=None) -> None:
    with transaction.atomic():
        AuthenticatorApp.objects.filter(pk=app_id, user=user, confirmed_at__isnull=True).update(
            confirmed_at=timezone.now()
        )
        audit_log(event="authenticator_added", user=user, request=request)
        security_change_notify(user=user, what="se activó una app de autenticación")


def authenticator_remove(*, user: User, request=None) -> None:
    with transaction.atomic():
        AuthenticatorApp.objects.filter(user=user).delete()
        audit_log(event="authenticator_removed", user=user, request=request)
        security_change_notify(user=user, what="se desactivó tu app de autenticación")

"""Signing in: the password check with lockout, the decoy image, registered devices.

The sequence (views.py) is username → the member's security image → password → "¿Deseas
registrarlo?" for a new browser → factor de seguridad → home. Before the last step the
person is not signed in: the progress lives in the session and only the next step is
reachable.
"""

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.core import signing
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.audit import audit_log, client_ip
from accounts.devices import parse_device
from accounts.exceptions import LoginFailed
from accounts.models import Device, SecurityImage, User
from accounts.notices import security_change_notify
from accounts.sessions import user_sessions_end
from core.notifications import notify
from core.profile import cooperative_current

LOCK_AFTER = 3
# Branch staff (the admin): lockout after at most ten failures, lifted after 30 minutes.
STAFF_LOCK_AFTER = 10
STAFF_LOCK_DURATION = timedelta(minutes=30)
DEVICE_COOKIE_AGE = 400 * 24 * 3600
_DEVICE_SALT = "accounts.device"


def user_for_username(username: str) -> User | None:
    return (
        User.objects.select_related("security_image", "member")
        .filter(username__iexact=(username or "").strip())
        .first()
    )


def decoy_image(username: str) -> SecurityImage | None:
    """The same image every time for the same unknown username, so the page never tells
    whether a username exists."""
    images = list(SecurityImage.objects.order_by("position"))
    if not images:
        return None
    key = hashlib.sha256(("decoy:" + settings.SECRET_KEY).encode()).digest()
    digest = hmac.new(key, (username or "").strip().lower().encode(), hashlib.sha256).digest()
    return images[int.from_bytes(digest[:4], "big") % len(images)]


def _notify_locked(user_id: int) -> None:
    user = User.objects.select_related("member").get(pk=user_id)
    email = getattr(getattr(user, "member", None), "email", None) or user.email
    if email:
        coop = cooperative_current()
        notify(
            email=email,
            subject=f"{coop.short_name}: tu usuario fue bloqueado",
            body=(
                "Tu usuario fue bloqueado tras varios intentos fallidos de contraseña. "
                "Si fuiste tú, desbloquéalo con «Desbloquear tu usuario»; si no, "
                f"comunícate con el centro de llamadas {coop.call_center_phone}."
            ),
            kind="Usuario bloqueado",
        )


def login_check_password(*, username: str, password: str, request) -> User:
    """The user, if ``password`` is right and the user may sign in; ``LoginFailed``
    otherwise, with the same words and comparable time for every reason.

    The third consecutive wrong password locks the username from any address; after
    that even the right password is refused until it is unlocked. A success resets the
    count. Each try is *claimed* — the count raised by a conditional UPDATE that only
    succeeds while the user is unlocked and under the limit — before the password is
    compared, so parallel requests cannot make more guesses than the limit.
    """
    user = user_for_username(username)
    if user is None:
        make_password(password)  # spend the same time as a real check
        raise LoginFailed
    now = timezone.now()
    if user.is_staff and user.locked_at and now - user.locked_at > STAFF_LOCK_DURATION:
        User.objects.filter(pk=user.pk, locked_at=user.locked_at).update(
            locked_at=None, failed_login_count=0
        )
        user.locked_at, user.failed_login_count = None, 0
    limit = STAFF_LOCK_AFTER if user.is_staff else LOCK_AFTER
    expired = user.credentials_expire_at is not None and user.credentials_expire_at < now
    claimed = (
        user.is_active
        and not expired
        and User.objects.filter(
            pk=user.pk, locked_at__isnull=True, failed_login_count__lt=limit
        ).update(failed_login_count=F("failed_login_count") + 1)
    )
    password_ok = check_password(password, user.password)
    if not claimed:
        audit_log(event="login_failed", user=user, request=request, reason="not_allowed")
        raise LoginFailed
    if password_ok:
        User.objects.filter(pk=user.pk).update(failed_login_count=0)
        return user
    with transaction.atomic():
        user.refresh_from_db(fields=["failed_login_count"])
        audit_log(event="login_failed", user=user, request=request, reason="password")
        if user.failed_login_count >= limit:
            locked = User.objects.filter(pk=user.pk, locked_at__isnull=True).update(locked_at=now)
            if locked:
                user_sessions_end(user=user)
                audit_log(event="locked", user=user, request=request)
                _notify_locked(user.pk)
    raise LoginFailed


# --- registered devices ---------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def device_from_request(request, user: User) -> Device | None:
    signed = request.COOKIES.get(settings.DEVICE_COOKIE_NAME)
    if not signed:
        return None
    try:
        token = signing.loads(signed, salt=_DEVICE_SALT)
    except signing.BadSignature:
        return None
    return Device.objects.filter(
        user=user, token_hash=_token_hash(token), removed_at__isnull=True
    ).first()


def device_register(*, user: User, request, alias: str) -> tuple[Device, str]:
    """Registers this browser; returns the device and the signed cookie value to set."""
    token = secrets.token_urlsafe(32)
    info = parse_device(request.headers.get("User-Agent", ""))
    device = Device.objects.create(
        user=user,
        token_hash=_token_hash(token),
        alias=alias[:40],
        browser=info.browser,
        system=info.system,
        version=info.version,
        ip=client_ip(request),
    )
    audit_log(event="device_added", user=user, request=request, alias=device.alias)
    security_change_notify(user=user, what=f"se registró el dispositivo «{device.alias}»")
    return device, signing.dumps(token, salt=_DEVICE_SALT)


def device_remove(*, user: User, public_id, reason: str, request=None) -> bool:
    """ "Eliminar dispositivo": the browser is asked for a code again at its next sign-in.
    Returns whether it was still registered (a second tab may have removed it)."""
    with transaction.atomic():
        removed = Device.objects.filter(
            user=user, public_id=public_id, removed_at__isnull=True
        ).update(removed_at=timezone.now(), removed_reason=reason)
        if removed:
            audit_log(event="device_removed", user=user, request=request, reason=reason)
            security_change_notify(user=user, what="se eliminó un dispositivo registrado")
    return bool(removed)


def device_seen(device: Device, request) -> None:
    Device.objects.filter(pk=device.pk).update(last_seen_at=timezone.now(), ip=client_ip(request))


def credentials_lifetime() -> timedelta:
    return timedelta(days=3)

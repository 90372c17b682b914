"""Credential support: "Olvidé mi usuario", "Desbloquear tu usuario", "Olvidé mi contraseña".

Each flow identifies the member (identification, plus the username where the manual asks
for it), then confirms with a code sent to the member's registered channels. When the
data match nobody, the flow goes on exactly the same way with a *decoy* challenge that
sends nothing and accepts nothing, so the pages never reveal whether an account exists.
"""

import re

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_log
from accounts.credentials import remember_password
from accounts.models import Member, User
from accounts.notices import security_change_notify
from accounts.sessions import user_sessions_end
from core.notifications import notify
from core.profile import cooperative_current


def member_for_identification(id_number: str) -> Member | None:
    compact = re.sub(r"[\s.-]", "", id_number or "").upper()
    if not compact:
        return None
    return Member.objects.select_related("user").filter(id_number=compact).first()


def recovery_subject(*, id_number: str, username: str | None = None) -> User | None:
    """The user these data point to, or ``None`` — for any reason, told to nobody."""
    member = member_for_identification(id_number)
    user = member.user if member else None
    if user is None or not user.is_active or user.must_personalize:
        return None
    if username is not None and user.username.lower() != (username or "").strip().lower():
        return None
    return user


def _email_of(user: User) -> str | None:
    member = getattr(user, "member", None)
    return (member.email if member else None) or user.email or None


def _send_username(user_id: int) -> None:
    user = User.objects.select_related("member").get(pk=user_id)
    coop = cooperative_current()
    if email := _email_of(user):
        notify(
            email=email,
            subject=f"{coop.short_name}: tu usuario",
            body=f"Tu usuario de {coop.channel_name} es: {user.username}",
            kind="Usuario olvidado",
        )


def username_send(*, user: User, request=None) -> None:
    _send_username(user.pk)
    audit_log(event="username_sent", user=user, request=request)


def user_unlock(*, user: User, request=None, actor=None, reason: str = "") -> User:
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(locked_at=None, failed_login_count=0)
        audit_log(event="unlocked", user=user, actor=actor, request=request, reason=reason)
    user.refresh_from_db()
    return user


def password_set(
    *,
    user: User,
    password: str = "",
    password_hash: str = "",
    keep_session: str | None = None,
    request=None,
) -> User:
    """A new password (already validated), or its hash: it unlocks the user and ends every
    session of the user but ``keep_session`` (the member's own, on a change in Mi perfil;
    a reset keeps none)."""
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        remember_password(locked)
        locked.password = password_hash or make_password(password)
        locked.password_changed_at = timezone.now()
        locked.failed_login_count = 0
        locked.locked_at = None
        locked.save(
            update_fields=["password", "password_changed_at", "failed_login_count", "locked_at"]
        )
        user_sessions_end(user=locked, except_key=keep_session)
        audit_log(event="password_changed", user=locked, request=request)
        security_change_notify(user=locked, what="la contraseña de tu usuario fue actualizada")
    return locked

"""Telling members about changes to how they sign in, on the channels they had."""

from functools import partial

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from core.notifications import notification_send
from core.profile import cooperative_current


def _send(user_id: int, what: str) -> None:
    user = User.objects.select_related("member").get(pk=user_id)
    member = getattr(user, "member", None)
    coop = cooperative_current()
    text = (
        f"{coop.short_name}: {what} el {timezone.localtime():%d/%m/%Y a las %H:%M}. Si no "
        f"fuiste tú, llama de inmediato al {coop.call_center_phone}."
    )
    notification_send(
        phone=member.mobile_phone if member else None,
        email=(member.email if member else None) or user.email,
        subject=f"{coop.short_name}: cambio en tu seguridad",
        body=text,
    )


def security_change_notify(*, user: User, what: str) -> None:
    """After commit, e-mail and SMS: "{what} el 22/11/2026 a las 10:15. Si no fuiste tú…"."""
    transaction.on_commit(partial(_send, user.pk, what))

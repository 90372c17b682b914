"""Telling members about changes to how they sign in, on the channels they had."""

from django.utils import timezone

from accounts.models import User
from core.notifications import notify
from core.profile import cooperative_current


def _send(user_id: int, what: str) -> None:
    user = User.objects.select_related("member").get(pk=user_id)
    member = getattr(user, "member", None)
    coop = cooperative_current()
    text = (
        f"{coop.short_name}: {what} el {timezone.localtime():%d/%m/%Y a las %H:%M}. Si no "
        f"fuiste tú, llama de inmediato al {coop.call_center_phone}."
    )
    notify(
        phone=member.mobile_phone if member else None,
        email=(member.email if member else None) or user.email,
        subject=f"{coop.short_name}: cambio en tu seguridad",
        body=text,
        kind="Cambio de seguridad",
    )


def security_change_notify(*, user: User, what: str) -> None:
    """E-mail and SMS once the change commits: "{what} el 22/11/2026 a las 10:15. Si no
    fuiste tú…"."""
    _send(user.pk, what)

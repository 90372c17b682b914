"""Changes to a member's user and data: what branch staff do for members, each with a
recorded reason, and the member's own change of their contact data in Mi perfil."""

from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_log
from accounts.credentials import temporary_password, temporary_username
from accounts.exceptions import CompanyHasNoPortalUser
from accounts.models import Member, User
from accounts.recovery import user_unlock
from accounts.sessions import user_sessions_end
from core.notifications import notify
from core.profile import cooperative_current

TEMPORARY_CREDENTIALS_LIFETIME = timedelta(days=3)


def _send_credentials(member_id: int, username: str, password: str) -> None:
    member = Member.objects.get(pk=member_id)
    coop = cooperative_current()
    notify(
        email=member.email,
        subject=f"{coop.short_name}: tus credenciales temporales",
        body=(
            f"Estimado(a) {member.full_name}:\n\n"
            f"Tu usuario temporal para {coop.channel_name} es: {username}\n"
            f"Tu contraseña temporal es: {password}\n\n"
            "Vencen en 3 días. Al ingresar te pediremos personalizar tu usuario, tus "
            "preguntas e imagen de seguridad y tu contraseña."
        ),
        kind="Credenciales temporales",
        secret=True,
    )


def member_issue_credentials(
    *, member: Member, actor: User | None, reason: str, request=None
) -> User:
    """Creates the member's user, or resets it, with temporary credentials sent by e-mail.

    The password exists in clear only in the e-mail: stored encrypted until it is sent,
    then wiped (``core.notifications.notify``). A company has no member user: refused
    with :class:`CompanyHasNoPortalUser`.
    """
    if member.is_company:
        raise CompanyHasNoPortalUser()
    username = temporary_username()
    password = temporary_password()
    with transaction.atomic():
        user = User.objects.select_for_update().filter(member=member).first()
        if user is None:
            user = User.objects.create(
                username=username,
                first_name=member.first_names.split()[0],
                last_name=member.last_names.split()[0],
                email=member.email,
            )
            Member.objects.filter(pk=member.pk).update(user=user)
        user.password = make_password(password)
        user.must_personalize = True
        user.credentials_expire_at = timezone.now() + TEMPORARY_CREDENTIALS_LIFETIME
        user.locked_at = None
        user.failed_login_count = 0
        user.is_active = True
        user.save()
        user_sessions_end(user=user)  # whoever held the old password is signed out
        audit_log(
            event="staff_action",
            user=user,
            actor=actor,
            request=request,
            action="issue_credentials",
            reason=reason,
        )
        _send_credentials(member.pk, user.username, password)
    return user


def user_set_active(
    *, user: User, active: bool, actor: User | None, reason: str, request=None
) -> User:
    """ "Bloquear" / "Activar": a blocked user is signed out everywhere at once and cannot
    sign in until staff activate it; an old cookie stays signed out after "Activar"."""
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(is_active=active)
        if not active:
            user_sessions_end(user=user)
        audit_log(
            event="staff_action",
            user=user,
            actor=actor,
            request=request,
            action="activate" if active else "block",
            reason=reason,
        )
    user.refresh_from_db()
    return user


def staff_unlock(*, user: User, actor: User, reason: str, request=None) -> User:
    return user_unlock(user=user, actor=actor, reason=reason, request=request)


def personal_data_change(
    *, member: Member, user: User, email: str, mobile_phone: str, address: str, request=None
) -> None:
    """The member's e-mail, mobile phone and address (the user's e-mail follows), told on
    the channels the member had before the change."""
    with transaction.atomic():
        old = Member.objects.select_for_update().only("email", "mobile_phone").get(pk=member.pk)
        Member.objects.filter(pk=member.pk).update(
            email=email, mobile_phone=mobile_phone, address=address
        )
        User.objects.filter(pk=user.pk).update(email=email)
        audit_log(event="personal_data_changed", user=user, request=request)
        _notify_old_channels(old.email, old.mobile_phone)


def _notify_old_channels(email: str, phone: str) -> None:
    coop = cooperative_current()
    text = (
        f"{coop.short_name}: los datos de contacto de tu usuario fueron actualizados. "
        f"Si no fuiste tú, llama al {coop.call_center_phone}."
    )
    notify(
        phone=phone,
        email=email,
        subject=f"{coop.short_name}: datos actualizados",
        body=text,
        kind="Datos de contacto cambiados",
    )

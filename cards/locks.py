"""The member's own "Bloqueo temporal" of a card, and "Desbloquear".

The member's lock is a mark apart from the cooperative's status (``Card.status``, which
only staff change, ``card_set_status``): a locked card refuses purchases and withdrawals
like a blocked one, but the member lifts only their own mark. A card the cooperative
blocked stays blocked whatever the member does, and a member cannot lock or unlock a card
that is not active. Each change is audited and told to the member by e-mail and SMS.
"""

from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_log
from accounts.models import User
from cards.exceptions import (
    CardAlreadyLocked,
    CardBlockedByCooperative,
    CardCancelled,
    CardNotLocked,
)
from cards.models import Card
from core.notifications import notify
from core.profile import cooperative_current


def card_lock_check(*, card: Card, lock: bool) -> None:
    """Refuses what the member cannot do to ``card`` now, with the reason: locking a card
    already locked, unlocking one that is not, either on a card the cooperative blocked
    or cancelled."""
    if card.status == Card.Status.CANCELLED:
        raise CardCancelled
    if card.status == Card.Status.BLOCKED:
        raise CardBlockedByCooperative
    if lock and card.member_locked:
        raise CardAlreadyLocked
    if not lock and not card.member_locked:
        raise CardNotLocked


def card_member_lock(
    *, card: Card, lock: bool, user: User | None, channel: str = "web", request=None
) -> Card:
    """Sets (``lock``) or lifts the member's temporary lock on ``card``, under its row
    lock. Asking for the state the card is already in changes nothing and returns it (a
    replayed operation); otherwise the change is audited and the member notified once it
    commits. Never changes the cooperative's status."""
    with transaction.atomic():
        locked = (
            Card.objects.select_for_update(of=("self",))
            .select_related("member__user")
            .get(pk=card.pk)
        )
        if locked.member_locked == lock:
            return locked
        card_lock_check(card=locked, lock=lock)
        now = timezone.now()
        locked.locked_by_member_at = now if lock else None
        locked.save(update_fields=["locked_by_member_at"])
        audit_log(
            event="card_locked" if lock else "card_unlocked",
            user=locked.member.user,
            actor=user,
            request=request,
            card=locked.masked_number,
            channel=channel,
        )
        _notify(locked, lock=lock, at=now)
    return locked


def _notify(card: Card, *, lock: bool, at) -> None:
    coop = cooperative_current()
    moment = timezone.localtime(at)
    when = f"el {moment:%d/%m/%Y} a las {moment:%H:%M}"
    if lock:
        subject = f"{coop.short_name}: bloqueo temporal de tu tarjeta"
        what = (
            f"bloqueaste temporalmente tu tarjeta {card.masked_number} {when}. Mientras "
            f"siga bloqueada no se aprobarán consumos ni retiros con ella; puedes "
            f"desbloquearla en Tarjetas cuando quieras."
        )
    else:
        subject = f"{coop.short_name}: desbloqueo de tu tarjeta"
        what = f"desbloqueaste tu tarjeta {card.masked_number} {when}; ya puedes usarla."
    member = card.member
    warning = f"Si no fuiste tú, llama de inmediato al {coop.call_center_phone}."
    notify(
        email=member.email or (member.user.email if member.user else None),
        subject=subject,
        body=f"Hola {member.greeting_name}:\n\n{what[0].upper()}{what[1:]}\n\n{warning}",
        kind="Bloqueo de tarjeta",
    )
    notify(
        phone=member.mobile_phone,
        body=f"{coop.short_name}: {what} {warning}",
        kind="Bloqueo de tarjeta",
    )

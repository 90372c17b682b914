"""Transfer limits ("Personalización de cupos"): the cooperative's maximums per transfer type,
the member's own lower ones, and what the member has already sent in the day, the ISO week
and the month. ``transfers.services.transfer_execute`` checks them under the member's row
lock, so parallel transfers cannot together go past a limit.

The cooperative's limits are a catalog (``core.cached``): read once per process and
generation, read again everywhere as soon as staff save or delete one."""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_log
from accounts.models import Member
from accounts.notices import security_change_notify
from accounts.operations import Actor
from core.cached import catalog_cached, catalog_watch
from core.errors import DomainError
from core.money import format_money
from core.profile import cooperative_current
from transfers.models import MemberLimit, TransferKind, TransferLimit

PERIODS = (("daily", "diario"), ("weekly", "semanal"), ("monthly", "mensual"))


class LimitError(DomainError):
    message = "Revisa los montos de tus cupos."


class LimitExceeded(DomainError):
    message = "El monto supera tu cupo disponible."


def _currency() -> str:
    return cooperative_current().currency


@dataclass(frozen=True)
class Limits:
    kind: str
    daily: Decimal | None
    weekly: Decimal | None
    monthly: Decimal | None

    def get(self, period: str) -> Decimal | None:
        return getattr(self, period)


def period_starts(moment: datetime | None = None) -> dict[str, datetime]:
    """The start of the local day, ISO week (Monday) and month containing ``moment``."""
    local = timezone.localtime(moment or timezone.now())
    today = local.date()
    tz = local.tzinfo
    return {
        "daily": datetime.combine(today, time.min, tz),
        "weekly": datetime.combine(today - timedelta(days=today.weekday()), time.min, tz),
        "monthly": datetime.combine(today.replace(day=1), time.min, tz),
    }


@catalog_cached
def _cooperative_limits() -> dict[str, Limits]:
    return {
        row.kind: Limits(row.kind, row.daily, row.weekly, row.monthly)
        for row in TransferLimit.objects.all()
    }


catalog_watch(TransferLimit)


def cooperative_limits(kind: str) -> Limits:
    return _cooperative_limits().get(kind) or Limits(kind, None, None, None)


def limits_combine(*, kind: str, own: MemberLimit | Limits | None) -> Limits:
    """What applies to a member whose own limits for ``kind`` are ``own`` (``None``: they
    set none): their own amount where they set one, else the cooperative's (never more
    than the cooperative's)."""
    coop = cooperative_limits(kind)
    if own is None:
        return coop

    def lower(period: str) -> Decimal | None:
        mine, maximum = getattr(own, period), coop.get(period)
        return mine if maximum is None else min(mine, maximum)

    return Limits(kind, lower("daily"), lower("weekly"), lower("monthly"))


def member_limits(*, member: Member, kind: str) -> Limits:
    """What applies to ``member`` (``limits_combine``)."""
    own = MemberLimit.objects.filter(member=member, kind=kind).first()
    return limits_combine(kind=kind, own=own)


def limits_enforce(*, limits: Limits, totals: dict[str, Decimal], amount: Decimal) -> None:
    """Raises ``LimitExceeded`` naming the first of ``limits`` that ``amount`` would pass,
    given what the member already sent in each period (``totals``). The totals must be
    read under the member's lock for the check to hold until the transfer is written
    (``transfers.services.transfer_execute``)."""
    for period, word in PERIODS:
        limit = limits.get(period)
        if limit is not None and totals[period] + amount > limit:
            left = max(limit - totals[period], Decimal("0.00"))
            raise LimitExceeded(
                f"El monto supera tu cupo {word} de {format_money(limit, _currency())}: "
                f"te quedan {format_money(left, _currency())} disponibles."
            )


def limits_validate(*, kind: str, values: dict[str, Decimal]) -> Limits:
    """Raises ``LimitError`` unless ``values`` (per period) are positive amounts with two
    decimals, each at most the cooperative's, and daily ≤ weekly ≤ monthly; returns the
    cooperative's limits for ``kind``."""
    if kind not in TransferKind.values:
        raise LimitError
    coop = cooperative_limits(kind)
    for period, word in PERIODS:
        value, maximum = values[period], coop.get(period)
        if value < 0 or value != value.quantize(Decimal("0.01")):
            raise LimitError(
                f"El monto {word} no puede ser negativo y puede tener como máximo dos decimales."
            )
        if maximum is not None and value > maximum:
            raise LimitError(
                f"El monto {word} no puede superar el límite máximo de la cooperativa "
                f"({format_money(maximum, _currency())})."
            )
    if not values["daily"] <= values["weekly"] <= values["monthly"]:
        raise LimitError("El monto diario no puede superar el semanal, ni el semanal el mensual.")
    return coop


def member_limits_set(
    *, member: Member, kind: str, daily: Decimal, weekly: Decimal, monthly: Decimal
) -> MemberLimit | None:
    """The member's own limits for ``kind``; each at most the cooperative's. Amounts equal
    to the cooperative's remove the member's own row, so the member follows the
    cooperative's limits again (and any later raise of them)."""
    values = {"daily": daily, "weekly": weekly, "monthly": monthly}
    coop = limits_validate(kind=kind, values=values)
    with transaction.atomic():
        if all(values[period] == coop.get(period) for period, _ in PERIODS):
            MemberLimit.objects.filter(member=member, kind=kind).delete()
            return None
        row, _ = MemberLimit.objects.update_or_create(member=member, kind=kind, defaults=values)
    return row


def member_limits_update(
    *, member: Member, values: dict[str, dict[str, Decimal]], by: Actor | None = None
) -> None:
    """ "Guardar cambios" of "Personalización de cupos": every kind's amounts, all or
    nothing: a refused kind rolls back the ones saved before it. With ``by``, the change
    is audited in the same transaction and the member told once it commits."""
    with transaction.atomic():
        for kind, amounts in values.items():
            member_limits_set(member=member, kind=kind, **amounts)
        if by is not None and by.user is not None:
            audit_log(event="limits_changed", user=by.user, request=by.request)
            security_change_notify(user=by.user, what="se actualizaron tus cupos de transferencias")


def customizable_kinds() -> list[str]:
    """The kinds a member may set limits for: those the cooperative limits, transfers to
    other people first (own-account transfers are the member's own money)."""
    limited = set(_cooperative_limits())
    return [k for k in (TransferKind.INTERNAL, TransferKind.INTERBANK) if k in limited]

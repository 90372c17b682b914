"""Transfer limits ("Personalización de cupos"): the cooperative's maximums per transfer type,
the member's own lower ones, and what the member has already sent in the day, the ISO week
and the month. ``transfers.services.transfer_execute`` checks them under the member's row
lock, so parallel transfers cannot together go past a limit."""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from accounts.models import Member
from core.errors import DomainError
from core.money import format_money
from core.profile import cooperative_current
from transfers.models import MemberLimit, Transfer, TransferKind, TransferLimit

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


def cooperative_limits(kind: str) -> Limits:
    row = TransferLimit.objects.filter(kind=kind).first()
    if row is None:
        return Limits(kind, None, None, None)
    return Limits(kind, row.daily, row.weekly, row.monthly)


def member_limits(*, member: Member, kind: str) -> Limits:
    """What applies to ``member``: their own amount where they set one, else the
    cooperative's (never more than the cooperative's)."""
    coop = cooperative_limits(kind)
    own = MemberLimit.objects.filter(member=member, kind=kind).first()
    if own is None:
        return coop

    def lower(period: str) -> Decimal | None:
        mine, maximum = getattr(own, period), coop.get(period)
        return mine if maximum is None else min(mine, maximum)

    return Limits(kind, lower("daily"), lower("weekly"), lower("monthly"))


def sent_totals(*, member: Member, kind: str, moment: datetime | None = None) -> dict[str, Decimal]:
    """What ``member`` has sent of ``kind`` in the current day, week and month (refunded
    transfers do not count): one query."""
    starts = period_starts(moment)
    counted = Transfer.objects.filter(member=member, kind=kind).exclude(
        status=Transfer.Status.REJECTED
    )
    sums = counted.filter(created_at__gte=min(starts.values())).aggregate(
        **{
            period: Sum("amount", filter=Q(created_at__gte=start), default=Decimal("0.00"))
            for period, start in starts.items()
        }
    )
    return sums


def limits_check(*, member: Member, kind: str, amount: Decimal, moment: datetime | None = None):
    """Raises ``LimitExceeded`` naming the first limit ``amount`` would pass. Call under
    the member's lock for the check to hold until the transfer is written."""
    limits = member_limits(member=member, kind=kind)
    if all(limits.get(p) is None for p, _ in PERIODS):
        return
    totals = sent_totals(member=member, kind=kind, moment=moment)
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


def member_limits_update(*, member: Member, values: dict[str, dict[str, Decimal]]) -> None:
    """ "Guardar cambios" of "Personalización de cupos": every kind's amounts, all or
    nothing: a refused kind rolls back the ones saved before it."""
    with transaction.atomic():
        for kind, amounts in values.items():
            member_limits_set(member=member, kind=kind, **amounts)


def customizable_kinds() -> list[str]:
    """The kinds a member may set limits for: those the cooperative limits, transfers to
    other people first (own-account transfers are the member's own money)."""
    limited = set(TransferLimit.objects.values_list("kind", flat=True))
    return [k for k in (TransferKind.INTERNAL, TransferKind.INTERBANK) if k in limited]

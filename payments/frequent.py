""" "Pagos frecuentes": the billers and references a member saved with an alias ("Guardar
servicio"), to pay them again with one click.

A saved service holds no amount and moves no money: paying it goes through the same
"Nuevo Pago" dialog, which checks everything again. It is saved only with a reference
its biller accepts, once per biller and reference; removing it deletes it.
"""

from uuid import UUID

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.db.models.functions import Lower
from django.shortcuts import get_object_or_404

from accounts.audit import audit_log
from accounts.models import Member
from accounts.operations import Actor
from core.errors import DomainError
from payments.models import Biller, SavedService, ServiceCategory

ALIAS_MAX_LENGTH = 30
REFERENCE_MAX_LENGTH = SavedService._meta.get_field("reference").max_length


class SavedServiceError(DomainError):
    message = "No se pudo guardar el servicio."


class AlreadySaved(SavedServiceError):
    message = "Ya guardaste este servicio."


def saved_service_add(
    *,
    member: Member,
    biller: Biller,
    reference: str,
    alias: str = "",
    by: Actor | None = None,
) -> SavedService:
    """Saves ``biller`` and ``reference`` under ``alias`` (up to 30 characters; it may be
    empty, and the list then shows the biller's name). Refuses a reference the biller
    refuses, with the biller's own message, and a service already saved."""
    reference = reference.strip()
    alias = " ".join(alias.split())
    if not (biller.is_active and biller.category.is_active):
        raise SavedServiceError("Este servicio no está disponible.")
    error = biller.reference_error(reference)
    if error:
        raise SavedServiceError(error)
    if len(reference) > REFERENCE_MAX_LENGTH:
        raise SavedServiceError(
            f"{biller.reference_label} debe tener como máximo {REFERENCE_MAX_LENGTH} caracteres"
        )
    if len(alias) > ALIAS_MAX_LENGTH:
        raise SavedServiceError(f"El alias debe tener como máximo {ALIAS_MAX_LENGTH} caracteres.")
    if SavedService.objects.filter(member=member, biller=biller, reference=reference).exists():
        raise AlreadySaved
    try:
        with transaction.atomic():
            saved = SavedService.objects.create(
                member=member, biller=biller, reference=reference, alias=alias
            )
            _audit(by, "saved_service_added", saved)
    except IntegrityError as exc:  # the same service saved at once from another tab
        raise AlreadySaved from exc
    return saved


def saved_service_remove(
    *, member: Member, public_id: UUID | str, by: Actor | None = None
) -> SavedService:
    """Deletes one of the member's saved services and returns it (unsaved); a 404 for
    anyone else's."""
    saved = member_saved_service(member=member, public_id=public_id)
    with transaction.atomic():
        saved.delete()
        _audit(by, "saved_service_removed", saved)
    return saved


def member_saved_services(
    *,
    member: Member,
    category: ServiceCategory | None = None,
    biller: Biller | None = None,
) -> QuerySet[SavedService]:
    """The member's saved services that can be paid today (their biller and category
    active, in the active cooperative), by alias, with biller and category: one query."""
    rows = SavedService.objects.filter(
        member=member,
        biller__is_active=True,
        biller__category__is_active=True,
        biller__category__cooperative__is_active=True,
    ).select_related("biller__category")
    if category is not None:
        rows = rows.filter(biller__category=category)
    if biller is not None:
        rows = rows.filter(biller=biller)
    return rows.order_by(Lower("alias"), "biller__name", "reference", "pk")


def member_saved_service(*, member: Member, public_id: UUID | str) -> SavedService:
    """One of the member's saved services that can be paid; a 404 for anyone else's."""
    return get_object_or_404(member_saved_services(member=member), public_id=public_id)


def _audit(by: Actor | None, event: str, saved: SavedService) -> None:
    """The change in the member's activity log, in the caller's transaction."""
    if by is None or by.user is None:
        return
    audit_log(
        event=event,
        user=by.user,
        request=by.request,
        biller=saved.biller.name,
        alias=saved.alias,
    )

"""Reads of Pago de Servicios, always scoped to the owner where they are a member's.

The catalog is the active cooperative's (or the one named): active categories in menu
order, each with its active billers, and "Buscar servicio". Searching ignores accents
and case — "rocafuerte epapar" finds "ROCAFUERTE EPAPAR - AGUA", "telefonia" finds
"TELEFONÍA" — in Python over the cooperative's few dozen billers, so it reads the same
on PostgreSQL and SQLite.
"""

import unicodedata
from datetime import date, timedelta
from uuid import UUID

from django.db.models import Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import Member
from core.models import Cooperative
from ledger.selectors import day_start
from payments.models import Biller, BillPayment, ServiceCategory


def folded(text: str) -> str:
    """``text`` without accents, in lower case, its spaces collapsed: what searches compare."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.casefold().split())


def _catalog_billers(cooperative: Cooperative | None) -> QuerySet[Biller]:
    """Active billers of active categories of ``cooperative`` (the active one if None)."""
    rows = Biller.objects.filter(is_active=True, category__is_active=True)
    if cooperative is None:
        return rows.filter(category__cooperative__is_active=True)
    return rows.filter(category__cooperative=cooperative)


def service_categories(*, cooperative: Cooperative | None = None) -> list[ServiceCategory]:
    """The active categories in menu order, each with its active billers by name in
    ``active_billers``: two queries."""
    rows = ServiceCategory.objects.filter(is_active=True)
    if cooperative is None:
        rows = rows.filter(cooperative__is_active=True)
    else:
        rows = rows.filter(cooperative=cooperative)
    billers = Prefetch(
        "billers",
        queryset=Biller.objects.filter(is_active=True).order_by("name", "pk"),
        to_attr="active_billers",
    )
    return list(rows.order_by("position", "name", "pk").prefetch_related(billers))


def billers_search(
    *,
    text: str,
    category: ServiceCategory | None = None,
    cooperative: Cooperative | None = None,
) -> list[Biller]:
    """ "Buscar servicio": the active billers (of ``category``, if given) whose name holds
    every word of ``text``, whatever its accents and case; all of them for no text."""
    rows = _catalog_billers(cooperative).select_related("category")
    if category is not None:
        rows = rows.filter(category=category)
    words = folded(text).split()
    return [
        biller
        for biller in rows.order_by("category__position", "name", "pk")
        if all(word in folded(biller.name) for word in words)
    ]


def biller_get(*, public_id: UUID | str, cooperative: Cooperative | None = None) -> Biller:
    """One active biller of the catalog, with its category; a 404 for any other id."""
    return get_object_or_404(
        _catalog_billers(cooperative).select_related("category"), public_id=public_id
    )


def member_bill_payments(
    *,
    member: Member,
    category: ServiceCategory | None = None,
    biller: Biller | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    code: str = "",
) -> QuerySet[BillPayment]:
    """The member's payments, newest first ("Historial de pagos"), scheduled and manual
    alike and in every state, filtered by Categoría, Servicio, Fecha desde / Fecha hasta
    (local days, both included) and Código (the reference paid, or the Comprobante N.º)."""
    payments = BillPayment.objects.filter(member=member).select_related(
        "biller__category", "origin__product_type", "journal"
    )
    if category is not None:
        payments = payments.filter(biller__category=category)
    if biller is not None:
        payments = payments.filter(biller=biller)
    if date_from is not None:
        payments = payments.filter(created_at__gte=day_start(date_from))
    if date_to is not None:
        payments = payments.filter(created_at__lt=day_start(date_to + timedelta(days=1)))
    code = code.strip()
    if code:
        match = Q(reference=code)
        if code.isdigit() and len(code) <= 18:
            match |= Q(journal_id=int(code))
        payments = payments.filter(match)
    return payments.order_by("-created_at", "-pk")


def member_bill_payment(*, member: Member, public_id) -> BillPayment:
    """One of the member's payments; anybody else's answers 404."""
    return get_object_or_404(
        BillPayment.objects.select_related("biller__category", "origin__product_type", "journal"),
        member=member,
        public_id=public_id,
    )

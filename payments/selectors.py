"""Reading bill payments, always scoped to their owner."""

from datetime import date, timedelta

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import Member
from ledger.selectors import day_start
from payments.models import Biller, BillPayment, ServiceCategory


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

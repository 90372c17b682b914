"""Transferencias: the three kinds of transfer, each form → "Confirmar transferencia" →
factor de seguridad → "¡Transferencia exitosa!", and the transfers page with its
"Transacciones frecuentes" and latest transfers."""

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Max, OuterRef, Subquery
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from accounts.confirm import operation_view
from accounts.owners import request_member
from core.masking import mask_number
from core.money import format_money
from ledger.models import Posting
from transfers import operations
from transfers.beneficiaries import member_beneficiaries
from transfers.models import Transfer
from transfers.operations import transfer_url

RECENT = 10
FREQUENT = 5


@login_required
@require_safe
def index(request):
    """The three transfer options, the member's most used destinations and the latest
    transfers with their state (an interbank one goes Por enviar → Enviada → Acreditada)."""
    member = request_member(request)
    since = timezone.now() - timezone.timedelta(days=90)
    frequent_ids = (
        Transfer.objects.filter(member=member, created_at__gte=since, beneficiary__isnull=False)
        .values("beneficiary")
        .annotate(uses=Count("pk"), last=Max("created_at"))
        .order_by("-uses", "-last")[:FREQUENT]
    )
    ids = [row["beneficiary"] for row in frequent_ids]
    beneficiaries = {b.pk: b for b in member_beneficiaries(member=member).filter(pk__in=ids)}
    frequent = [
        {
            "beneficiary": b,
            "url": transfer_url(b),
            "account": mask_number(b.account_number),
        }
        for b in (beneficiaries[i] for i in ids if i in beneficiaries)
    ]
    debit = Posting.objects.filter(
        journal_id=OuterRef("journal_id"),
        account_id=OuterRef("origin__ledger_account_id"),
        amount_minor__gt=0,
    ).values("pk")[:1]
    recent = (
        Transfer.objects.filter(member=member)
        .select_related(
            "origin", "destination__product_type", "beneficiary__institution", "journal"
        )
        .annotate(debit_posting=Subquery(debit))
        .order_by("-created_at", "-pk")[:RECENT]
    )
    return render(
        request,
        "transfers/index.html",
        {
            "frequent": frequent,
            "recent": [
                (
                    t,
                    format_money(t.amount, t.currency),
                    reverse("products:receipt", args=[t.origin.public_id, t.debit_posting])
                    if t.debit_posting
                    else "",
                )
                for t in recent
            ],
        },
    )


transfer_own = operation_view(operations.transfer_own)
transfer_internal = operation_view(operations.transfer_internal)
transfer_interbank = operation_view(operations.transfer_interbank)

"""Pago de tarjetas: the cards a member can pay — their own credit cards and the cards they
registered — with "Buscar tarjeta" and "Agregar nueva tarjeta"; the dialogs of
"Registrar tarjeta" and of removing a registered card (``cards.payee_operations``), and the
payment dialog (``cards.payment_operations``)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_safe

from accounts.confirm import operation_view
from accounts.owners import request_member
from cards import payee_operations, payment_operations
from cards.payees import member_payable_cards, search_shown

payee_add = sensitive_post_parameters("numero_tarjeta")(
    operation_view(payee_operations.card_payee_add_kind)
)
payee_delete = operation_view(payee_operations.card_payee_delete_kind)
payment_new = operation_view(payment_operations.card_payment_kind)


@login_required
@require_safe
def payments(request):
    """ "Pago de tarjetas": the member's own credit cards and the cards they registered,
    searchable by beneficiary, institution, number or alias. Two queries (three with a
    search), however many cards. ``?tarjeta=`` (the card page's "Pagar tarjeta") opens
    the payment of that card."""
    member = request_member(request)
    if chosen := request.GET.get("tarjeta"):
        return redirect(f"{reverse('cards:payment_new')}?{urlencode({'tarjeta': chosen})}")
    search = " ".join(request.GET.get("q", "").split())[:60]
    return render(
        request,
        "cards/payments/index.html",
        {
            "cards": member_payable_cards(member=member, search=search),
            "search": search_shown(search),
            "pay_url": reverse("cards:payment_new"),
        },
    )

"""Diferir consumos: the member's credit cards to choose from, with the deferrals they
already have, and the deferral dialog of the chosen card
(``cards.defer_operations.CardDefer``)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_safe

from accounts.confirm import operation_view
from accounts.owners import request_member
from cards import defer_operations
from cards.deferral import card_deferrals, member_credit_cards

defer_card = operation_view(defer_operations.card_deferral)


@login_required
@require_safe
def defer(request):
    """ "Diferido tarjeta de crédito": each credit card with «Diferir consumos», and the
    deferrals made on them ("Mis diferidos")."""
    cards = member_credit_cards(member=request_member(request))
    return render(
        request,
        "cards/defer.html",
        {"cards": cards, "deferrals": card_deferrals(cards=cards)},
    )

"""Tarjetas: the member's debit and credit cards ("¿Qué deseas consultar?"), each card's
page with what can be done with it, its statements ("Extracto de tarjeta") as PDFs, and
the dialogs of "Bloqueo temporal" and "Desbloquear" (``cards.operations``)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_safe

from accounts.confirm import operation_view
from accounts.owners import request_member
from cards import operations
from cards.models import Card
from cards.selectors import (
    card_purchases,
    card_statements,
    member_card,
    member_card_statement,
    member_cards_with_purchases,
)
from cards.statements import statement_filename, statement_store
from core.ratelimit import rate_limited, too_many_requests

# What a member can do with a card, in the manuals' order: the URL name of the page that
# does it, its label, and the kinds of card it applies to. A link is shown once its page
# exists; the page takes the card as ``public_id`` in its path or, if its path has none,
# as ``?tarjeta=<public_id>``.
CARD_ACTIONS = (
    ("cards:pin_change", "Cambiar clave", {Card.Kind.DEBIT, Card.Kind.CREDIT}),
    ("cards:pin_recover", "Recuperar clave", {Card.Kind.DEBIT, Card.Kind.CREDIT}),
    ("cards:payments", "Pagar tarjeta", {Card.Kind.CREDIT}),
    ("cards:defer", "Diferir consumos", {Card.Kind.CREDIT}),
)
# A card the cooperative blocked can still be paid, nothing else.
WHILE_BLOCKED = {"cards:payments"}
CHOICES = {"credito": Card.Kind.CREDIT, "debito": Card.Kind.DEBIT}

lock = operation_view(operations.card_lock)
unlock = operation_view(operations.card_unlock)


def _card_url(name: str, card: Card) -> str | None:
    """The page ``name`` for ``card``, or ``None`` when the portal has no such page."""
    try:
        return reverse(name, kwargs={"public_id": card.public_id})
    except NoReverseMatch:
        pass
    try:
        return f"{reverse(name)}?{urlencode({'tarjeta': card.public_id})}"
    except NoReverseMatch:  # a section not built in this version
        return None


def card_actions(card: Card) -> list[tuple[str, str]]:
    """``(url, label)`` of what can be done with ``card`` now, in the manuals' order."""
    if card.status == Card.Status.CANCELLED:
        return []
    links = []
    for name, label, kinds in CARD_ACTIONS:
        if card.kind not in kinds:
            continue
        if card.status == Card.Status.BLOCKED and name not in WHILE_BLOCKED:
            continue
        url = _card_url(name, card)
        if url is not None:
            links.append((url, label))
    return links


@login_required
@require_safe
def index(request):
    """ "Tarjetas": choose what to see — the credit cards with their figures and latest
    purchases, or the debit cards. Two queries, however many cards."""
    cards = member_cards_with_purchases(member=request_member(request))
    credit = [card for card in cards if card.is_credit]
    debit = [card for card in cards if not card.is_credit]
    chosen = CHOICES.get(request.GET.get("ver", ""))
    if chosen is None:
        chosen = Card.Kind.CREDIT if credit or not debit else Card.Kind.DEBIT
    return render(
        request,
        "cards/index.html",
        {
            "chosen": chosen,
            "credit_cards": credit,
            "debit_cards": debit,
        },
    )


@login_required
@require_safe
def detail(request, public_id):
    """One card: its figures, what can be done with it, its latest purchases and its
    statements. Another member's card answers 404."""
    card = member_card(member=request_member(request), public_id=public_id)
    context = {
        "card": card,
        "actions": card_actions(card),
        "can_lock": card.status == Card.Status.ACTIVE and not card.member_locked,
        "can_unlock": card.status == Card.Status.ACTIVE and card.member_locked,
        "back_url": f"{reverse('cards:index')}?ver={'credito' if card.is_credit else 'debito'}",
    }
    if card.is_credit:
        context["purchases"] = card_purchases(card=card, limit=10)
        context["statements"] = card_statements(card=card)
    return render(request, "cards/card_detail.html", context)


@login_required
@require_safe
def statement_download(request, public_id, statement_id):
    """ "Extracto de tarjeta": one closed statement of one of the member's cards as a
    verifiable PDF, rendered once and then sent from storage."""
    statement = member_card_statement(
        member=request_member(request), card_id=public_id, statement_id=statement_id
    )
    if rate_limited(request, "export", per_ip=120, key=f"user:{request.user.pk}", per_key=30):
        return too_many_requests(request)
    response = HttpResponse(bytes(statement_store(statement).pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{statement_filename(statement)}"'
    return response

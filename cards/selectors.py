"""Reading members' cards, always scoped to their owner."""

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404

from accounts.models import Member
from cards.models import Card, CardPurchase, CardStatement
from cards.numbers import pan_digest
from cards.queries import member_cards_read
from products.models import DepositAccount

RECENT_PURCHASES = 5


def _cards():
    return Card.objects.select_related(
        "account__product_type", "revolving_account", "deferred_account"
    )


def member_cards(*, member: Member) -> list[Card]:
    """The member's cards that are not cancelled, credit before debit, each with its linked
    account or its two receivables: one query, however many cards."""
    return member_cards_read(member)


def member_card(*, member: Member, public_id) -> Card:
    """One of the member's cards; anybody else's answers 404."""
    return get_object_or_404(_cards(), member=member, public_id=public_id)


def card_purchases(*, card: Card, limit: int = 50) -> list[CardPurchase]:
    return list(card.purchases.order_by("-purchased_at", "-pk")[:limit])


def card_by_number(*, pan: str) -> Card | None:
    """The card with this full number, found by its keyed digest (for staff and the card
    processor's messages; never exposed to members)."""
    digits = "".join(pan.split()).replace("-", "")
    return _cards().filter(pan_hmac=pan_digest(digits)).first()


def member_cards_with_purchases(*, member: Member, recent: int = RECENT_PURCHASES) -> list[Card]:
    """``member_cards`` with each credit card's ``recent`` newest purchases as
    ``recent_purchases``: two queries, however many cards."""
    newest = CardPurchase.objects.order_by("-purchased_at", "-pk")
    return list(
        _cards()
        .filter(member=member)
        .exclude(status=Card.Status.CANCELLED)
        .order_by("kind", "issued_at", "pk")
        .prefetch_related(
            Prefetch("purchases", queryset=newest[:recent], to_attr="recent_purchases")
        )
    )


def card_statements(*, card: Card, limit: int = 12) -> list[CardStatement]:
    """The card's closed statements, newest first (a year of them)."""
    return list(card.statements.order_by("-statement_date", "-pk")[:limit])


def member_card_statement(*, member: Member, card_id, statement_id) -> CardStatement:
    """One closed statement of one of the member's cards; anybody else's answers 404."""
    return get_object_or_404(
        CardStatement.objects.select_related(
            "card__member", "card__revolving_account", "card__deferred_account"
        ),
        card__member=member,
        card__public_id=card_id,
        public_id=statement_id,
    )


def account_debit_cards(account: DepositAccount) -> dict:
    """The "Tarjeta débito" tab of an account (registered with ``products.account_tabs``
    by ``CardsConfig.ready``): the debit cards linked to it that are not cancelled; one
    query. ``account`` is already the owner's."""
    return {
        "account": account,
        "cards": list(
            Card.objects.filter(account=account, kind=Card.Kind.DEBIT)
            .exclude(status=Card.Status.CANCELLED)
            .order_by("issued_at", "pk")
        ),
    }

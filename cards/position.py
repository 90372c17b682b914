"""The cards' section of the consolidated position (registered with ``products.position``
by ``CardsConfig.ready``): the member's credit cards, then their debit cards, each family a
``core.tables`` table."""

from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from accounts.models import Member
from cards.models import Card
from cards.queries import member_cards_reading
from core.db.rows import Reading
from core.tables import Column, amount_column, day, html


def _credit_number(card: Card):
    if card.status == Card.Status.ACTIVE and not card.member_locked:
        return card.masked_number
    return SafeString(
        f'{html(card.masked_number)} <span class="badge">{html(card.status_label)}</span>'
    )


def _currency(card: Card) -> str:
    return card.revolving_account.currency


CREDIT_COLUMNS = (
    Column(_("Marca"), lambda c: c.get_brand_display()),
    Column(_("Número"), _credit_number),
    amount_column(_("Utilizado rotativo"), lambda c: c.revolving_used, _currency),
    amount_column(_("Pago mínimo"), lambda c: c.minimum_payment, _currency),
    Column(_("Fecha máx. de pago"), lambda c: day(c.payment_due, "—")),
    amount_column(_("Utilizado diferido"), lambda c: c.deferred_used, _currency),
    amount_column(_("Cupo disponible"), lambda c: c.available_limit, _currency),
)

DEBIT_COLUMNS = (
    Column(_("Marca"), lambda c: c.get_brand_display()),
    Column(_("Número"), lambda c: c.masked_number),
    Column(_("Cuenta"), lambda c: f"{c.account.product_type.name} {c.account.number}"),
    Column(_("Estado"), lambda c: c.status_label),
)


def member_cards_position(member: Member) -> Reading[dict]:
    """The section's cards, credit before debit, and the columns of each table: a reading
    of one statement (``core.db.rows``)."""
    cards = yield from member_cards_reading(member)
    return {
        "credit_cards": [card for card in cards if card.is_credit],
        "credit_columns": CREDIT_COLUMNS,
        "debit_cards": [card for card in cards if not card.is_credit],
        "debit_columns": DEBIT_COLUMNS,
    }

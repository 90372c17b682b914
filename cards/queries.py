"""The member's cards, read with written SQL (as ``products/queries.py`` reads their
accounts): compiling the ORM's query, three joined models wide, cost the consolidated
position more than running it."""

from functools import cache

from accounts.models import Member
from cards.models import Card
from core.db.rows import Columns, Reading, columns_sql, reading_run, rows_cut
from ledger.models import Account
from products.models import DepositAccount
from products.queries import product_types

_CARDS = (
    Columns(Card, "c"),
    Columns(DepositAccount, "d"),
    Columns(Account, "r"),
    Columns(Account, "f"),
)


@cache
def _cards_sql() -> str:
    return (
        f"SELECT {columns_sql(_CARDS)} FROM cards_card c "  # noqa: S608 - no input in the text
        "LEFT JOIN products_depositaccount d ON d.id = c.account_id "
        "LEFT JOIN ledger_account r ON r.id = c.revolving_account_id "
        "LEFT JOIN ledger_account f ON f.id = c.deferred_account_id "
        "WHERE c.member_id = %s AND c.status <> %s "
        "ORDER BY c.kind, c.issued_at, c.id"
    )


def member_cards_read(member: Member) -> list[Card]:
    """The member's cards that are not cancelled, credit before debit, each with its linked
    account (and its type) or its two receivables: one query, however many cards."""
    return reading_run(member_cards_reading(member))


def member_cards_reading(member: Member) -> Reading[list[Card]]:
    """``member_cards_read`` as a reading (``core.db.rows``)."""
    rows = yield _cards_sql(), [member.pk, Card.Status.CANCELLED]
    types = product_types()
    cards = []
    for card, account, revolving, deferred in rows_cut(rows, _CARDS):
        if account is not None:
            account.product_type = types[account.product_type_id]
            card.account = account
        if revolving is not None:
            card.revolving_account = revolving
        if deferred is not None:
            card.deferred_account = deferred
        card.member = member
        cards.append(card)
    return cards

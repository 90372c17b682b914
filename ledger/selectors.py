"""Reading the ledger: balances (stored, O(1)), movements (keyset pages), receipts,
and the running totals that limits are checked against."""

import base64
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import Q, Sum
from django.utils import timezone

from core.db.rows import Columns, rows_read
from core.money import from_minor
from ledger.models import Account, Journal, Posting

DEBITS = "debits"
CREDITS = "credits"


@dataclass(frozen=True)
class Movement:
    posting_id: int
    journal_id: int
    created_at: datetime
    value_date: date
    kind: str
    kind_label: str
    channel_label: str
    motive: str
    description: str
    amount: Decimal  # from the holder's side: money in positive, money out negative
    is_debit: bool
    balance_after: Decimal


@dataclass(frozen=True)
class MovementPage:
    items: list[Movement]
    next_cursor: str | None


def _cursor_encode(posting: Posting) -> str:
    raw = f"{posting.created_at.isoformat()}|{posting.pk}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _cursor_decode(cursor: str) -> tuple[datetime, int]:
    try:
        moment, pk = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        return datetime.fromisoformat(moment), int(pk)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError("invalid cursor") from exc


def day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def movements(
    *,
    account: Account,
    date_from: date | None = None,
    date_to: date | None = None,
    direction: str | None = None,
    cursor: str | None = None,
    limit: int = 10,
) -> MovementPage:
    """An account's movements, newest first, ``limit`` at a time (keyset pagination on
    the ``(account, created_at, id)`` index: page 1,000 costs what page 1 costs).

    Written SQL (``core.db.rows``): an account's page is read on every visit to it, and
    compiling the ORM's version — the posting and its journal, filters and cursor — cost
    more Python than PostgreSQL took to run it."""
    adapt = connection.ops.adapt_datetimefield_value
    where, params = ["p.account_id = %s"], [account.pk]
    if date_from is not None:
        where.append("p.created_at >= %s")
        params.append(adapt(day_start(date_from)))
    if date_to is not None:
        where.append("p.created_at < %s")
        params.append(adapt(day_start(date_to + timedelta(days=1))))
    if direction == DEBITS:
        where.append("p.amount_minor > 0")
    elif direction == CREDITS:
        where.append("p.amount_minor < 0")
    if cursor:
        moment, pk = _cursor_decode(cursor)
        where.append("(p.created_at < %s OR (p.created_at = %s AND p.id < %s))")
        params += [adapt(moment), adapt(moment), pk]
    sql = (
        f"SELECT {_POSTING_JOURNAL[0].sql()}, {_POSTING_JOURNAL[1].sql()} "  # noqa: S608 - no input in the text
        "FROM ledger_posting p JOIN ledger_journal j ON j.id = p.journal_id "
        f"WHERE {' AND '.join(where)} ORDER BY p.created_at DESC, p.id DESC LIMIT %s"
    )
    rows = []
    for posting, journal in rows_read(sql, [*params, limit + 1], _POSTING_JOURNAL):
        posting.journal = journal
        rows.append(posting)
    items = [_movement(account, p) for p in rows[:limit]]
    next_cursor = _cursor_encode(rows[limit - 1]) if len(rows) > limit else None
    return MovementPage(items=items, next_cursor=next_cursor)


_POSTING_JOURNAL = (Columns(Posting, "p"), Columns(Journal, "j"))


def _movement(account: Account, posting: Posting) -> Movement:
    journal = posting.journal
    return Movement(
        posting_id=posting.pk,
        journal_id=journal.pk,
        created_at=posting.created_at,
        value_date=journal.value_date,
        kind=journal.kind,
        kind_label=journal.get_kind_display(),
        channel_label=journal.get_channel_display(),
        motive=journal.motive,
        description=posting.description,
        amount=from_minor(account.normal_delta(posting.amount_minor)),
        is_debit=posting.amount_minor > 0,
        balance_after=from_minor(posting.balance_after_minor),
    )


def journal_get(*, journal_id: int) -> Journal:
    return Journal.objects.select_related("actor", "reverses").get(pk=journal_id)


def journal_postings(*, journal: Journal) -> list[Posting]:
    return list(journal.postings.select_related("account").order_by("pk"))


def debit_total(*, account_ids: Iterable[int], kinds: Sequence[str], since: datetime) -> Decimal:
    """The sum of debits on ``account_ids`` by journals of ``kinds`` since ``since``:
    what a member has already sent today / this week / this month, for limits."""
    total = (
        Posting.objects.filter(
            account_id__in=list(account_ids),
            amount_minor__gt=0,
            created_at__gte=since,
            journal__kind__in=list(kinds),
        ).aggregate(total=Sum("amount_minor"))["total"]
        or 0
    )
    return from_minor(total)


def book_balance(code: str, currency: str) -> Decimal:
    """A book's balance: its root plus all its shards."""
    root = f"{code}:{currency}"
    total = (
        Account.objects.filter(Q(code=root) | Q(parent__code=root)).aggregate(
            total=Sum("balance_minor")
        )["total"]
        or 0
    )
    return from_minor(total)

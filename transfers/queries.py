"""The reads of ``transfer_execute``, written out.

Compiling an ORM query costs about a millisecond of Python on a small server — more than
PostgreSQL takes to run it — and a transfer used to compile a dozen. These three
statements are the whole of what a transfer reads (besides the catalogs, which come from
the process's copy): they run on PostgreSQL and SQLite alike, take their column lists from
the models, and return model instances and amounts converted exactly as the ORM would.

1. ``member_locking``: the member's row lock, which serializes the member's transfers,
   and the new transfer's id.
2. ``order_rows_reading``: the origin and destination accounts with their ledger
   accounts, and the beneficiary, read again after the lock. Their product types and
   the beneficiary's institution are catalogs too: every extra table in the join costs
   PostgreSQL more planning than the whole read costs to run.
3. ``sent_reading``: what the member already sent that the rules count (the limits' day,
   week and month, the funds-origin window, a new payee's first payments), their own
   limits for the kind and the transfer already made with the idempotency key.

All three are readings (``core.db.rows``), sent together: the server runs both reads once
the lock is held, so they see every transfer of the member committed before.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache

from django.db import connection

from accounts.models import Member
from core.cached import catalog_cached, catalog_watch
from core.db.ids import next_id_sql
from core.db.rows import Columns, Reading, columns_sql, converted
from ledger.models import Account
from products.models import DepositAccount, ProductType
from transfers.models import Beneficiary, Institution, MemberLimit, Transfer

ZERO = Decimal("0.00")


def member_locking(member_id: int) -> Reading[int]:
    """Locks the member's row until the transaction ends and gives an id for the
    transfer: a reading (``core.db.rows``) — a statement sent with it runs once the lock
    is held, and sees what committed before."""
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    rows = yield (
        f"SELECT {next_id_sql(Transfer)} FROM accounts_member WHERE id = %s{lock}",  # noqa: S608 - no input in the text
        [member_id],
    )
    if not rows:
        raise Member.DoesNotExist
    return rows[0][0]


_ROWS = (
    Columns(DepositAccount, "o"),
    Columns(Account, "ol"),
    Columns(DepositAccount, "d"),
    Columns(Account, "dl"),
    Columns(Beneficiary, "b"),
)
_ROWS_FROM = """
    FROM products_depositaccount o
    JOIN ledger_account ol ON ol.id = o.ledger_account_id
    LEFT JOIN products_depositaccount d ON d.id = %s
    LEFT JOIN ledger_account dl ON dl.id = d.ledger_account_id
    LEFT JOIN transfers_beneficiary b ON b.id = %s
    WHERE o.id = %s
"""


@catalog_cached
def _product_types() -> dict[int, ProductType]:
    return ProductType.objects.in_bulk()


@catalog_cached
def _institutions() -> dict[int, Institution]:
    return Institution.objects.in_bulk()


catalog_watch(ProductType)
catalog_watch(Institution)


@cache
def _rows_sql() -> str:
    select = columns_sql(_ROWS)
    return f"SELECT {select} {_ROWS_FROM}"


def order_rows_reading(
    *, origin_id: int, destination_id: int | None, beneficiary_id: int | None
) -> Reading[tuple[DepositAccount, DepositAccount | None, Beneficiary | None]]:
    """The accounts (with their ledger account and, from the catalog, product type) and
    the beneficiary (with its institution from the catalog, and its account when it is
    the destination), in one query: a reading (``core.db.rows``)."""
    rows = yield _rows_sql(), [destination_id, beneficiary_id, origin_id]
    if not rows:
        raise DepositAccount.DoesNotExist
    row = rows[0]
    built, start = [], 0
    for columns in _ROWS:
        built.append(columns.build(row[start : start + len(columns)]))
        start += len(columns)
    origin, origin_ledger, destination, destination_ledger, beneficiary = built
    product_types = _product_types()
    origin.ledger_account = origin_ledger
    origin.product_type = product_types[origin.product_type_id]
    if destination is not None:
        destination.ledger_account = destination_ledger
        destination.product_type = product_types[destination.product_type_id]
    if beneficiary is not None:
        if beneficiary.institution_id is not None:
            beneficiary.institution = _institutions()[beneficiary.institution_id]
        if destination is not None and beneficiary.account_id == destination.pk:
            beneficiary.account = destination
    return origin, destination, beneficiary


@dataclass(frozen=True)
class Sent:
    """What ``sent_reading`` found."""

    done: int | None  # the transfer already made with the idempotency key
    periods: dict[str, Decimal]  # of the kind, since each period's start
    own: tuple[Decimal, Decimal, Decimal] | None  # the member's daily, weekly, monthly
    window: dict[str, Decimal]  # per currency, since the window's start
    window_other: int  # transfers in the window in any other currency
    to_payee: Decimal  # to the payee since ``payee_since``


_SAME_PAYEE = {
    Beneficiary.Kind.INTERNAL: "t.destination_id = %s",
    Beneficiary.Kind.EXTERNAL: (
        "t.beneficiary_id IN (SELECT id FROM transfers_beneficiary "
        "WHERE member_id = %s AND institution_id = %s AND account_number = %s)"
    ),
}


def sent_reading(
    *,
    member_id: int,
    kind: str,
    periods: dict[str, datetime],
    window_since: datetime | None = None,
    currencies: tuple[str, ...] = (),
    payee: Beneficiary | None = None,
    payee_since: datetime | None = None,
    key: str = "",
) -> Reading[Sent]:
    """One query over the member's transfers since the earliest start asked for (refunded
    ones do not count), on the ``(member, kind, created_at)`` index; with the member's own
    limits for ``kind`` and the transfer of ``key``. ``payee``: also what went to the
    account behind it since ``payee_since`` — through it or an earlier beneficiary row
    for the same account, so removing and registering a payee again opens no allowance."""
    adapt = connection.ops.adapt_datetimefield_value
    columns, params = [], []

    def total(condition: str, *values) -> None:
        columns.append(f"COALESCE(SUM(t.amount) FILTER (WHERE {condition}), 0.00)")
        params.extend(values)

    for start in periods.values():
        total("t.kind = %s AND t.created_at >= %s", kind, adapt(start))
    kinds, since = [kind], list(periods.values())
    if window_since is not None:
        kinds, since = _all_kinds(), [*since, window_since]
        for currency in currencies:
            total("t.created_at >= %s AND t.currency = %s", adapt(window_since), currency)
        marks = ", ".join(["%s"] * len(currencies))
        columns.append(
            f"COUNT(*) FILTER (WHERE t.created_at >= %s AND t.currency NOT IN ({marks}))"
        )
        params += [adapt(window_since), *currencies]
    if payee is not None:
        kinds, since = _all_kinds(), [*since, payee_since]
        same = (
            [payee.account_id]
            if payee.kind == Beneficiary.Kind.INTERNAL
            else [payee.member_id, payee.institution_id, payee.account_number]
        )
        total(f"t.created_at >= %s AND {_SAME_PAYEE[payee.kind]}", adapt(payee_since), *same)
    for period in periods:
        columns.append(
            f"(SELECT {period} FROM transfers_memberlimit WHERE member_id = %s AND kind = %s)"  # noqa: S608 - no input in the text
        )
        params += [member_id, kind]
    if key:
        columns.append('(SELECT id FROM transfers_transfer WHERE "key" = %s)')
        params.append(key)
    marks = ", ".join(["%s"] * len(kinds))
    sql = (
        f"SELECT {', '.join(columns)} FROM transfers_transfer t "  # noqa: S608 - no input in the text
        f"WHERE t.member_id = %s AND t.kind IN ({marks}) AND t.created_at >= %s "
        "AND t.status <> %s"
    )
    params += [member_id, *kinds, adapt(min(since)), Transfer.Status.REJECTED]
    rows = yield sql, params
    values = iter(rows[0])
    amount = Transfer._meta.get_field("amount")
    sums = {period: converted(next(values), amount) for period in periods}
    window = {currency: converted(next(values), amount) for currency in currencies}
    window_other = next(values) if window_since is not None else 0
    to_payee = converted(next(values), amount) if payee is not None else ZERO
    own = tuple(converted(next(values), MemberLimit._meta.get_field(p)) for p in periods)
    return Sent(
        done=next(values) if key else None,
        periods=sums,
        own=None if own[0] is None else own,
        window=window,
        window_other=window_other,
        to_payee=to_payee,
    )


def _all_kinds() -> list[str]:
    return [kind for kind, _ in Transfer._meta.get_field("kind").choices]

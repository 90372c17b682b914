"""The reads of a scheduled bill's payment, written out.

Compiling an ORM query costs about a millisecond of Python on a small server — more than
PostgreSQL takes to run it — and the beat's run of a schedule compiled a dozen, most of
them joining four or five tables (``transfers/queries.py`` says the same of a transfer).
These statements read the same rows in one round trip each, take their column lists from
the models and build instances converted exactly as the ORM would (``core.db.rows``), on
PostgreSQL and SQLite alike:

- ``schedule_read``: a schedule with its member, origin account (its ledger account and
  product type) and biller (its category and cooperative) — the beat's read of each
  schedule, fresh for each one, so the funds it checks are the account's current ones;
- ``schedules_read``: the same for a run's chunk of schedules, in one query;
- ``order_read``: what ``BillPay.execute`` reads before paying: the owner's account by
  its public id (anybody else's: none) and the biller;
- ``payments_of_key_and_bill``: the payment a key made and the other payments of the
  same bill (``bill_pay``'s one read before the hold);
- ``payment_locked``: a payment under its row lock with everything its capture, release
  or notice reads (``payments.services``).
"""

from functools import cache

from django.db import connection

from accounts.models import Member
from core.db.rows import Columns, columns_sql, rows_read
from core.models import Cooperative
from ledger.models import Account, Hold
from payments.models import Biller, BillPayment, PaymentSchedule, ServiceCategory
from products.models import DepositAccount, ProductType

_BILLER = (Columns(Biller, "b"), Columns(ServiceCategory, "c"), Columns(Cooperative, "co"))
_BILLER_FROM = """
    JOIN payments_biller b ON b.id = {biller}
    JOIN payments_servicecategory c ON c.id = b.category_id
    JOIN cooprogreso_cooperative co ON co.id = c.cooperative_id
"""
_ORIGIN = (Columns(DepositAccount, "o"), Columns(Account, "ol"), Columns(ProductType, "pt"))


def _biller(biller: Biller, category: ServiceCategory, cooperative: Cooperative) -> Biller:
    category.cooperative = cooperative
    biller.category = category
    return biller


def _origin(origin: DepositAccount, ledger: Account, product_type: ProductType) -> DepositAccount:
    origin.ledger_account = ledger
    origin.product_type = product_type
    return origin


_SCHEDULE = (Columns(PaymentSchedule, "s"), Columns(Member, "m"), *_ORIGIN, *_BILLER)


@cache
def _schedule_sql() -> str:
    return (
        f"SELECT {columns_sql(_SCHEDULE)} FROM payments_paymentschedule s "  # noqa: S608 - no input in the text
        "JOIN accounts_member m ON m.id = s.member_id "
        "JOIN products_depositaccount o ON o.id = s.origin_id "
        "JOIN ledger_account ol ON ol.id = o.ledger_account_id "
        "JOIN products_producttype pt ON pt.id = o.product_type_id "
        f"{_BILLER_FROM.format(biller='s.biller_id')} WHERE s.id = %s"
    )


def schedule_read(schedule_id: int) -> PaymentSchedule | None:
    """The schedule with its member, origin (ledger account, product type) and biller
    (category, cooperative), read now; ``None`` when there is no such schedule."""
    rows = rows_read(_schedule_sql(), [schedule_id], _SCHEDULE)
    if not rows:
        return None
    [[schedule, member, origin, ledger, product_type, biller, category, coop]] = rows
    schedule.member = member
    schedule.origin = _origin(origin, ledger, product_type)
    schedule.biller = _biller(biller, category, coop)
    return schedule


def schedules_read(schedule_ids: list[int]) -> list[PaymentSchedule]:
    """:func:`schedule_read` for many schedules in one query (a run's chunk), in id
    order; those that do not exist are left out."""
    if not schedule_ids:
        return []
    sql = _schedule_sql().replace(
        "WHERE s.id = %s", f"WHERE s.id IN ({', '.join(['%s'] * len(schedule_ids))}) ORDER BY s.id"
    )
    schedules = []
    for schedule, member, origin, ledger, product_type, biller, category, coop in rows_read(
        sql, list(schedule_ids), _SCHEDULE
    ):
        schedule.member = member
        schedule.origin = _origin(origin, ledger, product_type)
        schedule.biller = _biller(biller, category, coop)
        schedules.append(schedule)
    return schedules


_ORDER = (*_BILLER, *_ORIGIN)


@cache
def _order_sql() -> str:
    return (
        f"SELECT {columns_sql(_ORDER)} FROM (SELECT 1) one "  # noqa: S608 - no input in the text
        f"{_BILLER_FROM.format(biller='%s')}"
        "LEFT JOIN products_depositaccount o ON o.member_id = %s AND o.public_id = %s "
        "LEFT JOIN ledger_account ol ON ol.id = o.ledger_account_id "
        "LEFT JOIN products_producttype pt ON pt.id = o.product_type_id"
    )


def order_read(
    *, member_id: int, origin_public_id, biller_id: int
) -> tuple[DepositAccount | None, Biller | None]:
    """The member's account of ``origin_public_id`` (``None`` when it is not theirs) with
    its ledger account and product type, and the biller with its category and
    cooperative (``None`` when there is no such biller), in one query."""
    public_id = DepositAccount._meta.get_field("public_id").get_db_prep_value(
        origin_public_id, connection
    )
    rows = rows_read(_order_sql(), [biller_id, member_id, public_id], _ORDER)
    if not rows:
        return None, None
    [[biller, category, coop, origin, ledger, product_type]] = rows
    if origin is not None:
        origin = _origin(origin, ledger, product_type)
    return origin, _biller(biller, category, coop)


_PAYMENT = Columns(BillPayment, "p")


@cache
def _payments_sql(with_bill: bool) -> str:
    bill = " OR (p.biller_id = %s AND p.reference = %s AND p.bill_number = %s)"
    return (
        f"SELECT {_PAYMENT.sql()} FROM payments_billpayment p "  # noqa: S608 - no input in the text
        f"WHERE p.{connection.ops.quote_name('key')} = %s{bill if with_bill else ''}"
    )


def payments_of_key_and_bill(
    *, key: str, biller_id: int, reference: str, bill_number: str
) -> list[BillPayment]:
    """The payment ``key`` made, if any, and — for a bill (``bill_number``) — every
    payment of the same bill, in any state."""
    params = [key, biller_id, reference, bill_number] if bill_number else [key]
    return [
        payment for (payment,) in rows_read(_payments_sql(bool(bill_number)), params, (_PAYMENT,))
    ]


_LOCKED = (
    _PAYMENT,
    Columns(DepositAccount, "o"),
    Columns(Account, "ol"),
    Columns(Member, "m"),
    Columns(Hold, "h"),
    *_BILLER,
)


@cache
def _locked_sql() -> str:
    features = connection.features
    lock = ""
    if features.has_select_for_update:
        lock = " FOR UPDATE OF p" if features.has_select_for_update_of else " FOR UPDATE"
    return (
        f"SELECT {columns_sql(_LOCKED)} FROM payments_billpayment p "  # noqa: S608 - no input in the text
        "JOIN products_depositaccount o ON o.id = p.origin_id "
        "JOIN ledger_account ol ON ol.id = o.ledger_account_id "
        "JOIN accounts_member m ON m.id = p.member_id "
        "LEFT JOIN ledger_hold h ON h.id = p.hold_id "
        f"{_BILLER_FROM.format(biller='p.biller_id')} WHERE p.id = %s{lock}"
    )


def payment_locked(payment_id: int) -> BillPayment:
    """The payment under its row lock (until the transaction ends), with its origin and
    the origin's ledger account, its member, its hold and its biller (category,
    cooperative)."""
    rows = rows_read(_locked_sql(), [payment_id], _LOCKED)
    if not rows:
        raise BillPayment.DoesNotExist
    [[payment, origin, ledger, member, hold, biller, category, coop]] = rows
    origin.ledger_account = ledger
    payment.origin = origin
    payment.member = member
    payment.hold = hold
    payment.biller = _biller(biller, category, coop)
    return payment

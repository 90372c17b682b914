from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ledger.models import Account, Kind
from ledger.selectors import CREDITS, DEBITS, debit_total, movements
from ledger.services import Line, journal_post
from tests.ledger.conftest import deposit, refreshed

D = Decimal


def send(source, target, amount, key, kind=Kind.TRANSFER_INTERNAL):
    journal_post(
        key=key,
        kind=kind,
        lines=[
            Line.debit(source, D(amount), "ND TRANSFERENCIA"),
            Line.credit(target, D(amount), "NC"),
        ],
    )


def test_movements_come_newest_first_with_running_balances(maria_savings, gabriel_savings):
    send(maria_savings, gabriel_savings, "10.00", "t1")
    send(gabriel_savings, maria_savings, "2.50", "t2")
    page = movements(account=refreshed(maria_savings))
    assert [(m.description, m.amount, m.balance_after, m.is_debit) for m in page.items] == [
        ("NC", D("2.50"), D("92.50"), False),
        ("ND TRANSFERENCIA", D("-10.00"), D("90.00"), True),
        ("DEPÓSITO AHORROS", D("100.00"), D("100.00"), False),
    ]
    assert page.next_cursor is None


def test_movements_filter_debits_and_credits(maria_savings, gabriel_savings):
    send(maria_savings, gabriel_savings, "10.00", "t1")
    assert [m.amount for m in movements(account=maria_savings, direction=DEBITS).items] == [
        D("-10.00")
    ]
    assert [m.amount for m in movements(account=maria_savings, direction=CREDITS).items] == [
        D("100.00")
    ]


def test_movements_filter_by_date_range(cash, gabriel_savings):
    for day in (1, 2, 3):
        with time_machine.travel(
            timezone.make_aware(timezone.datetime(2026, 10, day, 10)), tick=False
        ):
            deposit(cash, gabriel_savings, f"{day}.00")
    page = movements(
        account=gabriel_savings,
        date_from=timezone.datetime(2026, 10, 2).date(),
        date_to=timezone.datetime(2026, 10, 2).date(),
    )
    assert [m.amount for m in page.items] == [D("2.00")]


def test_keyset_pages_walk_every_movement_once_at_a_constant_cost(cash, gabriel_savings):
    for n in range(35):
        deposit(cash, gabriel_savings, "1.00", key=f"d{n}")
    seen, cursor, costs = [], None, []
    while True:
        with CaptureQueriesContext(connection) as queries:
            page = movements(account=gabriel_savings, cursor=cursor, limit=10)
        costs.append(len(queries))
        seen += [m.posting_id for m in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 35
    assert seen == sorted(seen, reverse=True)
    assert set(costs) == {1}


def test_a_forged_cursor_is_refused(gabriel_savings):
    with pytest.raises(ValueError):
        movements(account=gabriel_savings, cursor="not-a-cursor")


def test_debit_totals_count_only_the_kinds_and_period_asked(maria_savings, gabriel_savings):
    send(maria_savings, gabriel_savings, "10.00", "t1")
    send(maria_savings, gabriel_savings, "5.00", "t2", kind=Kind.TRANSFER_INTERBANK)
    start = timezone.now() - timedelta(hours=1)
    ids = [maria_savings.pk]
    assert debit_total(account_ids=ids, kinds=[Kind.TRANSFER_INTERNAL], since=start) == D("10.00")
    assert debit_total(
        account_ids=ids, kinds=[Kind.TRANSFER_INTERNAL, Kind.TRANSFER_INTERBANK], since=start
    ) == D("15.00")
    assert debit_total(
        account_ids=ids, kinds=[Kind.TRANSFER_INTERNAL], since=timezone.now() + timedelta(seconds=1)
    ) == D("0.00")


def test_reading_a_balance_is_one_row(maria_savings):
    with CaptureQueriesContext(connection) as queries:
        account = Account.objects.get(pk=maria_savings.pk)
        assert account.available == D("100.00")
    assert len(queries) == 1

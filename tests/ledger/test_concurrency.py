"""Jepsen-style tests on real PostgreSQL: threads with their own connections move money
at once while readers sum balances. Money is conserved, nothing goes negative, no
deadlock or serialization error reaches a caller, and each key posts once."""

import random
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection, connections

from ledger.audit import ledger_check
from ledger.exceptions import InsufficientFunds
from ledger.models import Journal, Kind
from ledger.services import Line, journal_post
from tests.ledger.conftest import deposit, open_savings, refreshed

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

D = Decimal


def in_threads(n: int, work):
    """Runs ``work(i)`` in ``n`` threads, each on its own database connection."""
    barrier = threading.Barrier(n)

    def run(i):
        try:
            barrier.wait()
            return work(i)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))


def test_random_transfers_conserve_money_and_never_go_negative(cash):
    accounts = [open_savings() for _ in range(5)]
    for account in accounts:
        deposit(cash, account, "100.00")
    expected_total = sum(refreshed(a).balance_minor for a in accounts)
    refused = []
    sums_seen = []
    stop = threading.Event()

    def mover(i):
        rng = random.Random(i)
        for n in range(60):
            a, b = rng.sample(accounts, 2)
            amount = D(rng.randint(1, 4000)) / 100
            try:
                journal_post(
                    key=f"jepsen-{i}-{n}",
                    kind=Kind.TRANSFER_INTERNAL,
                    lines=[Line.debit(a, amount, "ND"), Line.credit(b, amount, "NC")],
                )
            except InsufficientFunds:
                refused.append(1)

    def reader():
        while not stop.is_set():
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT sum(balance_minor) FROM ledger_account WHERE id = ANY(%s)",
                    [[a.pk for a in accounts]],
                )
                sums_seen.append(cursor.fetchone()[0])
        connection.close()

    watcher = threading.Thread(target=reader)
    watcher.start()
    try:
        in_threads(6, mover)
    finally:
        stop.set()
        watcher.join()

    assert set(sums_seen) == {expected_total}  # every snapshot saw the same total
    assert sum(refreshed(a).balance_minor for a in accounts) == expected_total
    assert all(refreshed(a).balance_minor >= 0 for a in accounts)
    assert Journal.objects.filter(idempotency_key__startswith="jepsen-").count() == 360 - len(
        refused
    )
    assert ledger_check().ok


def test_draining_one_account_at_once_lets_exactly_what_it_holds_through(cash):
    source = open_savings()
    deposit(cash, source, "100.00")
    targets = [open_savings() for _ in range(10)]

    def withdraw(i):
        try:
            journal_post(
                key=f"drain-{i}",
                kind=Kind.TRANSFER_INTERNAL,
                lines=[
                    Line.debit(source, D("30.00"), "ND"),
                    Line.credit(targets[i], D("30.00"), "NC"),
                ],
            )
            return "ok"
        except InsufficientFunds:
            return "refused"

    outcomes = in_threads(10, withdraw)
    assert outcomes.count("ok") == 3
    assert refreshed(source).balance == D("10.00")
    assert ledger_check().ok


def test_opposite_transfers_at_once_do_not_deadlock(cash):
    a, b = open_savings(), open_savings()
    deposit(cash, a, "500.00")
    deposit(cash, b, "500.00")

    def ping_pong(i):
        first, second = (a, b) if i % 2 else (b, a)
        for n in range(40):
            journal_post(
                key=f"pingpong-{i}-{n}",
                kind=Kind.TRANSFER_INTERNAL,
                lines=[
                    Line.debit(first, D("1.00"), "ND"),
                    Line.credit(second, D("1.00"), "NC"),
                    Line.debit(first, D("0.05"), "IVA"),
                    Line.credit(cash, D("0.05"), "IVA"),
                ],
            )

    in_threads(8, ping_pong)  # a deadlock would raise in a thread and fail here
    assert refreshed(a).balance + refreshed(b).balance == D("1000.00") - D("0.05") * 320
    assert ledger_check().ok


def test_one_key_sent_by_many_requests_at_once_posts_once(cash):
    source, target = open_savings(), open_savings()
    deposit(cash, source, "100.00")

    def double_click(i):
        return journal_post(
            key="double-click",
            kind=Kind.TRANSFER_INTERNAL,
            lines=[Line.debit(source, D("10.00"), "ND"), Line.credit(target, D("10.00"), "NC")],
        )

    results = in_threads(8, double_click)
    assert len({r.journal_id for r in results}) == 1
    assert sum(not r.replayed for r in results) == 1
    assert refreshed(source).balance == D("90.00")


def test_one_key_reused_at_once_for_different_accounts_is_a_conflict_not_a_reversal(cash):
    from ledger.exceptions import IdempotencyConflict

    pairs = [(open_savings(), open_savings()) for _ in range(6)]
    for source, _ in pairs:
        deposit(cash, source, "10.00")

    def post(i):
        source, target = pairs[i]
        try:
            journal_post(
                key="reused",
                kind=Kind.TRANSFER_INTERNAL,
                lines=[Line.debit(source, D("1.00"), "ND"), Line.credit(target, D("1.00"), "NC")],
            )
            return "posted"
        except IdempotencyConflict:
            return "conflict"

    outcomes = in_threads(6, post)
    assert sorted(outcomes) == ["conflict"] * 5 + ["posted"]


def test_one_hold_key_placed_at_once_on_different_accounts_is_a_conflict(cash):
    from ledger.exceptions import IdempotencyConflict
    from ledger.services import hold_place

    accounts = [open_savings() for _ in range(6)]
    for account in accounts:
        deposit(cash, account, "10.00")

    def place(i):
        try:
            hold_place(account=accounts[i], amount=D("1.00"), key="same-hold", description="x")
            return "held"
        except IdempotencyConflict:
            return "conflict"

    assert sorted(in_threads(6, place)) == ["conflict"] * 5 + ["held"]
    assert ledger_check().ok

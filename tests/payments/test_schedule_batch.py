"""The beat's chunk of schedules paid in phases (``payments.batch.schedules_run``): the
rows are the ones the one-bill way (``schedule_run``) writes, bill for bill; two bills of
one account are checked against what the earlier one holds; a bill another run began
goes the one-bill way; a fault in a phase sends its bills the one-bill way, and nothing
is paid twice; two chunks at once pay each bill once."""

import importlib
import re
from contextlib import ExitStack
from datetime import datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from accounts.models import Operation
from core.crypto import decrypt
from core.models import Notification
from ledger.models import Account, Hold, Journal, Kind
from payments import batch
from payments.batch import schedules_run
from payments.models import BillPayment, PaymentSchedule, ScheduleNotice, SimulatedBillerPayment
from payments.network import SimulatedBillerNetwork, simulated_bills
from payments.schedules import schedule_run
from payments.services import bill_quote
from tests.payments.conftest import (
    ONE_BILL,
    assert_ledger_ok,
    balances,
    open_funded,
    scheduled,
)

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

D = Decimal
THURSDAY = datetime(2026, 3, 5, 7, 0)


@pytest.fixture
def thursday(db):
    with time_machine.travel(timezone.make_aware(THURSDAY), tick=False):
        yield


def one_bill_reference(n: int, *, most: str = "20.00", least: str = "1.00") -> str:
    """The ``n``-th reference (from 1) with one pending bill of ``least`` to ``most``."""
    found = 0
    for i in range(10_000_000, 10_100_000):
        reference = f"{i:08d}"
        if int(reference[-1]) % 2 == 0 or reference[-4:] in ("9999", "7777", "5555"):
            continue
        amount = simulated_bills(reference)[0].amount
        if D(least) <= amount <= D(most):
            found += 1
            if found == n:
                return reference
    raise AssertionError("no such reference")


def total_of(reference: str, biller) -> Decimal:
    return bill_quote(biller=biller, amount=simulated_bills(reference)[0].amount).total


def _journal(journal_id):
    if journal_id is None:
        return None
    journal = Journal.objects.get(pk=journal_id)
    return (
        journal.kind,
        journal.channel,
        journal.motive,
        journal.idempotency_key,
        journal.actor_id,
        journal.source_type,
        sorted(journal.postings.values_list("account_id", "amount_minor", "description")),
    )


def _numbered(text: str) -> str:
    return re.sub(r"N\.º \d+", "N.º #", text)


def snapshot(schedules) -> dict:
    """Everything a run writes for ``schedules``, the ids and the moments it chose left
    out (so two runs of the same bills compare equal)."""
    ids = [s.pk for s in schedules]
    keys = Operation.objects.filter(purpose="bill_payment")
    operations = []
    for o in keys.order_by("key"):
        result = dict(o.result)
        for payment in result.get("payments", []):
            payment["journal"] = payment["journal"] is not None
        if "message" in result:
            result["message"] = _numbered(result["message"])
        operations.append(
            (
                o.key,
                o.state,
                o.error,
                o.summary,
                o.review,
                o.notes,
                o.attempts,
                o.channel,
                o.created_by_id,
                o.owner_id,
                decrypt(o.payload_encrypted) if o.payload_encrypted else "",
                o.digest,
                result,
                o.executed_at is not None,
                o.expires_at - o.created_at,
            )
        )
    payments = []
    for p in BillPayment.objects.order_by("key"):
        hold = Hold.objects.get(pk=p.hold_id) if p.hold_id else None
        payments.append(
            (
                p.key,
                p.state,
                p.member_id,
                p.origin_id,
                p.biller_id,
                p.reference,
                p.bill_number,
                p.description,
                p.amount,
                p.commission,
                p.iva,
                p.total,
                p.currency,
                p.channel,
                p.created_by_id,
                p.schedule_id,
                p.network_reference,
                p.reason,
                p.resolved_at is not None,
                p.next_check_at is not None,
                p.checks,
                hold
                and (
                    hold.account_id,
                    hold.amount_minor,
                    hold.status,
                    hold.idempotency_key,
                    hold.description,
                    hold.source_type,
                    hold.expires_at,
                    hold.journal_id is not None,
                ),
                _journal(p.journal_id),
            )
        )
    notices = sorted(
        ScheduleNotice.objects.filter(schedule_id__in=ids).values_list(
            "schedule_id", "bill_number", "reason", "amount", "detail"
        )
    )
    mails = sorted(
        (n.channel, n.subject, _numbered(decrypt(n.body_encrypted)), decrypt(n.recipient_encrypted))
        for n in Notification.objects.filter(kind="Pago programado")
    )
    stamps = sorted(
        (s.pk, s.last_run_at, s.last_paid_at) for s in PaymentSchedule.objects.filter(pk__in=ids)
    )
    accounts = sorted(Account.objects.values_list("id", "balance_minor", "held_minor"))
    network = sorted(
        SimulatedBillerPayment.objects.values_list(
            "key", "outcome", "reason", "network_reference", "amount"
        )
    )
    return {
        "operations": operations,
        "payments": payments,
        "notices": notices,
        "mails": mails,
        "stamps": stamps,
        "accounts": accounts,
        "network": network,
    }


@pytest.fixture
def chunk(member, water, thursday):
    """Six schedules of María — paid, over the maximum, no funds, refused, the biller
    silent then confirming, the biller never knowing — and one of two bills of one
    account of which only the first fits."""
    rich = open_funded(member, amount="500.00")
    poor = open_funded(member, amount="3.00")
    refs = [one_bill_reference(n, least="4.00") for n in range(1, 8)]
    first_fits = open_funded(
        member, amount=str(total_of(refs[5], water) + total_of(refs[6], water) - D("0.01"))
    )
    schedules = {
        "paid": scheduled(member, rich, water, ONE_BILL),
        "over_max": scheduled(member, rich, water, refs[0], max_amount=D("1.00")),
        "no_funds": scheduled(member, poor, water, refs[1]),
        "refused": scheduled(member, rich, water, refs[2]),
        "late": scheduled(member, rich, water, refs[3]),
        "unknown": scheduled(member, rich, water, refs[4]),
        "fits": scheduled(member, first_fits, water, refs[5]),
        "does_not_fit": scheduled(member, first_fits, water, refs[6]),
    }
    with ExitStack() as forced:
        forced.enter_context(SimulatedBillerNetwork.forcing(refs[2], "refused"))
        forced.enter_context(SimulatedBillerNetwork.forcing(refs[3], "late_success"))
        forced.enter_context(SimulatedBillerNetwork.forcing(refs[4], "unknown"))
        yield schedules


def results(runs, schedules) -> dict[str, str]:
    return {name: str(runs[s.pk]) for name, s in schedules.items()}


def test_a_mixed_chunk_writes_what_each_bill_alone_writes(chunk):
    ids = [s.pk for s in chunk.values()]
    undone = transaction.atomic()
    undone._from_testcase = True  # its durable transactions nest in it, as in the test's
    with undone:
        runs = schedules_run(schedule_ids=ids)
        batched = snapshot(chunk.values())
        assert_ledger_ok()
        transaction.set_rollback(True)
    one_by_one = {s.pk: schedule_run(schedule_id=s.pk) for s in chunk.values()}
    assert (
        results(runs, chunk)
        == results(one_by_one, chunk)
        == {
            "paid": "paid=1",
            "over_max": "over_max=1",
            "no_funds": "no_funds=1",
            "refused": "refused=1",
            "late": "pending=1",
            "unknown": "pending=1",
            "fits": "paid=1",
            "does_not_fit": "no_funds=1",
        }
    )
    alone = snapshot(chunk.values())
    for part in alone:
        assert batched[part] == alone[part], part
    assert len(alone["payments"]) == 5 and len(alone["mails"]) == 6
    assert_ledger_ok()


def test_two_bills_of_one_account_are_paid_while_the_money_lasts(member, water, thursday):
    """The second bill is checked against the account less what the first one holds."""
    first, second = one_bill_reference(1, least="5.00"), one_bill_reference(2, least="5.00")
    account = open_funded(
        member, amount=str(total_of(first, water) + total_of(second, water) - D("0.01"))
    )
    a = scheduled(member, account, water, first)
    b = scheduled(member, account, water, second)
    runs = schedules_run(schedule_ids=[a.pk, b.pk])
    assert (str(runs[a.pk]), str(runs[b.pk])) == ("paid=1", "no_funds=1")
    assert BillPayment.objects.get().schedule_id == a.pk
    assert balances(account)[0] == total_of(second, water) - D("0.01")
    assert ScheduleNotice.objects.get(schedule=b).reason == ScheduleNotice.Reason.NO_FUNDS
    assert_ledger_ok()


def test_a_bill_another_run_began_is_left_to_the_one_bill_way(
    member, water, savings, thursday, monkeypatch
):
    """Between the chunk's reading and its INSERT, another run pays one of its bills:
    the chunk's INSERT meets that run's operation, and the bill is not paid again."""
    mine, theirs = scheduled(member, savings, water, ONE_BILL), None
    theirs = scheduled(member, savings, water, one_bill_reference(1))
    decide = batch._decide

    def decide_then_another_run(chunk):
        decide(chunk)
        assert str(schedule_run(schedule_id=theirs.pk)) == "paid=1"

    monkeypatch.setattr(batch, "_decide", decide_then_another_run)
    runs = schedules_run(schedule_ids=[mine.pk, theirs.pk])
    assert str(runs[mine.pk]) == "paid=1" and str(runs[theirs.pk]) == "paid=1"
    assert BillPayment.objects.count() == 2 == SimulatedBillerPayment.objects.count()
    assert Operation.objects.filter(state=Operation.State.EXECUTED).count() == 2
    assert Journal.objects.filter(kind=Kind.BILL_PAYMENT).count() == 2
    assert ScheduleNotice.objects.filter(reason="paid").count() == 2
    assert Notification.objects.filter(kind="Pago programado").count() == 2
    # And a run that finds both begun: nothing more.
    monkeypatch.setattr(SimulatedBillerNetwork, "inquire_many", _still_listed)
    schedules_run(schedule_ids=[mine.pk, theirs.pk])
    assert BillPayment.objects.count() == 2 and Notification.objects.count() == 2
    assert_ledger_ok()


def _still_listed(self, *, requests):
    """A biller that still lists paid bills (a real one may, for a while)."""
    return [simulated_bills(reference) for _, reference in requests]


class Fault(Exception):
    pass


def _failing_at(call: int, function):
    calls = []

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == call:
            raise Fault("the connection dropped")
        return function(*args, **kwargs)

    return failing


def _broken(self, **kwargs):
    raise Fault("the aggregator's batch call failed")


@pytest.mark.parametrize(
    ("module", "name", "call"),
    [
        ("payments.services", "holds_place", 1),  # phase 4: the holds
        ("payments.services", "journal_post", 2),  # phase 6: the second capture
        ("payments.batch", "notify_many", 1),  # phase 6: the e-mails
        ("payments.batch", "operations_end", 1),  # phase 6: the operations
        ("payments.network", "pay_many", 0),  # phase 5: the biller, as a whole
        ("payments.network", "inquire_many", 0),  # phase 2: the bills, as a whole
    ],
)
def test_a_fault_in_a_phase_falls_back_bill_by_bill_and_pays_nothing_twice(
    member, water, thursday, monkeypatch, module, name, call
):
    account = open_funded(member, amount="500.00")
    refs = [ONE_BILL, *(one_bill_reference(n) for n in range(1, 4))]
    schedules = [scheduled(member, account, water, ref) for ref in refs]
    if module == "payments.network":
        monkeypatch.setattr(SimulatedBillerNetwork, name, _broken)
    else:
        target = importlib.import_module(module)
        monkeypatch.setattr(target, name, _failing_at(call, getattr(target, name)))
    ids = [s.pk for s in schedules]
    runs = schedules_run(schedule_ids=ids)
    assert [str(runs[pk]) for pk in ids] == ["paid=1"] * 4
    assert BillPayment.objects.filter(state=BillPayment.State.PAID).count() == 4
    assert BillPayment.objects.count() == 4 == SimulatedBillerPayment.objects.count()
    assert Journal.objects.filter(kind=Kind.BILL_PAYMENT).count() == 4
    assert Operation.objects.filter(state=Operation.State.EXECUTED).count() == 4
    assert not Hold.objects.filter(status=Hold.Status.ACTIVE).exists()
    assert ScheduleNotice.objects.filter(reason="paid").count() == 4
    assert Notification.objects.filter(kind="Pago programado").count() == 4
    assert all(s.last_paid_at for s in PaymentSchedule.objects.filter(pk__in=ids))
    # Run again, the biller still listing the bills: nothing more.
    monkeypatch.undo()
    monkeypatch.setattr(SimulatedBillerNetwork, "inquire_many", _still_listed)
    schedules_run(schedule_ids=ids)
    assert BillPayment.objects.count() == 4 and Notification.objects.count() == 4
    assert_ledger_ok()


def test_a_schedule_the_network_fails_for_leaves_the_rest_of_its_chunk_to_run(
    member, water, savings, thursday, monkeypatch
):
    first = scheduled(member, savings, water, ONE_BILL)
    second = scheduled(member, savings, water, one_bill_reference(1))
    inquire_many = SimulatedBillerNetwork.inquire_many

    def failing_for_one(self, *, requests):
        answers = inquire_many(self, requests=requests)
        return [
            RuntimeError("the connection dropped") if reference == ONE_BILL else answer
            for (_, reference), answer in zip(requests, answers, strict=True)
        ]

    monkeypatch.setattr(SimulatedBillerNetwork, "inquire_many", failing_for_one)
    runs = schedules_run(schedule_ids=[first.pk, second.pk])
    assert str(runs[second.pk]) == "paid=1"
    assert list(BillPayment.objects.values_list("schedule_id", flat=True)) == [second.pk]
    first.refresh_from_db()
    assert first.last_run_at is None  # as a schedule that failed alone: looked at again
    assert_ledger_ok()


def test_a_chunk_that_cannot_be_batched_runs_one_schedule_at_a_time(
    member, water, savings, thursday, monkeypatch
):
    first = scheduled(member, savings, water, ONE_BILL)
    second = scheduled(member, savings, water, one_bill_reference(1))
    run = batch.schedule_run

    def read_fails(chunk, schedule_ids):
        raise Fault("the chunk's read failed")

    def failing(*, schedule_id, now):
        if schedule_id == first.pk:
            raise RuntimeError("the database went away")
        return run(schedule_id=schedule_id, now=now)

    monkeypatch.setattr(batch, "_read", read_fails)
    monkeypatch.setattr(batch, "schedule_run", failing)
    runs = schedules_run(schedule_ids=[first.pk, second.pk])
    assert list(runs) == [second.pk] and str(runs[second.pk]) == "paid=1"
    assert list(BillPayment.objects.values_list("schedule_id", flat=True)) == [second.pk]


# --- PostgreSQL, as a worker runs it ------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_chunks_at_once_pay_each_bill_once(member, water):
    from tests.ledger.test_concurrency import in_threads

    account = open_funded(member, amount="500.00")
    refs = [ONE_BILL, *(one_bill_reference(n) for n in range(1, 6))]
    ids = [scheduled(member, account, water, ref).pk for ref in refs]
    original = SimulatedBillerNetwork.inquire_many
    SimulatedBillerNetwork.inquire_many = _still_listed  # both see every bill pending
    try:
        in_threads(3, lambda i: schedules_run(schedule_ids=ids))
    finally:
        SimulatedBillerNetwork.inquire_many = original
    assert BillPayment.objects.count() == 6 == SimulatedBillerPayment.objects.count()
    assert set(BillPayment.objects.values_list("state", flat=True)) == {"paid"}
    assert Operation.objects.filter(purpose="bill_payment").count() == 6
    assert Journal.objects.filter(kind=Kind.BILL_PAYMENT).count() == 6
    assert ScheduleNotice.objects.filter(reason="paid").count() == 6
    assert Notification.objects.filter(kind="Pago programado").count() == 6
    assert_ledger_ok()

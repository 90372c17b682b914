"""On real PostgreSQL, with threads on their own connections: two keys racing for one
bill pay it once, one key sent many times at once pays once, and resolvers running at
once post one journal."""

from decimal import Decimal

import pytest

from ledger.models import Hold, Journal, Kind
from payments.exceptions import BillAlreadyPaid
from payments.models import BillPayment, SimulatedBillerPayment
from payments.network import simulated_bills
from payments.services import bill_pay, bill_payment_resolve
from tests.ledger.test_concurrency import in_threads
from tests.payments.conftest import (
    ONE_BILL,
    assert_ledger_ok,
    balances,
    bill_order,
    open_funded,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

D = Decimal


def test_two_keys_paying_the_same_bill_at_once_pay_it_once(member, savings, water):
    def work(i):
        try:
            return bill_pay(member=member, order=bill_order(savings, water), key=f"k{i}").state
        except BillAlreadyPaid:
            return "already paid"

    results = in_threads(2, work)
    assert sorted(results) == ["already paid", BillPayment.State.PAID]
    assert BillPayment.objects.count() == 1
    assert SimulatedBillerPayment.objects.count() == 1
    assert Journal.objects.filter(kind=Kind.BILL_PAYMENT).count() == 1
    assert balances(savings) == (D("92.56"), D("92.56"))
    assert not Hold.objects.filter(status=Hold.Status.ACTIVE).exists()
    assert_ledger_ok()


def test_many_keys_racing_for_one_bill_pay_it_once(member, savings, water):
    def work(i):
        try:
            return bill_pay(member=member, order=bill_order(savings, water), key=f"k{i}").state
        except BillAlreadyPaid:
            return "already paid"

    results = in_threads(6, work)
    assert results.count(BillPayment.State.PAID) == 1
    assert results.count("already paid") == 5
    assert balances(savings) == (D("92.56"), D("92.56"))
    assert_ledger_ok()


def test_one_key_sent_many_times_at_once_pays_once(member, savings, water):
    def work(i):
        return bill_pay(member=member, order=bill_order(savings, water), key="double-click").pk

    assert len(set(in_threads(6, work))) == 1
    assert BillPayment.objects.count() == 1 and Hold.objects.count() == 1
    assert Journal.objects.filter(idempotency_key="bill:double-click").count() == 1
    assert balances(savings) == (D("92.56"), D("92.56"))
    assert_ledger_ok()


def test_resolvers_running_at_once_post_one_journal(member, savings, water, monkeypatch):
    from payments import services

    monkeypatch.setattr(services, "_enqueue", lambda *args: None)  # the workers below do it
    reference = "12347777"
    amount = str(simulated_bills(reference)[0].amount)
    payment = bill_pay(
        member=member, order=bill_order(savings, water, reference, amount), key="late"
    )
    assert payment.state == BillPayment.State.RESOLVING

    def work(i):
        return bill_payment_resolve(payment=payment).state

    assert set(in_threads(5, work)) == {BillPayment.State.PAID}
    assert Journal.objects.filter(kind=Kind.BILL_PAYMENT).count() == 1
    assert Hold.objects.get(pk=payment.hold_id).status == Hold.Status.CAPTURED
    assert_ledger_ok()


def test_bills_of_different_references_are_paid_in_parallel(member, catalog, water):
    savings = open_funded(member, amount="1000.00")
    references = [ONE_BILL, "00033090", "41515161", "12345673"]

    def work(i):
        reference = references[i]
        amount = str(simulated_bills(reference)[0].amount)
        return bill_pay(
            member=member, order=bill_order(savings, water, reference, amount), key=f"r{i}"
        ).state

    assert in_threads(len(references), work) == [BillPayment.State.PAID] * len(references)
    total = sum(simulated_bills(r)[0].amount + D("0.31") for r in references)
    assert balances(savings) == (D("1000.00") - total, D("1000.00") - total)
    assert_ledger_ok()

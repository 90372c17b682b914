"""What the biller did not answer is learned later: the resolver task asks again with
backoff, the beat's sweep takes over payments whose task or process was lost, and a
crash between holding the money and the biller's answer is recovered, never repeated."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from ledger.models import Hold, Journal, Kind
from ledger.services import holds_release_expired
from payments import services
from payments.models import BillPayment, SimulatedBillerPayment
from payments.network import SimulatedBillerNetwork, simulated_bills
from payments.services import (
    bill_pay,
    bill_payment_next_check,
    bill_payments_sweep,
)
from payments.tasks import resolve_bill_payment, sweep_bill_payments
from tests.payments.conftest import (
    ONE_BILL,
    active_holds,
    assert_ledger_ok,
    balances,
    bill_order,
)

pytestmark = pytest.mark.django_db

D = Decimal


def pay(member, savings, water, reference, key="p1"):
    amount = str(simulated_bills(reference)[0].amount)
    return bill_pay(member=member, order=bill_order(savings, water, reference, amount), key=key)


def test_the_resolver_task_finishes_a_late_success(member, savings, water):
    payment = pay(member, savings, water, "12347777")
    due = payment.next_check_at.isoformat()
    assert resolve_bill_payment.delay(payment.pk, due=due).get() == BillPayment.State.PAID
    payment.refresh_from_db()
    assert payment.state == BillPayment.State.PAID and payment.next_check_at is None
    assert Hold.objects.get(pk=payment.hold_id).status == Hold.Status.CAPTURED
    assert_ledger_ok()


def test_the_resolver_task_finishes_a_late_refusal(member, savings, water):
    payment = pay(member, savings, water, "12348888")
    assert resolve_bill_payment.delay(payment.pk).get() == BillPayment.State.REFUSED
    assert balances(savings) == (D("100.00"), D("100.00"))
    assert_ledger_ok()


def test_it_runs_when_the_row_commits(member, savings, water, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        payment = pay(member, savings, water, "12347777")
    assert payment.state == BillPayment.State.RESOLVING  # what the page shows
    payment.refresh_from_db()
    assert payment.state == BillPayment.State.PAID  # what the eager worker did next


def test_while_unknown_it_asks_again_after_1_2_5_10_and_30_minutes(member, savings, water):
    payment = pay(member, savings, water, "12345555")
    assert payment.next_check_at - payment.created_at < timedelta(seconds=61)
    delays = []
    for _ in range(7):
        payment = services.bill_payment_resolve(payment=payment)
        before = timezone.now()
        due = bill_payment_next_check(payment=payment)
        delays.append(round((due - before).total_seconds()))
        payment.refresh_from_db()
        assert payment.next_check_at == due
    assert delays == [120, 300, 600, 1800, 1800, 1800, 1800]


def test_after_a_day_staff_are_told_and_it_is_asked_every_six_hours(member, savings, water, caplog):
    payment = pay(member, savings, water, "12345555")
    later = timezone.now() + timedelta(hours=24, minutes=1)
    with time_machine.travel(later, tick=False):
        assert resolve_bill_payment.delay(payment.pk).get() == BillPayment.State.RESOLVING
        assert bill_payments_sweep() == 0  # not swept again and again
    payment.refresh_from_db()
    assert payment.state == BillPayment.State.RESOLVING
    assert payment.next_check_at == later + services.REVIEW_EVERY
    assert active_holds(savings).count() == 1
    assert caplog.text.count("bill payment needs review") == 1
    with time_machine.travel(payment.next_check_at, tick=False):
        due = payment.next_check_at.isoformat()
        assert resolve_bill_payment.delay(payment.pk, due=due).get() == "resolving"
    assert caplog.text.count("bill payment needs review") == 2  # told at each check
    assert_ledger_ok()


def test_a_payment_the_biller_confirms_after_a_day_is_still_captured(
    member, savings, water, monkeypatch, caplog
):
    """The biller took the payment, but the check after the first day met a passing
    failure: it is asked again later, and the money held is captured, not left held."""
    payment = pay(member, savings, water, "12347777")
    real_status = SimulatedBillerNetwork.status

    def timing_out(self, *, key):
        raise services.BillerTimeout

    monkeypatch.setattr(SimulatedBillerNetwork, "status", timing_out)
    with time_machine.travel(timezone.now() + timedelta(hours=25), tick=False):
        assert resolve_bill_payment.delay(payment.pk).get() == BillPayment.State.RESOLVING
    assert "bill payment needs review" in caplog.text
    monkeypatch.setattr(SimulatedBillerNetwork, "status", real_status)
    payment.refresh_from_db()
    with time_machine.travel(payment.next_check_at + timedelta(minutes=6), tick=False):
        assert bill_payments_sweep() == 1  # its task was lost: the sweep takes it over
    payment.refresh_from_db()
    assert payment.state == BillPayment.State.PAID
    assert Hold.objects.get(pk=payment.hold_id).status == Hold.Status.CAPTURED
    assert_ledger_ok()


def test_the_sweep_takes_a_resolving_payment_left_without_a_next_check(member, savings, water):
    """A payment an earlier version stopped asking about (no next check) is asked again."""
    payment = pay(member, savings, water, "12347777")
    BillPayment.objects.filter(pk=payment.pk).update(next_check_at=None)
    with time_machine.travel(timezone.now() + timedelta(days=3), tick=False):
        assert bill_payments_sweep() == 1
    payment.refresh_from_db()
    assert payment.state == BillPayment.State.PAID
    assert_ledger_ok()


def test_a_task_queued_for_another_check_does_nothing(member, savings, water, monkeypatch):
    payment = pay(member, savings, water, "12347777")
    asked = []
    monkeypatch.setattr(SimulatedBillerNetwork, "status", lambda self, key: asked.append(key))
    stale = (payment.next_check_at - timedelta(minutes=7)).isoformat()
    assert resolve_bill_payment.delay(payment.pk, due=stale).get() == "superseded"
    assert asked == []
    payment.refresh_from_db()
    assert payment.state == BillPayment.State.RESOLVING


def test_a_task_for_a_finished_payment_does_nothing(member, savings, water):
    payment = pay(member, savings, water, ONE_BILL)
    assert resolve_bill_payment.delay(payment.pk).get() == BillPayment.State.PAID
    assert resolve_bill_payment.delay(10**9).get() == "missing"
    assert Journal.objects.filter(kind=Kind.BILL_PAYMENT).count() == 1


def test_the_sweep_queues_resolving_payments_whose_task_was_lost(member, savings, water):
    payment = pay(member, savings, water, "12347777")
    assert bill_payments_sweep() == 0  # its task is not late yet
    with time_machine.travel(payment.next_check_at + timedelta(minutes=6)):
        assert sweep_bill_payments.delay().get() == 1
    payment.refresh_from_db()
    assert payment.state == BillPayment.State.PAID
    assert_ledger_ok()


def test_the_generic_expiry_sweep_never_releases_a_payments_hold(member, savings, water):
    payment = pay(member, savings, water, "12345555")
    with time_machine.travel(timezone.now() + timedelta(days=30)):
        assert holds_release_expired() == 0
    assert Hold.objects.get(pk=payment.hold_id).status == Hold.Status.ACTIVE


def test_the_beat_sweeps_bill_payments_every_five_minutes():
    entry = settings.CELERY_BEAT_SCHEDULE["payments-resolve"]
    assert entry["task"] == "payments.tasks.sweep_bill_payments"
    assert entry["schedule"].minute == set(range(0, 60, 5))


# --- a process that died between the hold and the biller's answer ---------------------


def test_a_payment_held_by_a_process_that_died_before_asking_is_paid_by_the_sweep(
    member, savings, water, monkeypatch
):
    monkeypatch.setattr(services, "_send", lambda payment: payment)  # it died here
    payment = bill_pay(member=member, order=bill_order(savings, water), key="p1")
    monkeypatch.undo()
    assert payment.state == BillPayment.State.HELD
    assert not SimulatedBillerPayment.objects.exists()
    assert bill_payments_sweep() == 0  # it may still be waiting for the biller
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        assert bill_payments_sweep() == 1
    payment.refresh_from_db()
    assert payment.state == BillPayment.State.PAID
    assert SimulatedBillerPayment.objects.count() == 1
    assert balances(savings) == (D("92.56"), D("92.56"))
    assert_ledger_ok()


def test_a_crash_after_the_biller_confirmed_is_recovered_without_paying_twice(
    member, savings, water, monkeypatch
):
    def crash(*args, **kwargs):
        raise SystemExit("worker killed")

    monkeypatch.setattr(services, "_capture", crash)
    with pytest.raises(SystemExit):
        bill_pay(member=member, order=bill_order(savings, water), key="p1")
    monkeypatch.undo()
    payment = BillPayment.objects.get()
    assert payment.state == BillPayment.State.HELD
    assert SimulatedBillerPayment.objects.get().outcome == "confirmed"  # the biller was paid
    assert balances(savings) == (D("100.00"), D("92.56"))  # held, not yet debited
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        assert bill_payments_sweep() == 1
    payment.refresh_from_db()
    assert payment.state == BillPayment.State.PAID
    assert SimulatedBillerPayment.objects.count() == 1
    assert Journal.objects.filter(kind=Kind.BILL_PAYMENT).count() == 1
    assert balances(savings) == (D("92.56"), D("92.56"))
    assert_ledger_ok()


def test_the_request_and_the_resolver_finishing_one_payment_post_once(
    member, savings, water, monkeypatch
):
    """The sweep took over a payment whose request was still waiting for the biller; the
    biller then answered the request too. The second to arrive finds it paid."""
    real_send = services._send
    monkeypatch.setattr(services, "_send", lambda payment: payment)
    payment = bill_pay(member=member, order=bill_order(savings, water), key="p1")
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        bill_payments_sweep()
    late_answer = real_send(payment)
    assert late_answer.state == BillPayment.State.PAID
    assert late_answer.journal_id == BillPayment.objects.get().journal_id
    assert Journal.objects.filter(kind=Kind.BILL_PAYMENT).count() == 1
    assert_ledger_ok()


def test_a_confirmation_the_ledger_cannot_capture_stays_held_until_it_can(
    member, savings, water, caplog
):
    """The account was blocked between the hold and the biller's late confirmation: the
    money stays held and the resolver captures it once the account is active again."""
    from ledger.services import account_set_status

    payment = pay(member, savings, water, "12347777")
    account_set_status(account=savings.ledger_account, status="blocked")
    assert services.bill_payment_resolve(payment=payment).state == BillPayment.State.RESOLVING
    assert "confirmed bill payment not captured" in caplog.text
    assert active_holds(savings).count() == 1
    account_set_status(account=savings.ledger_account, status="active")
    assert services.bill_payment_resolve(payment=payment).state == BillPayment.State.PAID
    assert_ledger_ok()


def test_a_confirmation_refused_by_the_ledger_at_once_is_left_to_the_resolver(
    member, savings, water, monkeypatch
):
    from ledger.services import account_set_status

    real_pay = SimulatedBillerNetwork.pay

    def pay_then_block(self, **kwargs):
        confirmation = real_pay(self, **kwargs)
        account_set_status(account=savings.ledger_account, status="blocked")
        return confirmation

    monkeypatch.setattr(SimulatedBillerNetwork, "pay", pay_then_block)
    payment = bill_pay(member=member, order=bill_order(savings, water), key="p1")
    assert payment.state == BillPayment.State.RESOLVING
    assert active_holds(savings).count() == 1
    assert_ledger_ok()

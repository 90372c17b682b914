"""María pays bills and top-ups: every refusal changes nothing, every answer of the
biller network ends with the ledger balanced — the money captured when the biller
confirms, released when it refuses, held while nobody knows — and a bill is paid once."""

from dataclasses import replace
from decimal import Decimal

import pytest

from core.crypto import decrypt
from core.models import Notification
from ledger.exceptions import IdempotencyConflict, InsufficientFunds
from ledger.models import Hold, Journal, Kind
from payments import services
from payments.exceptions import (
    AmountOutOfRange,
    BillAlreadyPaid,
    BillChanged,
    BillerUnavailable,
    BillRefused,
    CurrencyMismatch,
    InvalidAmount,
    JointSignature,
    NoDebt,
    OriginNotAllowed,
    PaymentError,
    ReferenceInvalid,
)
from payments.models import BillPayment, SimulatedBillerPayment
from payments.network import SimulatedBillerNetwork, simulated_bills
from payments.services import (
    bill_pay,
    bill_payment_resolve,
    bill_quote,
    biller_inquire,
)
from products.catalog import product_types_load
from products.models import DepositAccount
from tests.payments.conftest import (
    ONE_BILL,
    PHONE,
    TWO_BILLS,
    active_holds,
    assert_ledger_ok,
    balances,
    bill_order,
    open_funded,
    payable,
)

pytestmark = pytest.mark.django_db

D = Decimal
START = (D("100.00"), D("100.00"))


def assert_nothing_changed(savings):
    assert not BillPayment.objects.exists()
    assert balances(savings) == START
    assert not active_holds(savings).exists()
    assert not Journal.objects.filter(kind=Kind.BILL_PAYMENT).exists()
    assert_ledger_ok()


def notices(member):
    """(channel, subject, body) of what was stored for the member, in order."""
    return [
        (n.channel, n.subject, decrypt(n.body_encrypted))
        for n in Notification.objects.filter(kind="Pago de servicio").order_by("pk")
    ]


# --- inquiry and quote ---------------------------------------------------------------


def test_consultar_lists_the_pending_bills(water):
    bills = biller_inquire(biller=water, reference=f" {TWO_BILLS} ")
    assert [b.amount for b in bills] == [D("7.13"), D("57.78")]


def test_consultar_checks_the_reference_with_the_manuals_message_first(water):
    with pytest.raises(ReferenceInvalid) as refused:
        biller_inquire(biller=water, reference="123")
    assert refused.value.message == "CONTRATO/CÉDULA/RUC debe tener al menos 4 caracteres"


def test_consultar_says_when_there_is_nothing_to_pay(water):
    with pytest.raises(NoDebt) as refused:
        biller_inquire(biller=water, reference="12340000")
    assert refused.value.message == "No tienes valores pendientes de pago para esta referencia."


def test_consultar_says_when_the_biller_is_unavailable(water):
    with pytest.raises(BillerUnavailable) as refused:
        biller_inquire(biller=water, reference="12349999")
    assert refused.value.message == (
        "El servicio no está disponible en este momento. Inténtalo más tarde."
    )


def test_an_inactive_biller_is_unavailable(water):
    water.is_active = False
    water.save()
    with pytest.raises(BillerUnavailable):
        biller_inquire(biller=water, reference=ONE_BILL)


def test_a_top_up_has_no_bills_to_look_up(topup):
    assert biller_inquire(biller=topup, reference=PHONE) == []
    with pytest.raises(ReferenceInvalid, match="NUMERO CELULAR debe tener 10 caracteres numeros"):
        biller_inquire(biller=topup, reference="1234567890")


def test_the_quote_is_the_manuals_amount_plus_the_billers_commission(water, topup):
    quote = bill_quote(biller=water, amount=D("7.13"))
    assert (quote.amount, quote.commission, quote.iva, quote.total) == (
        D("7.13"),
        D("0.31"),
        D("0.00"),
        D("7.44"),
    )
    assert bill_quote(biller=topup, amount=D("5.00")).total == D("5.00")


# --- paying a bill -------------------------------------------------------------------


def test_paying_one_of_two_bills_debits_the_total_and_credits_the_biller(member, savings, water):
    payment = bill_pay(member=member, order=bill_order(savings, water, TWO_BILLS), key="p1")
    assert payment.state == BillPayment.State.PAID
    assert (payment.amount, payment.commission, payment.total) == (
        D("7.13"),
        D("0.31"),
        D("7.44"),
    )
    assert payment.description.startswith("Consumo de ")
    assert payment.network_reference.startswith("SIM")
    assert balances(savings) == (D("92.56"), D("92.56"))
    assert payable() == D("7.13")
    journal = payment.journal
    assert journal.kind == Kind.BILL_PAYMENT
    assert (journal.source_type, journal.source_id) == ("payments.billpayment", str(payment.pk))
    assert journal.idempotency_key == "bill:p1"
    mine = journal.postings.filter(account=savings.ledger_account).order_by("pk")
    assert [(p.description, p.amount_minor) for p in mine] == [
        ("ND RECAUDACIONES WEB APP", 713),
        ("COMISIÓN PAGO DE SERVICIOS", 31),
    ]
    assert Hold.objects.get(pk=payment.hold_id).status == Hold.Status.CAPTURED
    assert Hold.objects.get(pk=payment.hold_id).journal_id == journal.pk
    # the other bill is still pending, the paid one is not
    assert [b.amount for b in biller_inquire(biller=water, reference=TWO_BILLS)] == [D("57.78")]
    assert_ledger_ok()


def test_a_top_up_pays_the_amount_typed_without_a_commission(member, savings, topup):
    payment = bill_pay(
        member=member, order=bill_order(savings, topup, PHONE, amount="5.00"), key="r1"
    )
    assert payment.state == BillPayment.State.PAID
    assert (payment.bill_number, payment.total) == ("", D("5.00"))
    assert balances(savings) == (D("95.00"), D("95.00"))
    assert payable() == D("5.00")
    assert_ledger_ok()


def test_a_replayed_key_returns_the_same_payment_and_does_nothing_else(member, savings, water):
    order = bill_order(savings, water)
    first = bill_pay(member=member, order=order, key="p1")
    again = bill_pay(member=member, order=order, key="p1")
    assert again.pk == first.pk
    assert BillPayment.objects.count() == 1 and SimulatedBillerPayment.objects.count() == 1
    assert Journal.objects.filter(kind=Kind.BILL_PAYMENT).count() == 1
    assert Hold.objects.count() == 1
    assert balances(savings) == (D("92.56"), D("92.56"))
    with pytest.raises(IdempotencyConflict):
        bill_pay(member=member, order=replace(order, amount=D("8.00")), key="p1")
    assert_ledger_ok()


def test_a_bill_is_never_paid_twice(member, savings, water):
    bill_pay(member=member, order=bill_order(savings, water), key="p1")
    with pytest.raises(BillAlreadyPaid) as refused:
        bill_pay(member=member, order=bill_order(savings, water), key="p2")
    assert refused.value.message == "Esta factura ya fue pagada o tiene un pago por confirmar."
    assert BillPayment.objects.count() == 1
    assert balances(savings) == (D("92.56"), D("92.56"))
    assert_ledger_ok()


def test_a_bill_whose_payment_is_still_unknown_is_not_paid_again(member, savings, water):
    reference = "12347777"
    bill = simulated_bills(reference)[0]
    order = bill_order(savings, water, reference, str(bill.amount))
    first = bill_pay(member=member, order=order, key="p1")
    assert first.state == BillPayment.State.RESOLVING
    with pytest.raises(BillAlreadyPaid):
        bill_pay(member=member, order=order, key="p2")
    assert BillPayment.objects.count() == 1
    assert_ledger_ok()


def test_two_keys_racing_for_one_bill_meet_the_unique_constraint(
    member, savings, water, monkeypatch
):
    """The second key passed the checks before the first one's row existed (here: the
    check and the biller are made to miss it): the database's constraint refuses it."""
    bill_pay(member=member, order=bill_order(savings, water), key="p1")
    real_bill_taken = services._bill_taken
    checks = []

    def missed_once(*args):
        checks.append(args)
        return False if len(checks) == 1 else real_bill_taken(*args)

    monkeypatch.setattr(services, "_bill_taken", missed_once)
    monkeypatch.setattr(SimulatedBillerNetwork, "_pending", lambda self, b, r: simulated_bills(r))
    with pytest.raises(BillAlreadyPaid):
        bill_pay(member=member, order=bill_order(savings, water), key="p2")
    assert BillPayment.objects.count() == 1
    assert balances(savings) == (D("92.56"), D("92.56"))
    assert not active_holds(savings).exists()
    assert_ledger_ok()


def test_a_bill_refused_before_can_be_paid_with_a_new_key(member, savings, water):
    with SimulatedBillerNetwork.forcing(ONE_BILL, "refused"), pytest.raises(BillRefused):
        bill_pay(member=member, order=bill_order(savings, water), key="p1")
    payment = bill_pay(member=member, order=bill_order(savings, water), key="p2")
    assert payment.state == BillPayment.State.PAID
    assert BillPayment.objects.get(key="p1").state == BillPayment.State.REFUSED
    assert balances(savings) == (D("92.56"), D("92.56"))
    assert_ledger_ok()


# --- refusals: nothing changes -------------------------------------------------------


def test_it_refuses_a_reference_shorter_than_the_billers_rule(member, savings, water):
    with pytest.raises(ReferenceInvalid) as refused:
        bill_pay(member=member, order=bill_order(savings, water, "123"), key="p1")
    assert refused.value.message == "CONTRATO/CÉDULA/RUC debe tener al menos 4 caracteres"
    assert_nothing_changed(savings)


@pytest.mark.parametrize("amount", ["0.99", "50.01", "60.00"])
def test_it_refuses_a_top_up_outside_the_billers_range(member, savings, topup, amount):
    with pytest.raises(AmountOutOfRange) as refused:
        bill_pay(member=member, order=bill_order(savings, topup, PHONE, amount), key="r1")
    assert refused.value.message == "El monto debe estar entre $1.00 y $50.00."
    assert_nothing_changed(savings)


@pytest.mark.parametrize("amount", ["0", "-1.00", "1.001", "NaN"])
def test_it_refuses_an_amount_that_is_not_money(member, savings, topup, amount):
    with pytest.raises(InvalidAmount):
        bill_pay(member=member, order=bill_order(savings, topup, PHONE, amount), key="r1")
    assert_nothing_changed(savings)


def test_it_refuses_a_bill_whose_amount_changed(member, savings, water):
    (bill,) = simulated_bills(ONE_BILL)
    order = bill_order(savings, water, ONE_BILL, "8.00", bill_number=bill.number)
    with pytest.raises(BillChanged) as refused:
        bill_pay(member=member, order=order, key="p1")
    assert refused.value.message == (
        "El valor de la factura cambió: ahora es $7.13. Consulta de nuevo tus valores a pagar."
    )
    assert_nothing_changed(savings)


def test_a_bill_listed_moments_ago_is_not_asked_for_again(member, savings, water, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    asked = []
    inquire = SimulatedBillerNetwork.inquire
    monkeypatch.setattr(
        SimulatedBillerNetwork, "inquire", lambda self, **kw: asked.append(1) or inquire(self, **kw)
    )
    order = replace(bill_order(savings, water), inquired_at=timezone.now())
    assert bill_pay(member=member, order=order, key="p1").state == BillPayment.State.PAID
    assert asked == []
    # Listed more than a minute ago (a member who looked a while back): asked again.
    stale = replace(
        order, inquired_at=timezone.now() - services.FRESH_INQUIRY - timedelta(seconds=1)
    )
    with pytest.raises(BillAlreadyPaid):
        bill_pay(member=member, order=stale, key="p2")
    with pytest.raises(NoDebt):
        bill_pay(member=member, order=replace(stale, reference="12340000"), key="p3")
    assert asked == [1]


def test_a_bill_listed_moments_ago_but_no_longer_pending_is_refused_by_the_biller(
    member, savings, water
):
    from django.utils import timezone

    order = bill_order(savings, water, ONE_BILL, "7.13", bill_number="999999999")
    order = replace(order, inquired_at=timezone.now())
    with pytest.raises(BillRefused, match="no está pendiente de pago"):
        bill_pay(member=member, order=order, key="p1")
    assert BillPayment.objects.get().state == BillPayment.State.REFUSED  # the hold released
    assert balances(savings) == START and not active_holds(savings).exists()
    assert not Journal.objects.filter(kind=Kind.BILL_PAYMENT).exists()
    assert_ledger_ok()


def test_it_refuses_a_bill_no_longer_pending(member, savings, water):
    order = bill_order(savings, water, ONE_BILL, "7.13", bill_number="999999999")
    with pytest.raises(BillChanged, match="ya no está pendiente de pago"):
        bill_pay(member=member, order=order, key="p1")
    assert_nothing_changed(savings)


def test_it_refuses_a_bill_that_no_longer_has_debt(member, savings, water):
    order = bill_order(savings, water, "12340000", "7.13", bill_number="123456789")
    with pytest.raises(NoDebt):
        bill_pay(member=member, order=order, key="p1")
    assert_nothing_changed(savings)


def test_it_asks_which_bill_to_pay(member, savings, water):
    order = replace(bill_order(savings, water), bill_number="")
    with pytest.raises(PaymentError, match="Elige la factura"):
        bill_pay(member=member, order=order, key="p1")
    assert_nothing_changed(savings)


def test_it_refuses_when_the_funds_do_not_cover_amount_commission_and_iva(member, catalog, water):
    short = open_funded(member, amount="7.43")
    with pytest.raises(InsufficientFunds) as refused:
        bill_pay(member=member, order=bill_order(short, water), key="p1")
    assert refused.value.message == "Saldo insuficiente en la cuenta de origen."
    assert not BillPayment.objects.exists() and not Hold.objects.exists()
    assert_ledger_ok()
    exact = open_funded(member, amount="7.44")
    assert bill_pay(member=member, order=bill_order(exact, water), key="p2").state == "paid"
    assert balances(exact) == (D("0.00"), D("0.00"))


def test_it_refuses_another_members_account(member, other_member, catalog, water):
    theirs = open_funded(other_member)
    with pytest.raises(OriginNotAllowed) as refused:
        bill_pay(member=member, order=bill_order(theirs, water), key="p1")
    assert refused.value.message == "La cuenta de origen no te pertenece."
    assert_nothing_changed(theirs)


def test_it_refuses_an_account_in_another_currency(member, catalog, water, savings):
    from ledger.books import books_open

    books_open(currency="BOB")
    product_types_load(cooperative_slug="progreso-bo")
    bolivianos = open_funded(member, code="CAB")
    with pytest.raises(CurrencyMismatch) as refused:
        bill_pay(member=member, order=bill_order(bolivianos, water), key="p1")
    assert refused.value.message == "La cuenta de origen debe estar en la moneda del servicio."
    assert_nothing_changed(savings)


def test_it_refuses_a_joint_or_inactive_account(member, savings, water):
    savings.signature = DepositAccount.Signature.JOINT
    savings.save()
    with pytest.raises(JointSignature):
        bill_pay(member=member, order=bill_order(savings, water), key="p1")
    savings.signature = DepositAccount.Signature.SINGLE
    savings.status = DepositAccount.Status.INACTIVE
    savings.save()
    with pytest.raises(OriginNotAllowed, match="no está activa"):
        bill_pay(member=member, order=bill_order(savings, water), key="p1")
    assert_nothing_changed(savings)


def test_it_refuses_an_unavailable_biller_before_holding_anything(member, savings, water):
    order = bill_order(savings, water, "12349999", "7.13", bill_number="123456789")
    with pytest.raises(BillerUnavailable):
        bill_pay(member=member, order=order, key="p1")
    assert_nothing_changed(savings)


# --- the biller's answers ------------------------------------------------------------


def test_an_immediate_refusal_releases_the_hold(member, savings, water):
    reference = "12346666"
    bill = simulated_bills(reference)[0]
    with pytest.raises(BillRefused) as refused:
        bill_pay(
            member=member, order=bill_order(savings, water, reference, str(bill.amount)), key="p1"
        )
    assert "No se debitó ningún valor de tu cuenta." in refused.value.message
    payment = BillPayment.objects.get()
    assert payment.state == BillPayment.State.REFUSED and payment.journal is None
    assert payment.reason == refused.value.message
    assert Hold.objects.get(pk=payment.hold_id).status == Hold.Status.RELEASED
    assert balances(savings) == START
    assert payable() == D("0.00")
    # the page already told the member: no e-mail
    assert notices(member) == []
    assert_ledger_ok()
    # the refused payment answers the same to its key
    again = bill_pay(
        member=member, order=bill_order(savings, water, reference, str(bill.amount)), key="p1"
    )
    assert again.pk == payment.pk and again.state == BillPayment.State.REFUSED


def test_a_top_up_the_network_could_not_send_releases_the_hold(member, savings, topup):
    with pytest.raises(BillerUnavailable):
        bill_pay(member=member, order=bill_order(savings, topup, "0991239999", "5.00"), key="r1")
    payment = BillPayment.objects.get()
    assert payment.state == BillPayment.State.REFUSED
    assert balances(savings) == START and not active_holds(savings).exists()
    assert_ledger_ok()


def late(reference):
    bill = simulated_bills(reference)[0]
    return str(bill.amount)


def test_a_timeout_keeps_the_money_held_and_queues_the_resolver(
    member, savings, water, django_capture_on_commit_callbacks
):
    reference = "12347777"
    amount = late(reference)
    total = D(amount) + D("0.31")
    with django_capture_on_commit_callbacks() as callbacks:
        payment = bill_pay(
            member=member, order=bill_order(savings, water, reference, amount), key="p1"
        )
    assert payment.state == BillPayment.State.RESOLVING
    assert payment.get_state_display() == "Por confirmar"
    assert payment.next_check_at is not None and payment.journal is None
    assert len(callbacks) == 1  # the resolver, once the row is committed
    assert balances(savings) == (D("100.00"), D("100.00") - total)
    hold = Hold.objects.get(pk=payment.hold_id)
    assert hold.status == Hold.Status.ACTIVE and hold.expires_at is None
    assert_ledger_ok()


def test_a_timeout_then_success_captures_the_hold_and_tells_the_member(member, savings, water):
    reference = "12347777"
    amount = late(reference)
    payment = bill_pay(member=member, order=bill_order(savings, water, reference, amount), key="p1")
    resolved = bill_payment_resolve(payment=payment)
    assert resolved.state == BillPayment.State.PAID and resolved.checks == 1
    total = D(amount) + D("0.31")
    assert balances(savings) == (D("100.00") - total, D("100.00") - total)
    assert Hold.objects.get(pk=payment.hold_id).status == Hold.Status.CAPTURED
    assert payable() == D(amount)
    assert SimulatedBillerPayment.objects.count() == 1  # paid once at the biller
    (email, subject, body), (sms, _, text) = notices(member)
    assert (email, sms) == ("email", "sms")
    assert "pago de servicio confirmado" in subject
    assert "fue confirmado" in body and f"Comprobante N.º {resolved.journal_id}" in body
    assert "fue confirmado" in text
    # resolving again changes nothing
    assert bill_payment_resolve(payment=payment).journal_id == resolved.journal_id
    assert Journal.objects.filter(kind=Kind.BILL_PAYMENT).count() == 1
    assert len(notices(member)) == 2
    assert_ledger_ok()


def test_a_timeout_then_failure_releases_the_hold_and_tells_the_member(member, savings, water):
    reference = "12348888"
    amount = late(reference)
    payment = bill_pay(member=member, order=bill_order(savings, water, reference, amount), key="p1")
    assert payment.state == BillPayment.State.RESOLVING
    resolved = bill_payment_resolve(payment=payment)
    assert resolved.state == BillPayment.State.REFUSED and resolved.journal is None
    assert Hold.objects.get(pk=payment.hold_id).status == Hold.Status.RELEASED
    assert balances(savings) == START
    assert payable() == D("0.00")
    (_, subject, body), (_, _, text) = notices(member)
    assert "pago de servicio no realizado" in subject
    assert "no se realizó" in body and "ya está disponible en tu cuenta" in body
    assert "*****" + savings.number[-4:] in body
    assert "no se realizó" in text and "disponible" in text
    assert bill_payment_resolve(payment=payment).state == BillPayment.State.REFUSED
    assert len(notices(member)) == 2
    assert_ledger_ok()


def test_an_outcome_nobody_knows_stays_held(member, savings, water):
    reference = "12345555"
    amount = late(reference)
    payment = bill_pay(member=member, order=bill_order(savings, water, reference, amount), key="p1")
    for n in range(1, 4):
        resolved = bill_payment_resolve(payment=payment)
        assert resolved.state == BillPayment.State.RESOLVING and resolved.checks == n
    assert active_holds(savings).count() == 1
    assert SimulatedBillerPayment.objects.count() == 1  # sent again, paid at most once
    assert notices(member) == []
    assert_ledger_ok()


def test_a_network_that_fails_unexpectedly_leaves_the_payment_to_the_resolver(
    member, savings, water, monkeypatch
):
    def broken(self, **kwargs):
        raise ConnectionResetError("peer reset")

    monkeypatch.setattr(SimulatedBillerNetwork, "pay", broken)
    payment = bill_pay(member=member, order=bill_order(savings, water), key="p1")
    assert payment.state == BillPayment.State.RESOLVING
    monkeypatch.undo()
    assert bill_payment_resolve(payment=payment).state == BillPayment.State.PAID
    assert_ledger_ok()


def test_a_scheduled_payment_carries_its_schedule_and_channel(member, savings, water):
    payment = bill_pay(
        member=member,
        order=bill_order(savings, water),
        key="sched-1",
        channel="system",
        schedule_id=42,
    )
    assert (payment.schedule_id, payment.channel, payment.created_by) == (42, "system", None)
    assert payment.journal.channel == "system"


@pytest.mark.django_db(transaction=True)
def test_it_may_not_be_called_inside_a_transaction(member, savings, water):
    """The hold must commit before the biller is asked: a caller's transaction would
    keep it from the resolver, and roll it back after the biller had been paid."""
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        bill_pay(member=member, order=bill_order(savings, water), key="p1")
    assert not BillPayment.objects.exists()

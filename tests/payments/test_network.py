"""The simulated biller network answers by reference, the same way every time, and
remembers what it did with each key in the database (a web process and a worker share
it)."""

from datetime import date
from decimal import Decimal

import pytest
from django.test import override_settings

from payments.exceptions import BillerUnavailable, BillRefused, NoDebt
from payments.models import SimulatedBillerPayment
from payments.network import (
    Bill,
    BillerTimeout,
    SimulatedBillerNetwork,
    network_get,
    simulated_bills,
)
from tests.payments.conftest import ONE_BILL, TWO_BILLS

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def network():
    return SimulatedBillerNetwork()


def pay(network, reference, bill, key="k1", amount=None):
    return network.pay(
        biller_code="EPMAPA",
        reference=reference,
        bill_number=bill.number if bill else "",
        amount=amount if amount is not None else bill.amount,
        key=key,
    )


def test_the_portal_uses_the_network_the_setting_names():
    assert isinstance(network_get(), SimulatedBillerNetwork)
    with override_settings(BILLER_NETWORK="tests.payments.test_network.Recording"):
        assert isinstance(network_get(), Recording)


class Recording(SimulatedBillerNetwork):
    pass


def test_a_reference_has_one_bill_or_two_when_it_ends_in_an_even_digit(network):
    (bill,) = network.inquire(biller_code="EPMAPA", reference=ONE_BILL)
    assert bill.amount == D("7.13") and len(bill.number) == 9
    older, newer = network.inquire(biller_code="EPMAPA", reference=TWO_BILLS)
    assert (older.amount, newer.amount) == (D("7.13"), D("57.78"))
    assert older.due_date < newer.due_date
    assert older.description.startswith("Consumo de ")


def test_the_bills_depend_only_on_the_reference():
    day = date(2026, 3, 15)
    assert simulated_bills("41515161", today=day) == simulated_bills("41515161", today=day)
    assert simulated_bills("41515161")[0].amount != simulated_bills("41515163")[0].amount
    older, newer = simulated_bills("12345678", today=day)
    assert older.description == "Consumo de enero 2026"
    assert newer.description == "Consumo de febrero 2026"
    assert newer.due_date == date(2026, 3, 10)


def test_a_reference_ending_in_0000_has_no_debt(network):
    with pytest.raises(NoDebt, match="No tienes valores pendientes de pago"):
        network.inquire(biller_code="EPMAPA", reference="12340000")


def test_a_reference_ending_in_9999_finds_the_biller_unavailable(network):
    with pytest.raises(BillerUnavailable, match="no está disponible en este momento"):
        network.inquire(biller_code="EPMAPA", reference="12349999")
    with pytest.raises(BillerUnavailable):
        network.pay(
            biller_code="CNTPAQ", reference="0991239999", bill_number="", amount=D("5"), key="k"
        )
    assert not SimulatedBillerPayment.objects.exists()


def test_a_bill_is_paid_once_per_key_and_is_then_no_longer_pending(network):
    older, newer = network.inquire(biller_code="EPMAPA", reference=TWO_BILLS)
    first = pay(network, TWO_BILLS, older)
    assert pay(network, TWO_BILLS, older) == first  # the same key: the same confirmation
    assert network.status(key="k1") == first
    assert SimulatedBillerPayment.objects.count() == 1
    assert network.inquire(biller_code="EPMAPA", reference=TWO_BILLS) == [newer]
    with pytest.raises(BillRefused, match="no está pendiente"):
        pay(network, TWO_BILLS, older, key="k2")
    pay(network, TWO_BILLS, newer, key="k3")
    with pytest.raises(NoDebt):
        network.inquire(biller_code="EPMAPA", reference=TWO_BILLS)


def test_it_refuses_an_amount_that_is_not_the_bills(network):
    (bill,) = network.inquire(biller_code="EPMAPA", reference=ONE_BILL)
    with pytest.raises(BillRefused, match="no coincide"):
        pay(network, ONE_BILL, bill, amount=D("7.00"))


def test_a_top_up_takes_the_amount_typed(network):
    confirmation = pay(network, "0991234567", None, amount=D("5.00"))
    assert confirmation.network_reference.startswith("SIM")


def test_7777_times_out_and_status_then_confirms(network):
    (bill,) = simulated_bills("12347777")
    with pytest.raises(BillerTimeout):
        pay(network, "12347777", bill)
    confirmation = network.status(key="k1")
    assert confirmation is not None
    assert pay(network, "12347777", bill) == confirmation  # sent again: paid once
    assert SimulatedBillerPayment.objects.get().outcome == "confirmed"


def test_8888_times_out_and_status_then_says_refused(network):
    bill = simulated_bills("12348888")[0]
    with pytest.raises(BillerTimeout):
        pay(network, "12348888", bill)
    with pytest.raises(BillRefused):
        network.status(key="k1")


def test_6666_is_refused_at_once(network):
    bill = simulated_bills("12346666")[0]
    with pytest.raises(BillRefused, match="No se debitó ningún valor"):
        pay(network, "12346666", bill)
    with pytest.raises(BillRefused):
        network.status(key="k1")
    # A refused payment leaves the bill pending.
    assert network.inquire(biller_code="EPMAPA", reference="12346666")[0] == bill


def test_5555_is_never_known(network):
    bill = simulated_bills("12345555")[0]
    for _ in range(2):
        with pytest.raises(BillerTimeout):
            pay(network, "12345555", bill)
        assert network.status(key="k1") is None


def test_status_of_a_key_it_never_saw_is_unknown(network):
    assert network.status(key="never-sent") is None


def test_tests_can_force_an_outcome_or_the_bills(network):
    with SimulatedBillerNetwork.forcing(ONE_BILL, "unavailable"), pytest.raises(BillerUnavailable):
        network.inquire(biller_code="EPMAPA", reference=ONE_BILL)
    bills = (Bill("000000001", "Consumo", D("12.00")),)
    with SimulatedBillerNetwork.forcing(ONE_BILL, bills):
        assert network.inquire(biller_code="EPMAPA", reference=ONE_BILL) == list(bills)
    assert network.inquire(biller_code="EPMAPA", reference=ONE_BILL)[0].amount == D("7.13")
    with pytest.raises(ValueError), SimulatedBillerNetwork.forcing(ONE_BILL, "whatever"):
        pass

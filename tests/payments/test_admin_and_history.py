"""Staff see bill payments as read-only records and find those still por confirmar; a
member's history lists their own payments, filtered as "Historial de pagos" asks."""

from datetime import timedelta

import pytest
import time_machine
from django.http import Http404
from django.utils import timezone

from payments.models import BillPayment
from payments.network import simulated_bills
from payments.selectors import member_bill_payment, member_bill_payments
from payments.services import bill_pay
from tests.payments.conftest import ONE_BILL, PHONE, TWO_BILLS, bill_order, open_funded

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def payments(member, savings, water, topup):
    late = "12347777"
    return {
        "water": bill_pay(member=member, order=bill_order(savings, water, ONE_BILL), key="w"),
        "topup": bill_pay(
            member=member, order=bill_order(savings, topup, PHONE, amount="5.00"), key="t"
        ),
        "late": bill_pay(
            member=member,
            order=bill_order(savings, water, late, str(simulated_bills(late)[0].amount)),
            key="l",
        ),
    }


def test_staff_list_the_payments_still_por_confirmar(staff_client, payments):
    page = staff_client.get("/admin/payments/billpayment/?state__exact=resolving")
    assert page.status_code == 200
    html = page.content.decode()
    assert "12347777" in html and ONE_BILL not in html and "Por confirmar" in html


def test_payments_are_read_only_records(staff_client, payments):
    payment = payments["water"]
    assert staff_client.get("/admin/payments/billpayment/add/").status_code == 403
    page = staff_client.get(f"/admin/payments/billpayment/{payment.pk}/change/")
    assert page.status_code == 200 and payment.journal.reference in page.content.decode()
    assert staff_client.post(f"/admin/payments/billpayment/{payment.pk}/delete/").status_code == 403


def test_the_history_lists_the_members_payments_newest_first_in_every_state(member, payments):
    listed = list(member_bill_payments(member=member))
    assert listed == [payments["late"], payments["topup"], payments["water"]]
    assert listed[0].get_state_display() == "Por confirmar"


def test_the_history_filters_by_category_service_dates_and_code(member, payments, water, topup):
    assert list(member_bill_payments(member=member, category=topup.category)) == [payments["topup"]]
    assert set(member_bill_payments(member=member, biller=water)) == {
        payments["water"],
        payments["late"],
    }
    today = timezone.localdate()
    assert member_bill_payments(member=member, date_from=today, date_to=today).count() == 3
    assert not member_bill_payments(member=member, date_to=today - timedelta(days=1)).exists()
    assert not member_bill_payments(member=member, date_from=today + timedelta(days=1)).exists()
    assert list(member_bill_payments(member=member, code=ONE_BILL)) == [payments["water"]]
    by_receipt = member_bill_payments(member=member, code=payments["topup"].journal.reference)
    assert list(by_receipt) == [payments["topup"]]
    assert not member_bill_payments(member=member, code="9" * 30).exists()


def test_the_history_counts_local_days(member, savings, water):
    late_evening = timezone.make_aware(
        timezone.datetime.combine(timezone.localdate(), timezone.datetime.min.time())
    ) + timedelta(hours=23, minutes=30)
    with time_machine.travel(late_evening, tick=False):
        bill_pay(member=member, order=bill_order(savings, water, TWO_BILLS), key="n")
    day = timezone.localtime(late_evening).date()
    assert member_bill_payments(member=member, date_from=day, date_to=day).count() == 1


def test_nobody_reads_another_members_payments(member, other_member, catalog, water, payments):
    theirs = open_funded(other_member)
    their_payment = bill_pay(
        member=other_member, order=bill_order(theirs, water, TWO_BILLS), key="g"
    )
    assert their_payment not in member_bill_payments(member=member)
    with pytest.raises(Http404):
        member_bill_payment(member=member, public_id=their_payment.public_id)
    mine = member_bill_payment(member=member, public_id=payments["water"].public_id)
    assert mine.state == BillPayment.State.PAID

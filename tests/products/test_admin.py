"""Branch staff grant loans, open pólizas and follow requests in the admin."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import AuditEvent
from products.models import Loan, LoanType, ProductRequest, TermDeposit, TermDepositType


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


def test_staff_grant_a_loan_with_a_reason(staff_client, staff_user, member, savings):
    today = timezone.localdate()
    response = staff_client.post(
        "/admin/products/loan/add/",
        {
            "member": member.pk,
            "loan_type": LoanType.objects.get(code="CAG").pk,
            "principal": "1000.00",
            "installments": "24",
            "disbursement_account": savings.number,
            "granted_on": today.isoformat(),
            "first_due": (today + timedelta(days=30)).isoformat(),
            "reason": "Aprobado por comité de crédito",
        },
        follow=True,
    )
    assert response.status_code == 200
    loan = Loan.objects.get()
    assert loan.installments.count() == 24
    savings.ledger_account.refresh_from_db()
    assert savings.ledger_account.balance == Decimal("1500.00")
    event = AuditEvent.objects.filter(event="staff_action").latest("seq")
    assert event.actor == staff_user and event.data["reason"] == "Aprobado por comité de crédito"
    detail = staff_client.get(f"/admin/products/loan/{loan.pk}/change/").content.decode()
    assert "Saldo capital" in detail or "saldo capital" in detail


def test_staff_cannot_disburse_into_another_members_account(
    staff_client, member, other_member, savings
):
    from products.models import ProductType
    from products.services import deposit_account_open

    foreign = deposit_account_open(
        member=other_member, product_type=ProductType.objects.get(code="AHO")
    )
    today = timezone.localdate()
    response = staff_client.post(
        "/admin/products/loan/add/",
        {
            "member": member.pk,
            "loan_type": LoanType.objects.get(code="CAG").pk,
            "principal": "1000.00",
            "installments": "24",
            "disbursement_account": foreign.number,
            "granted_on": today.isoformat(),
            "first_due": (today + timedelta(days=30)).isoformat(),
            "reason": "x",
        },
    )
    assert "La cuenta de desembolso debe ser del mismo socio." in response.content.decode()
    assert not Loan.objects.exists()


def test_staff_open_a_term_deposit(staff_client, member, savings):
    staff_client.get("/admin/products/termdeposit/add/")
    response = staff_client.post(
        "/admin/products/termdeposit/add/",
        {
            "member": member.pk,
            "deposit_type": TermDepositType.objects.get(code="DPF").pk,
            "account": savings.number,
            "capital": "300.00",
            "term_days": "180",
            "annual_rate": "0.0725",
            "reason": "Inversión del socio",
            "reference": "a" * 32,
        },
        follow=True,
    )
    assert response.status_code == 200
    deposit = TermDeposit.objects.get()
    assert deposit.capital == Decimal("300.00")
    savings.ledger_account.refresh_from_db()
    assert savings.ledger_account.balance == Decimal("200.00")


def test_staff_follow_up_a_request(staff_client, member):
    request = ProductRequest.objects.create(member=member, kind="loan", amount=Decimal("900"))
    staff_client.post(
        f"/admin/products/productrequest/{request.pk}/change/",
        {"status": "in_progress", "staff_note": "Llamar el lunes"},
    )
    request.refresh_from_db()
    assert request.status == "in_progress" and request.amount == Decimal("900")

"""Loans: granted at the branch, paid installment by installment, overdue marked."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import AuditEvent
from ledger.books import book_account
from ledger.models import Journal
from ledger.selectors import book_balance
from products.loans import (
    AmountChanged,
    InstallmentAlreadyPaid,
    LoanError,
    LoanTermsInvalid,
    installment_pay,
    installments_mark_overdue,
    loan_due,
    loan_grant,
)
from products.models import Installment, Loan, ProductType, VerifiedDocument
from products.selectors import loan_summary, schedule_rows
from products.services import deposit_account_open
from tests.auth import last_code, op_id
from tests.documents import assert_the_paper_says_what_the_page_says, pdf_text


@pytest.fixture
def loan(member, savings, agil, staff_user):
    return loan_grant(
        member=member,
        loan_type=agil,
        principal=Decimal("1000.00"),
        installments=24,
        disbursement_account=savings,
        granted_on=date(2025, 7, 1),
        first_due=date(2025, 7, 25),
        actor=staff_user,
        reason="Crédito aprobado en comité",
    )


def test_granting_disburses_into_the_account_and_writes_the_schedule(loan, savings, staff_user):
    savings.ledger_account.refresh_from_db()
    assert savings.ledger_account.balance == Decimal("1500.00")
    loan.ledger_account.refresh_from_db()
    assert loan.ledger_account.balance == Decimal("1000.00")
    assert loan.installments.count() == 24
    assert loan.payment == Decimal("49.66")
    first = loan.installments.get(number=1)
    assert (first.capital, first.interest, first.insurance) == (
        Decimal("38.03"),
        Decimal("10.40"),
        Decimal("1.23"),
    )
    assert len(loan.number) == 10
    event = AuditEvent.objects.filter(event="staff_action").latest("seq")
    assert event.actor == staff_user and event.data["action"] == "loan_grant"


def test_granting_refuses_another_members_account(member, other_member, agil, savings):
    foreign = deposit_account_open(
        member=other_member, product_type=ProductType.objects.get(code="AHO")
    )
    with pytest.raises(LoanTermsInvalid):
        loan_grant(
            member=member,
            loan_type=agil,
            principal=Decimal("100.00"),
            installments=6,
            disbursement_account=foreign,
        )
    assert not Loan.objects.exists()


@pytest.mark.parametrize(
    "principal,installments,gap",
    [
        (Decimal("0"), 12, 30),
        (Decimal("-5"), 12, 30),
        (Decimal("100.00"), 0, 30),
        (Decimal("100.00"), 12, 60),
    ],
)
def test_granting_refuses_bad_terms(member, agil, savings, principal, installments, gap):
    with pytest.raises(LoanTermsInvalid):
        loan_grant(
            member=member,
            loan_type=agil,
            principal=principal,
            installments=installments,
            disbursement_account=savings,
            granted_on=date(2026, 1, 5),
            first_due=date(2026, 1, 5) + timedelta(days=gap),
        )
    assert (
        not Loan.objects.exists() and not Journal.objects.filter(kind="loan_disbursement").exists()
    )


def test_paying_an_installment_splits_it_in_the_ledger(loan, savings):
    on = date(2025, 7, 20)
    due = loan_due(loan=loan, on=on)
    income_before = book_balance("INTEREST_INCOME", "USD")
    posted = installment_pay(loan=loan, number=1, amount=due.total, account=savings, on=on)
    savings.ledger_account.refresh_from_db()
    loan.ledger_account.refresh_from_db()
    assert savings.ledger_account.balance == Decimal("1500.00") - Decimal("49.66")
    assert loan.ledger_account.balance == Decimal("961.97")
    assert book_balance("INTEREST_INCOME", "USD") - income_before == Decimal("10.40")
    assert book_account("INSURANCE_PAYABLE", "USD").balance == Decimal("1.23")
    first = loan.installments.get(number=1)
    assert first.state == Installment.State.PAID and first.journal_id == posted.journal_id


def test_an_installment_is_paid_once(loan, savings):
    on = date(2025, 7, 20)
    amount = loan_due(loan=loan, on=on).total
    installment_pay(loan=loan, number=1, amount=amount, account=savings, on=on)
    with pytest.raises(InstallmentAlreadyPaid):
        installment_pay(loan=loan, number=1, amount=amount, account=savings, on=on)
    assert Journal.objects.filter(kind="loan_payment").count() == 1


def test_a_replayed_payment_returns_the_first_one_and_another_is_refused(loan, savings):
    on = date(2025, 7, 20)
    amount = loan_due(loan=loan, on=on).total
    first = installment_pay(loan=loan, number=1, amount=amount, account=savings, on=on, key="k1")
    again = installment_pay(loan=loan, number=1, amount=amount, account=savings, on=on, key="k1")
    assert (again.journal_id, again.replayed) == (first.journal_id, True)
    with pytest.raises(InstallmentAlreadyPaid):  # another request for the same installment
        installment_pay(loan=loan, number=1, amount=amount, account=savings, on=on, key="k2")
    assert Journal.objects.filter(kind="loan_payment").count() == 1


def test_installments_are_paid_in_order(loan, savings):
    with pytest.raises(LoanError):
        installment_pay(
            loan=loan, number=2, amount=Decimal("49.66"), account=savings, on=date(2025, 7, 20)
        )


def test_a_changed_amount_is_refused(loan, savings):
    with pytest.raises(AmountChanged):
        installment_pay(
            loan=loan, number=1, amount=Decimal("49.00"), account=savings, on=date(2025, 7, 20)
        )
    assert not Journal.objects.filter(kind="loan_payment").exists()


def test_a_late_installment_pays_the_late_charge(loan, savings):
    on = date(2025, 8, 4)  # ten days late
    due = loan_due(loan=loan, on=on)
    # 38.03 × 15.6 % × 10 % × 10 / 360
    assert due.late == Decimal("0.02")
    installment_pay(loan=loan, number=1, amount=due.total, account=savings, on=on)
    assert loan.installments.get(number=1).late_charge == Decimal("0.02")


def test_paying_every_installment_cancels_the_loan_and_zeroes_the_receivable(member, agil, savings):
    from products.services import cash_deposit

    cash_deposit(account=savings, amount=Decimal("2000.00"), key="more")
    loan = loan_grant(
        member=member,
        loan_type=agil,
        principal=Decimal("600.00"),
        installments=6,
        disbursement_account=savings,
        granted_on=date(2025, 1, 10),
        first_due=date(2025, 2, 10),
    )
    for installment in loan.installments.order_by("number"):
        on = installment.due_date
        installment_pay(
            loan=loan,
            number=installment.number,
            amount=loan_due(loan=loan, on=on).total,
            account=savings,
            on=on,
        )
    loan.refresh_from_db()
    loan.ledger_account.refresh_from_db()
    assert loan.status == Loan.Status.PAID_OFF
    assert loan.ledger_account.balance == Decimal("0.00")


def test_the_overdue_task_marks_once(loan):
    today = date(2025, 9, 1)
    assert installments_mark_overdue(on=today) == 2
    assert installments_mark_overdue(on=today) == 0
    loan.refresh_from_db()
    assert loan.status == Loan.Status.OVERDUE
    states = list(loan.installments.order_by("number").values_list("state", flat=True)[:3])
    assert states == ["overdue", "overdue", "pending"]


def test_schedule_rows_say_vigente_por_vencer_pagada_vencida(loan, savings):
    on = date(2025, 7, 20)
    installment_pay(
        loan=loan, number=1, amount=loan_due(loan=loan, on=on).total, account=savings, on=on
    )
    rows = schedule_rows(loan=loan, on=date(2025, 9, 1))
    assert [r.status for r in rows[:4]] == ["PAGADA", "VENCIDA", "VIGENTE", "POR VENCER"]
    assert rows[0].paid == Decimal("49.66") and rows[0].to_pay == Decimal("0.00")
    assert rows[1].other > 0


def test_summary_progress_and_amount_due(loan, savings):
    summary = loan_summary(loan, on=date(2025, 7, 20))
    assert summary.paid_count == 0 and summary.progress == Decimal("0.00")
    assert summary.amount_due == Decimal("49.66") and summary.next_due == date(2025, 7, 25)
    late = loan_summary(loan, on=date(2025, 8, 26))  # two installments overdue
    assert late.amount_due > Decimal("99.32")


# --- Pages -------------------------------------------------------------------------------


def test_the_position_lists_loans(member_client, loan):
    html = member_client.get("/posicion-consolidada/").content.decode()
    assert loan.number in html and "CONSUMO AGIL" in html and "$1,000.00" in html


def test_the_loan_detail_and_schedule(member_client, loan):
    html = member_client.get(f"/creditos/{loan.public_id}/").content.decode()
    for text in ("Tipo de crédito", "CONSUMO AGIL", "15.60%", "$49.66", "0/24", "Avance de pago"):
        assert text in html
    table = member_client.get(
        f"/creditos/{loan.public_id}/tabla/", HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "<html" not in table and "Seguro Desgravamen" in table and "$961.97" in table


def test_the_schedule_downloads_as_a_pdf(member_client, loan):
    response = member_client.get(f"/creditos/{loan.public_id}/tabla/descargar/")
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "TABLA DE AMORTIZACIÓN" in text and loan.number in text
    assert "$38.03" in text and "$961.97" in text and "Código de verificación" in text


def test_the_schedules_verification_page_says_what_the_paper_says(member_client, client, loan):
    pdf = member_client.get(f"/creditos/{loan.public_id}/tabla/descargar/").content
    document = VerifiedDocument.objects.get(kind=VerifiedDocument.Kind.AMORTIZATION)
    page = client.get(f"/verificar/{document.code}/").content.decode()
    fields = dict(assert_the_paper_says_what_the_page_says(pdf, page))
    assert fields["Número de crédito"] == "*****" + loan.number[-4:]
    assert fields["Monto"] == "$1,000.00" and fields["Tasa (%)"] == "15.60%"
    assert fields["Número de cuotas"] == "24" and fields["Cuota de crédito"] == "$49.66"
    assert loan.number not in page and loan.member.last_names not in page


def test_paying_from_the_portal_with_a_code(member_client, member, agil, savings):
    today = timezone.localdate()
    loan = loan_grant(
        member=member,
        loan_type=agil,
        principal=Decimal("300.00"),
        installments=3,
        disbursement_account=savings,
        granted_on=today - timedelta(days=10),
        first_due=today + timedelta(days=20),
    )
    url = f"/creditos/{loan.public_id}/pagar/"
    step = member_client.post(url, {"step": "form", "cuenta": str(savings.public_id)})
    html = step.content.decode()
    assert "Verifica que todos los datos estén correctos" in html and "Valor a pagar" in html
    op = op_id(step)
    code = last_code()
    done = member_client.post(url, {"step": "confirm", "op": op, "answer": code})
    html = done.content.decode()
    assert "Comprobante NOTA DE DÉBITO" in html and "Pago de crédito" in html
    again = member_client.post(url, {"step": "confirm", "op": op, "answer": code})
    assert "Comprobante NOTA DE DÉBITO" in again.content.decode()
    assert Journal.objects.filter(kind="loan_payment").count() == 1
    assert loan.installments.get(number=1).state == Installment.State.PAID


def test_a_wrong_code_pays_nothing(member_client, loan, savings):
    url = f"/creditos/{loan.public_id}/pagar/"
    step = member_client.post(url, {"step": "form", "cuenta": str(savings.public_id)})
    wrong = "000000" if last_code() != "000000" else "111111"
    member_client.post(url, {"step": "confirm", "op": op_id(step), "answer": wrong})
    assert not Journal.objects.filter(kind="loan_payment").exists()


def test_a_forged_account_is_refused(member_client, other_member, loan):
    foreign = deposit_account_open(
        member=other_member, product_type=ProductType.objects.get(code="AHO")
    )
    url = f"/creditos/{loan.public_id}/pagar/"
    response = member_client.post(url, {"step": "form", "cuenta": str(foreign.public_id)})
    assert "Selecciona una de tus cuentas." in response.content.decode()
    assert not Journal.objects.filter(kind="loan_payment").exists()


def test_insufficient_funds_is_said_before_the_code(member_client, member, agil, catalog):
    poor = deposit_account_open(member=member, product_type=ProductType.objects.get(code="AHO"))
    from products.services import cash_deposit

    cash_deposit(account=poor, amount=Decimal("5.00"), key="poor")
    loan = loan_grant(
        member=member,
        loan_type=agil,
        principal=Decimal("100.00"),
        installments=2,
        disbursement_account=poor,
    )
    from products.services import cash_withdrawal

    cash_withdrawal(account=poor, amount=Decimal("104.00"), key="spent")
    url = f"/creditos/{loan.public_id}/pagar/"
    response = member_client.post(url, {"step": "form", "cuenta": str(poor.public_id)})
    assert "Saldo insuficiente" in response.content.decode()

"""Receipts, the position with every family, the eye icon, requests and contact."""

from datetime import date
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import AuditEvent
from ledger.models import Posting
from products.investments import term_deposit_open
from products.loans import loan_grant
from products.models import (
    LoanType,
    ProductRequest,
    ProductType,
    TermDepositType,
    VerifiedDocument,
)
from products.services import cash_deposit, deposit_account_open
from tests.documents import assert_the_paper_says_what_the_page_says, pdf_text


def test_every_movement_has_a_receipt(member_client, savings):
    posting = Posting.objects.filter(account=savings.ledger_account).latest("pk")
    url = f"/cuentas/{savings.public_id}/movimientos/{posting.pk}/comprobante/"
    html = member_client.get(url).content.decode()
    assert "Comprobante NOTA DE CRÉDITO" in html
    for label in ("Tipo", "Valor", "Comisión", "Fecha", "Canal", "Motivo", "Institución"):
        assert f"<dt>{label}</dt>" in html
    assert "$500.00" in html and "Agencia" in html
    text = pdf_text(member_client.get(url + "?formato=pdf").content)
    assert "Comprobante NOTA DE CRÉDITO" in text and "$500.00" in text
    assert "Código de verificación" in text


def test_an_app_describes_the_receipts_of_the_journals_it_writes(
    member_client, savings, monkeypatch
):
    """A later operation (a bill payment, a payroll line) gets its receipt lines from the
    describer its app registers for its journals' source: products names none of them."""
    from core import receipts

    monkeypatch.setattr(receipts, "_describers", {})
    receipts.describer_register(
        "products.depositaccount",
        lambda journal: receipts.Description(
            beneficiary="EMPRESA ELÉCTRICA QUITO — Suministro *****1234",
            institution="EMPRESA ELÉCTRICA QUITO",
            status="Pagada",
        ),
    )
    posting = Posting.objects.filter(account=savings.ledger_account).latest("pk")
    html = member_client.get(
        f"/cuentas/{savings.public_id}/movimientos/{posting.pk}/comprobante/"
    ).content.decode()
    assert "EMPRESA ELÉCTRICA QUITO — Suministro *****1234" in html
    assert "<dd>EMPRESA ELÉCTRICA QUITO</dd>" in html and "<dd>Pagada</dd>" in html


def test_a_debit_receipt_names_the_loan_it_paid(member_client, member, savings):
    from products.loans import installment_pay, loan_due

    loan = loan_grant(
        member=member,
        loan_type=LoanType.objects.get(code="CAG"),
        principal=Decimal("200.00"),
        installments=4,
        disbursement_account=savings,
        granted_on=date(2025, 7, 1),
        first_due=date(2025, 7, 25),
    )
    on = date(2025, 7, 25)
    posted = installment_pay(
        loan=loan, number=1, amount=loan_due(loan=loan, on=on).total, account=savings, on=on
    )
    posting = Posting.objects.get(journal_id=posted.journal_id, account=savings.ledger_account)
    html = member_client.get(
        f"/cuentas/{savings.public_id}/movimientos/{posting.pk}/comprobante/"
    ).content.decode()
    assert "Comprobante NOTA DE DÉBITO" in html and "Pago de crédito" in html
    assert "*****" + loan.number[-4:] in html and "*****" + savings.number[-4:] in html


def test_a_receipts_verification_page_says_what_the_paper_says(
    member_client, client, member, savings
):
    from products.loans import installment_pay, loan_due

    loan = loan_grant(
        member=member,
        loan_type=LoanType.objects.get(code="CAG"),
        principal=Decimal("200.00"),
        installments=4,
        disbursement_account=savings,
        granted_on=date(2025, 7, 1),
        first_due=date(2025, 7, 25),
    )
    on = date(2025, 7, 25)
    paid = installment_pay(
        loan=loan, number=1, amount=loan_due(loan=loan, on=on).total, account=savings, on=on
    )
    deposit = Posting.objects.filter(account=savings.ledger_account).order_by("pk").first()
    debit = Posting.objects.get(journal_id=paid.journal_id, account=savings.ledger_account)
    for posting, kind in ((deposit, "Depósito"), (debit, "Pago de crédito")):
        url = f"/cuentas/{savings.public_id}/movimientos/{posting.pk}/comprobante/"
        pdf = member_client.get(url + "?formato=pdf").content
        document = VerifiedDocument.objects.latest("pk")
        page = client.get(f"/verificar/{document.code}/").content.decode()
        fields = dict(assert_the_paper_says_what_the_page_says(pdf, page))
        assert fields["Comprobante N.º"] == posting.journal.reference
        assert fields["Tipo"] == kind and fields["Fecha"]
        assert "Beneficiario" not in fields and member.last_names not in page
        assert savings.number not in page


def test_a_receipt_of_another_account_is_404(member_client, member, other_member, savings):
    foreign = deposit_account_open(
        member=other_member, product_type=ProductType.objects.get(code="AHO")
    )
    cash_deposit(account=foreign, amount=Decimal("10.00"), key="foreign")
    theirs = Posting.objects.filter(account=foreign.ledger_account).latest("pk")
    # their posting under my account's URL, and my posting under theirs
    assert (
        member_client.get(
            f"/cuentas/{savings.public_id}/movimientos/{theirs.pk}/comprobante/"
        ).status_code
        == 404
    )
    assert (
        member_client.get(
            f"/cuentas/{foreign.public_id}/movimientos/{theirs.pk}/comprobante/"
        ).status_code
        == 404
    )


def test_the_position_query_count_is_flat_across_families(member_client, member, savings):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert member_client.get("/posicion-consolidada/").status_code == 200
        return len(captured)

    def add_products():
        loan_grant(
            member=member,
            loan_type=LoanType.objects.get(code="CAG"),
            principal=Decimal("100.00"),
            installments=12,
            disbursement_account=savings,
        )
        savings.ledger_account.refresh_from_db()
        term_deposit_open(
            member=member,
            deposit_type=TermDepositType.objects.get(code="DPF"),
            account=savings,
            capital=Decimal("50.00"),
            term_days=90,
            annual_rate=Decimal("0.06"),
            key=f"td-{savings.ledger_account.balance}",
        )

    add_products()
    queries()
    before = queries()
    for _ in range(3):
        add_products()
    assert queries() == before


def test_the_eye_hides_every_amount_and_is_remembered(member_client, member, savings):
    assert "$500.00" in member_client.get("/posicion-consolidada/").content.decode()
    member_client.post("/posicion-consolidada/ocultar-montos/")
    member.user.refresh_from_db()
    assert member.user.hide_amounts
    html = member_client.get("/posicion-consolidada/").content.decode()
    assert "$500.00" not in html and "****" in html
    member_client.post("/posicion-consolidada/ocultar-montos/")
    assert "$500.00" in member_client.get("/posicion-consolidada/").content.decode()


def test_the_eye_is_a_post(member_client):
    assert member_client.get("/posicion-consolidada/ocultar-montos/").status_code == 405


def test_the_share_button_carries_the_account_details(member_client, savings):
    from django.utils.html import escape

    from core.profile import cooperative_current

    html = member_client.get("/posicion-consolidada/").content.decode()
    holder = savings.member
    text = (
        f"{cooperative_current().short_name} · {savings.product_type.name} · "
        f"N.º {savings.number} · {holder.full_name} · "
        f"{holder.get_id_type_display()} {holder.id_number}"
    )
    assert holder.id_number and f'data-share="{escape(text)}"' in html
    assert f'href="{reverse("products:account", args=[savings.public_id])}"' in html


def test_a_product_request_reaches_staff(member_client, member, admin_client):
    response = member_client.post(
        "/solicita-tus-productos/",
        {"kind": "loan", "amount": "2500", "term": "24", "comment": "Para mi negocio"},
        follow=True,
    )
    assert "Tu solicitud fue enviada exitosamente" in response.content.decode()
    request = ProductRequest.objects.get()
    assert request.member == member and request.amount == Decimal("2500.00")
    assert AuditEvent.objects.filter(event="product_request").exists()
    assert "RECIBIDA" in response.content.decode()


def test_a_bad_request_says_why_and_saves_nothing(member_client):
    response = member_client.post(
        "/solicita-tus-productos/", {"kind": "yacht", "amount": "-5", "term": "999"}
    )
    html = response.content.decode()
    assert (
        "Selecciona una opción válida" in html
        or "Escoja una opción válida" in html
        or "válid" in html
    )
    assert "El monto debe ser mayor a cero." in html
    assert not ProductRequest.objects.exists()


def test_contact_shows_the_profiles_channels(member_client, cooperative):
    html = member_client.get("/contacto/").content.decode()
    assert cooperative.call_center_phone in html


def test_services_lists_what_it_offers(member_client):
    html = member_client.get("/servicios/").content.decode()
    assert "Solicita tus productos" in html and "Contacto" in html

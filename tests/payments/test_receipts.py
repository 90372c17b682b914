"""A bill payment's receipt reads as the manual's "¡Pago exitoso!": Comprobante N.º, Valor
pagado, Comisión, Total debitado, Fecha, Cuenta de origen, Categoría, Empresa,
Referencia — on the done step, the receipt page and the verifiable PDF."""

from decimal import Decimal

import pytest
from django.utils import timezone

from ledger.models import Posting
from payments.models import BillPayment
from payments.services import bill_pay
from products.models import VerifiedDocument
from products.receipts import receipt_build, receipt_fields, receipt_result
from tests.documents import assert_the_paper_says_what_the_page_says, pdf_text
from tests.payments.conftest import PHONE, TWO_BILLS, bill_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(member, savings, water):
    return bill_pay(member=member, order=bill_order(savings, water, TWO_BILLS), key="p1")


def expected(payment, savings):
    when = timezone.localtime(payment.journal.created_at).strftime("%d/%m/%Y %H:%M")
    return [
        ("Comprobante N.º", payment.journal.reference),
        ("Valor pagado", "$7.13"),
        ("Comisión", "$0.31"),
        ("Total debitado", "$7.44"),
        ("Fecha", when),
        ("Cuenta de origen", f"CUENTA DE AHORROS *****{savings.number[-4:]}"),
        ("Categoría", "AGUA"),
        ("Empresa", "AGUA EPMAPA PEDERNALES"),
        ("Referencia", TWO_BILLS),
    ]


def test_the_done_step_shows_the_manuals_receipt(member, savings, paid):
    result = receipt_result(paid.journal, viewer=member)
    assert result["title"] == "Comprobante NOTA DE DÉBITO"
    assert result["receipt"]["lines"] == expected(paid, savings)


def test_every_leg_of_the_payment_opens_the_same_receipt(savings, paid):
    for posting in Posting.objects.filter(journal=paid.journal, account=savings.ledger_account):
        receipt = receipt_build(account=savings, posting_id=posting.pk)
        assert receipt.lines == expected(paid, savings)
        assert receipt.fee == Decimal("0.31") and receipt.amount == Decimal("7.13")


def test_a_top_up_without_commission_still_prints_it_and_the_total(member, savings, topup):
    payment = bill_pay(
        member=member, order=bill_order(savings, topup, PHONE, amount="5.00"), key="r1"
    )
    lines = dict(receipt_result(payment.journal, viewer=member)["receipt"]["lines"])
    assert (lines["Valor pagado"], lines["Comisión"], lines["Total debitado"]) == (
        "$5.00",
        "$0.00",
        "$5.00",
    )
    assert (lines["Categoría"], lines["Empresa"], lines["Referencia"]) == (
        "Recargas",
        "RECARGAS CNT PAQUETE",
        PHONE,
    )


def test_the_verification_page_leaves_the_reference_out(savings, paid):
    posting = Posting.objects.filter(journal=paid.journal, account=savings.ledger_account).first()
    fields = dict(receipt_fields(receipt_build(account=savings, posting_id=posting.pk)))
    assert "Referencia" not in fields
    assert fields["Empresa"] == "AGUA EPMAPA PEDERNALES" and fields["Total debitado"] == "$7.44"


def test_the_receipt_page_and_its_pdf_print_it_and_the_paper_can_be_verified(
    member_client, client, savings, paid
):
    posting = Posting.objects.filter(journal=paid.journal, account=savings.ledger_account).first()
    url = f"/cuentas/{savings.public_id}/movimientos/{posting.pk}/comprobante/"
    html = member_client.get(url).content.decode()
    for label, value in expected(paid, savings):
        assert f"<dt>{label}</dt><dd>{value}</dd>" in html
    pdf = member_client.get(url + "?formato=pdf").content
    text = pdf_text(pdf)
    assert "Valor pagado" in text and "AGUA EPMAPA PEDERNALES" in text and TWO_BILLS in text
    document = VerifiedDocument.objects.latest("pk")
    page = client.get(f"/verificar/{document.code}/").content.decode()
    fields = dict(assert_the_paper_says_what_the_page_says(pdf, page))
    assert fields["Comprobante N.º"] == paid.journal.reference
    assert TWO_BILLS not in page and savings.number not in page


def test_a_journal_of_a_payment_that_no_longer_exists_reads_the_ledger_alone(
    savings, paid, monkeypatch
):
    from payments.receipts import bill_payment_describe

    monkeypatch.setattr(paid.journal, "source_id", "999999")
    assert bill_payment_describe(paid.journal) is None
    assert BillPayment.objects.filter(pk=paid.pk).exists()

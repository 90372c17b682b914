"""Soporte: complaints with a checked attachment, and the FAQ."""

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Complaint
from tests.auth import sign_in

VALID = {
    "product": "Cuenta de ahorros",
    "product_number": "410000000017",
    "full_name": "María Fernanda Pérez Andrade",
    "id_number": "1714307103",
    "phone": "+593991234567",
    "email": "maria@example.com",
    "detail": "Un débito que no reconozco del 12/11.",
    "claim_amount": "25.00",
    "returned_amount": "0.00",
    "data_consent": "on",
}


@pytest.fixture
def me(client, member, password, settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    sign_in(client, "mariaperez", password)
    return client


def pdf(name="comprobante.pdf"):
    return SimpleUploadedFile(
        name, b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF", content_type="application/pdf"
    )


def test_a_complaint_is_stored_and_acknowledged(me, member):
    response = me.post("/perfil/soporte/reclamo/", {**VALID, "attachment": pdf()}, follow=True)
    complaint = Complaint.objects.get(member=member)
    assert f"Recibimos tu reclamo N.º {complaint.pk}" in response.content.decode()
    assert complaint.attachment_name == "comprobante.pdf"
    assert "comprobante" not in complaint.attachment.name  # random name on disk
    assert complaint.attachment.name.endswith(".pdf")
    assert any(m.subject.endswith(f"N.º {complaint.pk}") for m in mail.outbox)


def test_the_form_starts_with_the_members_data(me, member):
    html = me.get("/perfil/soporte/reclamo/").content.decode()
    assert member.id_number in html and "Monto del Reclamo (*)" in html


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("factura.pdf", b"MZ\x90\x00 not a pdf"), "PDF, JPG o PNG"),
        (SimpleUploadedFile("foto.png", b"<svg onload=alert(1)>"), "PDF, JPG o PNG"),
        (SimpleUploadedFile("grande.pdf", b"%PDF-" + b"0" * (5 * 1024 * 1024)), "5 MB"),
    ],
)
def test_attachments_are_checked_by_content_and_size(me, member, upload, message):
    response = me.post("/perfil/soporte/reclamo/", {**VALID, "attachment": upload})
    assert message in response.content.decode()
    assert not Complaint.objects.exists()


def test_required_fields_and_consent(me):
    response = me.post("/perfil/soporte/reclamo/", {**VALID, "full_name": "", "data_consent": ""})
    assert response.status_code == 200
    assert not Complaint.objects.exists()


def test_a_full_card_number_is_refused(me):
    response = me.post("/perfil/soporte/reclamo/", {**VALID, "product_number": "5137440000000391"})
    assert "últimos cuatro dígitos" in response.content.decode()


def test_only_staff_download_attachments(me, member, staff_user):
    me.post("/perfil/soporte/reclamo/", {**VALID, "attachment": pdf()})
    complaint = Complaint.objects.get(member=member)
    url = f"/agencia/reclamos/{complaint.pk}/adjunto/"
    assert me.get(url).status_code == 302  # a member is sent to sign in as staff
    me.force_login(staff_user)
    response = me.get(url)
    assert response.status_code == 200
    assert 'attachment; filename="comprobante.pdf"' in response["Content-Disposition"]


def test_the_faq_is_public(client, db):
    html = client.get("/preguntas-frecuentes/").content.decode()
    assert "¿Cómo bloqueo mi cuenta de ahorros si fui víctima de fraude?" in html

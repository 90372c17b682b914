""" "Quejas y reclamos": stored for staff, the attachment checked by content."""

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import Complaint, Member
from core.notifications import notify
from core.profile import cooperative_current

MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
SIGNATURES = {b"%PDF-": "pdf", b"\x89PNG\r\n\x1a\n": "png", b"\xff\xd8\xff": "jpeg"}


def sniff_attachment(upload) -> str:
    """``pdf``, ``png`` or ``jpeg`` judged by the file's first bytes, never its name."""
    if upload.size > MAX_ATTACHMENT_BYTES:
        raise ValidationError("El archivo debe pesar como máximo 5 MB.")
    head = upload.read(16)
    upload.seek(0)
    for signature, kind in SIGNATURES.items():
        if head.startswith(signature):
            return kind
    raise ValidationError("El archivo debe ser un PDF, JPG o PNG.")


def _acknowledge(complaint_id: int) -> None:
    complaint = Complaint.objects.get(pk=complaint_id)
    coop = cooperative_current()
    notify(
        email=complaint.email,
        subject=f"{coop.short_name}: recibimos tu reclamo N.º {complaint.pk}",
        body=(
            f"Estimado(a) {complaint.full_name}: recibimos tu reclamo N.º {complaint.pk} sobre "
            f"{complaint.product}. Te contactaremos por este medio o al {complaint.phone}."
        ),
        kind="Reclamo recibido",
    )
    if coop.complaints_email:
        notify(
            email=coop.complaints_email,
            subject=f"Nuevo reclamo N.º {complaint.pk}",
            body=f"Reclamo N.º {complaint.pk} de {complaint.full_name} sobre {complaint.product}.",
            kind="Reclamo nuevo (cooperativa)",
        )


def complaint_file(*, member: Member, data: dict, attachment=None) -> Complaint:
    complaint = Complaint(member=member, **data)
    if attachment is not None:
        complaint._sniffed_type = sniff_attachment(attachment)
        complaint.attachment_name = attachment.name[-120:]
        complaint.attachment = attachment
    with transaction.atomic():
        complaint.save()
        _acknowledge(complaint.pk)
    return complaint

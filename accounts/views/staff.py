"""Files only branch staff may open (served as attachments, never inline)."""

from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import permission_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_safe

from accounts.models import Complaint


@staff_member_required
@permission_required("accounts.view_complaint", raise_exception=True)
@require_safe
def complaint_attachment(request, pk: int):
    """A complaint's attachment, for staff who may read complaints in the admin."""
    complaint = get_object_or_404(Complaint, pk=pk)
    if not complaint.attachment:
        raise Http404
    return FileResponse(
        complaint.attachment.open("rb"),
        as_attachment=True,
        filename=complaint.attachment_name or complaint.attachment.name.rsplit("/", 1)[-1],
    )

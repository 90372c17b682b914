""" "Historial de pagos": the owner's payments with the manual's filters, and the same
list as PDF or Excel — at once when it is a few dozen rows, from a worker (the documents
page, with its progress) when more."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from accounts.owners import request_member
from core.ratelimit import rate_limited, too_many_requests
from payments.history import (
    OLDEST_NOTE,
    OPTIONAL_NOTE,
    PaymentHistoryForm,
    history_catalog,
    history_filename,
    history_params,
    history_pdf,
    history_query,
    history_xlsx,
    member_payment_history,
)
from products.jobs import INLINE_ROWS, PDF, XLSX, document_job_start
from products.models import DocumentJob


def _filter_form(request) -> PaymentHistoryForm:
    categories, billers = history_catalog()
    return PaymentHistoryForm(request.GET or None, categories=categories, billers=billers)


def _without(params, *names) -> str:
    copy = params.copy()
    for name in names:
        copy.pop(name, None)
    return copy.urlencode()


@login_required
@require_safe
def history(request):
    """The filters, then the payments they find (the last 30 days when none is given). A
    refused range shows the manual's note and no rows."""
    member = request_member(request)
    form = _filter_form(request)
    found = None
    if not form.is_bound or form.is_valid():
        found = member_payment_history(member=member, query=history_query(form))
    return render(
        request,
        "payments/history.html",
        {
            "form": form,
            "history": found,
            "oldest_note": OLDEST_NOTE,
            "optional_note": OPTIONAL_NOTE,
            "download_query": _without(request.GET, "formato"),
        },
    )


@login_required
@require_safe
def history_download(request):
    """ "Descargar PDF" / "Descargar Excel" of what the filters find: rendered at once
    when they are at most ``INLINE_ROWS`` payments, else a document job a worker renders
    while the member watches its progress."""
    member = request_member(request)
    form = _filter_form(request)
    if form.is_bound and not form.is_valid():
        return history(request)
    if rate_limited(request, "export", per_ip=120, key=f"user:{request.user.pk}", per_key=30):
        return too_many_requests(request)
    query = history_query(form)
    xlsx = request.GET.get("formato") == "xlsx"
    content_type, name = (
        (XLSX, history_filename("xlsx")) if xlsx else (PDF, history_filename("pdf"))
    )
    found = member_payment_history(member=member, query=query, limit=INLINE_ROWS)
    if found.truncated:
        job = document_job_start(
            member=member,
            kind=DocumentJob.Kind.PAYMENTS_XLSX if xlsx else DocumentJob.Kind.PAYMENTS_PDF,
            params=history_params(query),
            filename=name,
            content_type=content_type,
        )
        return redirect("products:document_job", job.public_id)
    body = history_xlsx(found) if xlsx else history_pdf(found, request=request)
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response

""" "Historial de pagos": the owner's payments with the manual's filters, and the same
list as PDF or Excel."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from accounts.owners import request_member
from core.ratelimit import rate_limited, too_many_requests
from payments.history import (
    OLDEST_NOTE,
    OPTIONAL_NOTE,
    PaymentHistoryForm,
    history_catalog,
    history_filename,
    history_pdf,
    history_query,
    history_xlsx,
    member_payment_history,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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
    """ "Descargar PDF" / "Descargar Excel" of what the filters find."""
    member = request_member(request)
    form = _filter_form(request)
    if form.is_bound and not form.is_valid():
        return history(request)
    if rate_limited(request, "export", per_ip=120, key=f"user:{request.user.pk}", per_key=30):
        return too_many_requests(request)
    found = member_payment_history(member=member, query=history_query(form))
    if request.GET.get("formato") == "xlsx":
        body, content_type, name = history_xlsx(found), XLSX, history_filename("xlsx")
    else:
        body = history_pdf(found, request=request)
        content_type, name = "application/pdf", history_filename("pdf")
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response

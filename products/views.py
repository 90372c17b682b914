from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_safe

from ledger.selectors import movements
from products.movements import MovementFilterForm, movement_query, movement_type
from products.selectors import member_deposit_account, member_deposit_accounts


@login_required
@require_safe
def position(request):
    """Posición consolidada: the member's products, one query per product family."""
    member = getattr(request.user, "member", None)
    accounts = member_deposit_accounts(member=member) if member else []
    return render(request, "products/position.html", {"accounts": accounts})


def _without(params, *names) -> str:
    copy = params.copy()
    for name in names:
        copy.pop(name, None)
    return copy.urlencode()


def _member_or_404(request):
    from django.http import Http404

    member = getattr(request.user, "member", None)
    if member is None:
        raise Http404
    return member


@login_required
@require_safe
def account_detail(request, public_id):
    """Detalle de cuenta and its movements, newest first, with the manual's filters."""
    account = member_deposit_account(member=_member_or_404(request), public_id=public_id)
    form = MovementFilterForm(request.GET or None)
    query = movement_query(form)
    try:
        page = movements(
            account=account.ledger_account,
            date_from=query.date_from,
            date_to=query.date_to,
            direction=query.direction,
            cursor=request.GET.get("cursor") or None,
            limit=10,
        )
    except ValueError:
        from django.http import Http404

        raise Http404 from None
    rows = [(m, movement_type(m)) for m in page.items]
    more = request.GET.copy()
    if page.next_cursor:
        more["cursor"] = page.next_cursor
    return render(
        request,
        "products/account_detail.html",
        {
            "account": account,
            "form": form,
            "query": query,
            "rows": rows,
            "next_query": more.urlencode() if page.next_cursor else "",
            "download_query": _without(request.GET, "cursor", "formato"),
        },
    )


@login_required
@require_safe
def account_download(request, public_id):
    """ "Descargar" the filtered movements as PDF or Excel."""
    from django.http import HttpResponse

    from cooprogreso.ratelimit import rate_limited
    from products.documents import filename, movements_pdf, movements_report, movements_xlsx

    account = member_deposit_account(member=_member_or_404(request), public_id=public_id)
    form = MovementFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return account_detail(request, public_id)
    if rate_limited(request, "export", per_ip=120, key=f"user:{request.user.pk}", per_key=30):
        return render(request, "429.html", status=429)
    report = movements_report(account=account, query=movement_query(form))
    if request.GET.get("formato") == "xlsx":
        body = movements_xlsx(report)
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        name = filename("movimientos", account, "xlsx")
    else:
        body = movements_pdf(report, request=request)
        content_type = "application/pdf"
        name = filename("movimientos", account, "pdf")
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_safe
def verify(request, code: str):
    """Public: confirms a document the portal issued, with only its key figures."""
    from products.models import VerifiedDocument

    document = VerifiedDocument.objects.filter(code=code.upper()).first()
    return render(
        request,
        "products/verify.html",
        {"document": document, "code": code},
        status=200 if document else 404,
    )

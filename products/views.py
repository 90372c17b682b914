import re
import uuid

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST, require_safe

from accounts.confirm import operation_view
from accounts.owners import request_member, request_owner
from core.cached import catalog_generation
from core.ratelimit import rate_limited, too_many_requests
from ledger.selectors import movements
from products import operations
from products.account_tabs import account_tab, account_tabs
from products.investments import term_deposit_summary
from products.movements import MovementFilterForm, movement_query, movement_type
from products.position import (
    ACCOUNT_COLUMNS,
    DEPOSIT_COLUMNS,
    LOAN_COLUMNS,
    member_position,
)
from products.receipts import receipt_build, receipt_pdf
from products.selectors import (
    loan_summary,
    member_deposit_account,
    member_deposit_accounts,
    member_loan,
    member_product_requests,
    member_term_deposit,
    schedule_rows,
)


@login_required
@require_safe
def position(request):
    """Posición consolidada: the member's products, a fixed number of queries per family."""
    member = request_owner(request)
    if member is None:
        return render(request, "products/position.html", {})
    with catalog_generation():  # one look at the catalogs' stamp for the whole page
        position = member_position(member=member, on=timezone.localdate())
        context = {
            "accounts": position.accounts,
            "account_columns": ACCOUNT_COLUMNS,
            "loans": position.loans,
            "loan_columns": LOAN_COLUMNS,
            "deposits": position.deposits,
            "deposit_columns": DEPOSIT_COLUMNS,
            "sections": position.sections,
        }
        return render(request, "products/position.html", context)


def _without(params, *names) -> str:
    copy = params.copy()
    for name in names:
        copy.pop(name, None)
    return copy.urlencode()


@login_required
@require_safe
def account_detail(request, public_id):
    """Detalle de cuenta and its movements, newest first, with the manual's filters; or,
    with ``?vista=``, a tab another app registered ("Tarjeta débito")."""
    account = member_deposit_account(member=request_member(request), public_id=public_id)
    tab = account_tab(request.GET.get("vista"))
    if tab is not None:
        return render(
            request,
            "products/account_detail.html",
            {
                "account": account,
                "tabs": account_tabs(),
                "tab": tab,
                "section": tab.context(account),
            },
        )
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
            "tabs": account_tabs(),
        },
    )


@login_required
@require_safe
def account_download(request, public_id):
    """ "Descargar" the filtered movements as PDF or Excel: at once when they are a few
    dozen rows, from a worker (the job's page, with its progress) when more."""
    from products.documents import filename, movements_pdf, movements_report, movements_xlsx
    from products.jobs import INLINE_ROWS, PDF, XLSX, document_job_start, movements_params
    from products.models import DocumentJob

    member = request_member(request)
    account = member_deposit_account(member=member, public_id=public_id)
    form = MovementFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return account_detail(request, public_id)
    if rate_limited(request, "export", per_ip=120, key=f"user:{request.user.pk}", per_key=30):
        return too_many_requests(request)
    query = movement_query(form)
    xlsx = request.GET.get("formato") == "xlsx"
    name = filename("movimientos", account, "xlsx" if xlsx else "pdf")
    first = movements(
        account=account.ledger_account,
        date_from=query.date_from,
        date_to=query.date_to,
        direction=query.direction,
        limit=INLINE_ROWS,
    )
    if first.next_cursor is not None:
        job = document_job_start(
            member=member,
            kind=DocumentJob.Kind.MOVEMENTS_XLSX if xlsx else DocumentJob.Kind.MOVEMENTS_PDF,
            params=movements_params(account, query),
            filename=name,
            content_type=XLSX if xlsx else PDF,
        )
        return redirect("products:document_job", job.public_id)
    report = movements_report(account=account, query=query)
    if xlsx:
        body, content_type = movements_xlsx(report), XLSX
    else:
        body, content_type = movements_pdf(report, request=request), PDF
    return _attachment(body, content_type=content_type, name=name)


def _attachment(body: bytes, *, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_safe
def document_job(request, public_id):
    """A document a worker is making: its progress (polled by HTMX), then "Descargar"."""
    from products.jobs import document_kind, member_document_job

    job = member_document_job(member=request_member(request), public_id=public_id)
    if job is None:
        raise Http404
    back = document_kind(job.kind).back(job)
    template = "products/document_job.html#job" if request.htmx else "products/document_job.html"
    return render(request, template, {"job": job, "back": back})


@login_required
@require_safe
def document_job_download(request, public_id):
    """The file of one of the member's ready jobs; 404 to anybody else or once expired."""
    from products.jobs import member_document_job
    from products.models import DocumentJob

    job = member_document_job(member=request_member(request), public_id=public_id)
    if job is None or job.status != DocumentJob.Status.READY:
        raise Http404
    body = DocumentJob.objects.values_list("body", flat=True).get(pk=job.pk)
    return _attachment(bytes(body), content_type=job.content_type, name=job.filename)


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


# --- Créditos ----------------------------------------------------------------------------


@login_required
@require_safe
def loan_detail(request, public_id):
    """ "Detalle producto" of a loan, with its progress and the amortization table's
    Visualizar / Descargar."""
    loan = member_loan(member=request_member(request), public_id=public_id)
    summary = loan_summary(loan)
    return render(request, "products/loan_detail.html", {"loan": loan, "summary": summary})


@login_required
@require_safe
def loan_schedule(request, public_id):
    """ "Tabla de amortización": the dialog's body with HTMX, a page without."""
    loan = member_loan(member=request_member(request), public_id=public_id)
    context = {"loan": loan, "rows": schedule_rows(loan=loan)}
    if request.htmx:
        return render(request, "products/loan_schedule.html#schedule", context)
    return render(request, "products/loan_schedule.html", context)


@login_required
@require_safe
def loan_schedule_download(request, public_id):
    from products.loan_documents import amortization_pdf

    loan = member_loan(member=request_member(request), public_id=public_id)
    if rate_limited(request, "export", per_ip=120, key=f"user:{request.user.pk}", per_key=30):
        return too_many_requests(request)
    body = amortization_pdf(loan=loan, rows=schedule_rows(loan=loan), request=request)
    response = HttpResponse(body, content_type="application/pdf")
    stamp = timezone.localdate().strftime("%Y%m%d")
    response["Content-Disposition"] = (
        f'attachment; filename="tabla-amortizacion-{loan.number}-{stamp}.pdf"'
    )
    return response


loan_pay = operation_view(operations.loan_pay)


# --- Comprobantes ------------------------------------------------------------------------


@login_required
@require_safe
def receipt(request, public_id, posting_id: int):
    """ "Comprobante" of one movement of one of the member's accounts; PDF on demand."""
    account = member_deposit_account(member=request_member(request), public_id=public_id)
    built = receipt_build(account=account, posting_id=posting_id)
    if request.GET.get("formato") != "pdf":
        template = "products/receipt.html#receipt" if request.htmx else "products/receipt.html"
        return render(request, template, {"receipt": built, "account": account})
    if rate_limited(request, "export", per_ip=120, key=f"user:{request.user.pk}", per_key=30):
        return too_many_requests(request)
    response = HttpResponse(receipt_pdf(built, request=request), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="comprobante-{built.reference}.pdf"'
    return response


# --- Inversiones ---------------------------------------------------------------------------


@login_required
@require_safe
def term_deposit_detail(request, public_id):
    deposit = member_term_deposit(member=request_member(request), public_id=public_id)
    return render(
        request,
        "products/term_deposit_detail.html",
        {"summary": term_deposit_summary(deposit)},
    )


# --- Servicios, solicitudes y contacto -----------------------------------------------------


@login_required
@require_safe
def services(request):
    return render(request, "products/services.html")


@login_required
@require_safe
def statement(request):
    """ "Estado de cuenta": one of the member's accounts and a month → "Descargar" the PDF.

    A closed month's statement is rendered once and then sent from storage; a long one
    not yet stored, or a long current month, is made in a worker (the job's page)."""
    from products.forms import StatementForm
    from products.investments import last_month
    from products.jobs import INLINE_ROWS, PDF, document_job_start
    from products.models import DocumentJob
    from products.statements import (
        StatementError,
        month_filename,
        month_is_closed,
        statement_build,
        statement_pdf,
        statement_store,
    )

    member = request_member(request)
    stored = _stored_statement_named(request, member)
    if stored is not None:  # a closed month already rendered: the file, nothing else read
        name = month_filename(account=stored.account, year=stored.year, month=stored.month)
        return _attachment(bytes(stored.pdf), content_type=PDF, name=name)
    accounts = member_deposit_accounts(member=member)
    year, month = last_month()
    form = StatementForm(
        request.GET or None,
        accounts=accounts,
        hide_amounts=request.user.hide_amounts,
        initial={"mes": f"{year}-{month:02d}"},
    )
    if form.is_bound and form.is_valid():
        account = form.cleaned_data["cuenta"]
        year, month = form.cleaned_data["mes"]
        name = month_filename(account=account, year=year, month=month)
        closed = month_is_closed(year, month)
        try:
            built = statement_build(account=account, year=year, month=month)
        except StatementError as err:
            form.add_error("mes", err.message)
        else:
            if rate_limited(
                request, "export", per_ip=120, key=f"user:{request.user.pk}", per_key=30
            ):
                return too_many_requests(request)
            if len(built.lines) > INLINE_ROWS:
                job = document_job_start(
                    member=member,
                    kind=DocumentJob.Kind.STATEMENT,
                    params={"account": str(account.public_id), "year": year, "month": month},
                    filename=name,
                    content_type=PDF,
                )
                return redirect("products:document_job", job.public_id)
            if closed:
                body = bytes(
                    statement_store(account=account, year=year, month=month, statement=built).pdf
                )
            else:
                body = statement_pdf(built, request=request)
            return _attachment(body, content_type=PDF, name=name)
    return render(request, "products/statement.html", {"form": form, "accounts": accounts})


MONTH = re.compile(r"(\d{4})-(\d{2})")


def _stored_statement_named(request, member):
    """The stored statement ``?cuenta=<id>&mes=<yyyy-mm>`` names, if it is the member's;
    anything else goes through the form."""
    from products.statements import member_stored_statement

    match = MONTH.fullmatch(request.GET.get("mes", ""))
    try:
        public_id = uuid.UUID(request.GET.get("cuenta", ""))
    except ValueError:
        return None
    if match is None:
        return None
    year, month = int(match[1]), int(match[2])
    return member_stored_statement(member=member, public_id=public_id, year=year, month=month)


@login_required
@require_safe
def contact(request):
    """ "Contacto": the cooperative's channels, from its profile."""
    return render(request, "products/contact.html")


@login_required
def product_request(request):
    """ "Solicita tus productos": the member asks; staff follow up in the admin."""
    from django.contrib import messages

    from products.forms import ProductRequestForm
    from products.services import product_request_create

    member = request_member(request)
    form = ProductRequestForm(request.POST or None, initial={"kind": request.GET.get("tipo")})
    if request.method == "POST" and form.is_valid():
        product_request_create(member=member, request=request, **form.cleaned_data)
        messages.success(
            request,
            _("Tu solicitud fue enviada exitosamente. Un asesor se comunicará contigo."),
        )
        return redirect("products:requests")
    return render(
        request,
        "products/requests.html",
        {"form": form, "requests": member_product_requests(member=member)},
    )


@login_required
@require_POST
def amounts_toggle(request):
    """The eye icon: hides or shows every amount of the position, remembered per user."""
    user = request.user
    user.hide_amounts = not user.hide_amounts
    user.save(update_fields=["hide_amounts"])
    return redirect("products:position")

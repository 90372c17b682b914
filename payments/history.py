"""Historial de pagos: the owner's bill payments, scheduled and manual alike, filtered as
the manuals ask — Categoría, Servicio, a date range (Mes anterior, Ayer, Hoy,
Personalizado) reaching at most three months back, and a Código — and downloaded as PDF
or Excel.

A payment the biller has not confirmed yet shows its state ("Por confirmar") and one it
refused says so ("No realizado"); only a paid one has a receipt, the one of its debit on
the origin account (``products:receipt``), found in the same query as the rows.

A download of more rows than render while the member waits (``products.jobs.INLINE_ROWS``)
is a document job: a worker renders it (:func:`history_document`) and the documents page
shows its progress, as for a year of movements.
"""

import calendar
import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django import forms
from django.db.models import OuterRef, Q, Subquery
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.styles import Font

from accounts.models import Member
from core.money import format_money
from core.profile import cooperative_current
from ledger.models import Posting
from payments.models import Biller, BillPayment, ServiceCategory
from products.documents import Fields, Progress, document_register, render_pdf, safe_text
from products.models import DocumentJob, VerifiedDocument

MONTHS_BACK = 3
DEFAULT_DAYS = 30
MAX_ROWS = 500
OLDEST_NOTE = _(
    "Puedes consultar por rango de fechas hasta 3 meses de antigüedad de la fecha actual"
)
OPTIONAL_NOTE = _("Los campos no son obligatorios")
SCHEDULED = _("Programado")


def months_before(day: date, months: int) -> date:
    """The same day ``months`` months earlier, or that month's last day if it is shorter
    (31 May → 28 or 29 February)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def history_oldest(today: date) -> date:
    """The earliest day the history may be asked for: three months before ``today``."""
    return months_before(today, MONTHS_BACK)


# --- The filter --------------------------------------------------------------------------


class PaymentHistoryForm(forms.Form):
    """The manual's fields, none required. A quick range (Mes anterior, Ayer, Hoy) wins
    over the dates; with neither, the last 30 days. ``clean`` leaves the range it chose in
    ``date_from``, ``date_to`` and ``label``."""

    PERIODS = [
        ("mes_anterior", _("Mes anterior")),
        ("ayer", _("Ayer")),
        ("hoy", _("Hoy")),
        ("personalizado", _("Personalizado")),
    ]

    periodo = forms.ChoiceField(
        label=_("Período"), choices=PERIODS, required=False, widget=forms.RadioSelect
    )
    categoria = forms.TypedChoiceField(
        label=_("Categoría"), coerce=int, required=False, empty_value=None
    )
    servicio = forms.TypedChoiceField(
        label=_("Servicio"), coerce=int, required=False, empty_value=None
    )
    desde = forms.DateField(label=_("Fecha desde"), required=False)
    hasta = forms.DateField(label=_("Fecha hasta"), required=False)
    codigo = forms.CharField(
        label=_("Código"),
        required=False,
        max_length=40,
        help_text=_("Referencia (contrato, cédula, celular…), N.º de recibo o Comprobante N.º."),
        error_messages={"max_length": _("Escribe un código de hasta 40 caracteres.")},
    )

    def __init__(
        self,
        *args,
        categories: list[ServiceCategory],
        billers: list[Biller],
        today: date | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.today = today or timezone.localdate()
        self.oldest = history_oldest(self.today)
        self.fields["categoria"].choices = [
            ("", _("Todos las Categorías")),
            *((c.pk, c.name) for c in categories),
        ]
        by_category: dict[int, list[tuple[int, str]]] = {c.pk: [] for c in categories}
        for biller in billers:
            by_category.setdefault(biller.category_id, []).append((biller.pk, biller.name))
        names = {c.pk: c.name for c in categories}
        self.fields["servicio"].choices = [
            ("", _("Todos los Servicios")),
            *((names.get(pk, ""), options) for pk, options in by_category.items() if options),
        ]
        bounds = {"type": "date", "min": self.oldest.isoformat(), "max": self.today.isoformat()}
        for name in ("desde", "hasta"):
            self.fields[name].widget = forms.DateInput(attrs=bounds, format="%Y-%m-%d")
        if not self.is_bound:
            self.initial.setdefault("desde", self.today - timedelta(days=DEFAULT_DAYS))
            self.initial.setdefault("hasta", self.today)

    def clean_codigo(self) -> str:
        return " ".join(self.cleaned_data["codigo"].split())

    def clean(self):
        data = super().clean()
        today, period = self.today, data.get("periodo") or ""
        if period == "hoy":
            start, end, label = today, today, _("Hoy")
        elif period == "ayer":
            start = end = today - timedelta(days=1)
            label = _("Ayer")
        elif period == "mes_anterior":
            end = today.replace(day=1) - timedelta(days=1)
            start, label = end.replace(day=1), _("Mes anterior")
        else:
            start, end = data.get("desde"), data.get("hasta")
            label = _("Personalizado") if start or end else _("Últimos 30 días")
            end = end or today
            start = start or max(end - timedelta(days=DEFAULT_DAYS), self.oldest)
            if end > today:
                raise forms.ValidationError(_("La fecha hasta no puede ser posterior a hoy."))
            if start > end:
                raise forms.ValidationError(
                    _("La fecha desde no puede ser posterior a la fecha hasta.")
                )
            if start < self.oldest:
                raise forms.ValidationError(f"{OLDEST_NOTE}.")
        data.update(date_from=start, date_to=end, label=label)
        return data


@dataclass(frozen=True)
class PaymentHistoryQuery:
    date_from: date
    date_to: date
    label: str
    category_id: int | None = None
    biller_id: int | None = None
    code: str = ""


def history_query(form: PaymentHistoryForm) -> PaymentHistoryQuery:
    """What a valid form asks for; an unbound one, the last 30 days."""
    if not form.is_bound:
        return PaymentHistoryQuery(
            date_from=form.today - timedelta(days=DEFAULT_DAYS),
            date_to=form.today,
            label=str(_("Últimos 30 días")),
        )
    data = form.cleaned_data
    return PaymentHistoryQuery(
        date_from=data["date_from"],
        date_to=data["date_to"],
        label=str(data["label"]),
        category_id=data.get("categoria"),
        biller_id=data.get("servicio"),
        code=data.get("codigo") or "",
    )


def history_catalog() -> tuple[list[ServiceCategory], list[Biller]]:
    """The active profile's categories and services the filter offers, in menu order."""
    cooperative = cooperative_current()
    categories = list(
        ServiceCategory.objects.filter(cooperative=cooperative, is_active=True).order_by(
            "position", "name"
        )
    )
    billers = list(
        Biller.objects.filter(category__cooperative=cooperative, is_active=True)
        .only("pk", "name", "category_id")
        .order_by("category__position", "name")
    )
    return categories, billers


# --- The rows ----------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryRow:
    payment: BillPayment
    channel: str  # "Programado" or the channel's label ("Banca Web")
    state: str  # blank once paid; else "Por confirmar", "No realizado", "En proceso"
    receipt_url: str  # the origin account's receipt of the debit, only once paid

    @property
    def reference(self) -> str:
        """Comprobante N.º: the journal of a paid payment."""
        return str(self.payment.journal_id or "")


@dataclass(frozen=True)
class PaymentHistory:
    query: PaymentHistoryQuery
    rows: list[HistoryRow]
    truncated: bool

    @property
    def paid_totals(self) -> dict[str, Decimal]:
        """What the paid rows debited, per currency."""
        totals: dict[str, Decimal] = {}
        for row in self.rows:
            if row.payment.state == BillPayment.State.PAID:
                currency = row.payment.currency
                totals[currency] = totals.get(currency, Decimal("0.00")) + row.payment.total
        return totals

    @property
    def paid_total_text(self) -> str:
        totals = self.paid_totals or {cooperative_current().currency: Decimal("0.00")}
        return " · ".join(format_money(amount, currency) for currency, amount in totals.items())


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _code_filter(code: str) -> Q:
    """The reference the member typed (contract, cédula, phone…), a bill number or a
    Comprobante N.º, whole: a part of a reference could be any journal's number."""
    match = Q(reference__iexact=code) | Q(bill_number__iexact=code)
    if code.isdigit() and len(code) <= 18:
        match |= Q(journal_id=int(code))
    return match


def member_payment_history(
    *, member: Member, query: PaymentHistoryQuery, limit: int = MAX_ROWS
) -> PaymentHistory:
    """``member``'s payments in the query's range, newest first — one query whatever their
    number: the service and origin come joined, the receipt's posting as a subquery."""
    debit = (
        Posting.objects.filter(
            journal_id=OuterRef("journal_id"),
            account_id=OuterRef("origin__ledger_account_id"),
            amount_minor__gt=0,
        )
        .order_by("pk")
        .values("pk")[:1]
    )
    payments = (
        BillPayment.objects.filter(
            member=member,
            created_at__gte=_day_start(query.date_from),
            created_at__lt=_day_start(query.date_to + timedelta(days=1)),
        )
        .select_related("biller", "origin")
        .annotate(debit_posting=Subquery(debit))
        .order_by("-created_at", "-pk")
    )
    if query.biller_id:
        payments = payments.filter(biller_id=query.biller_id)
    if query.category_id:
        payments = payments.filter(biller__category_id=query.category_id)
    if query.code:
        payments = payments.filter(_code_filter(query.code))
    found = list(payments[: limit + 1])
    rows = [_row(p) for p in found[:limit]]
    return PaymentHistory(query=query, rows=rows, truncated=len(found) > limit)


def _row(payment: BillPayment) -> HistoryRow:
    paid = payment.state == BillPayment.State.PAID
    receipt_url = ""
    if paid and payment.debit_posting:
        receipt_url = reverse(
            "products:receipt", args=[payment.origin.public_id, payment.debit_posting]
        )
    return HistoryRow(
        payment=payment,
        channel=str(SCHEDULED) if payment.schedule_id else payment.get_channel_display(),
        state="" if paid else payment.get_state_display(),
        receipt_url=receipt_url,
    )


# --- Downloads ---------------------------------------------------------------------------


def history_xlsx(history: PaymentHistory, *, progress: Progress | None = None) -> bytes:
    """The rows as the page shows them, with the state and the Comprobante N.º."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Historial de pagos"
    sheet.append([cooperative_current().name])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append(["Historial de pagos", history.query.label])
    sheet.append(["Desde", history.query.date_from, "Hasta", history.query.date_to])
    sheet.append([])
    header = [
        "REFERENCIA",
        "CANAL",
        "FECHA",
        "SERVICIO",
        "DESCRIPCIÓN",
        "ESTADO",
        "COMPROBANTE N.º",
        "TOTAL",
        "MONEDA",
    ]
    sheet.append(header)
    for cell in sheet[5]:
        cell.font = Font(bold=True)
    for n, row in enumerate(history.rows, start=1):
        if progress is not None and n % 100 == 0:
            progress(20 + 70 * n // len(history.rows))
        payment = row.payment
        sheet.append(
            [
                safe_text(payment.reference),
                row.channel,
                timezone.localtime(payment.created_at).replace(tzinfo=None),
                safe_text(payment.biller.name),
                safe_text(payment.description),
                row.state or payment.get_state_display(),
                payment.journal_id,
                payment.total,
                payment.currency,
            ]
        )
        number = sheet.max_row
        for column in (1, 4, 5):
            sheet.cell(number, column).data_type = "s"
        sheet.cell(number, 3).number_format = "dd/mm/yyyy hh:mm"
        sheet.cell(number, 8).number_format = '"$"#,##0.00'
    for cell in (sheet["B3"], sheet["D3"]):
        cell.number_format = "dd/mm/yyyy"
    widths = (18, 12, 18, 30, 30, 14, 16, 12, 8)
    for letter, width in zip("ABCDEFGHI", widths, strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A6"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def history_fields(history: PaymentHistory) -> Fields:
    """What the PDF's verification page shows: the period, how many payments and what
    the paid ones debited — no reference, account or name."""
    return [
        ("Desde", history.query.date_from.strftime("%d/%m/%Y")),
        ("Hasta", history.query.date_to.strftime("%d/%m/%Y")),
        ("Pagos", str(len(history.rows))),
        ("Total pagado", history.paid_total_text),
    ]


def history_pdf(
    history: PaymentHistory, *, request=None, progress: Progress | None = None
) -> bytes:
    document = document_register(
        kind=VerifiedDocument.Kind.PAYMENTS, fields=history_fields(history)
    )
    return render_pdf(
        template="payments/pdf/history.html",
        context={"history": history},
        request=request,
        document=document,
        progress=progress,
    )


def history_filename(extension: str) -> str:
    return f"historial-pagos-{timezone.localdate():%Y%m%d}.{extension}"


# --- Downloads made in a worker ------------------------------------------------------------


def history_params(query: PaymentHistoryQuery) -> dict:
    """The query as a document job keeps it: the range the form chose (fixed dates, so the
    worker renders the days the member saw), the service filters and the code."""
    return {
        "desde": query.date_from.isoformat(),
        "hasta": query.date_to.isoformat(),
        "label": query.label,
        "categoria": query.category_id,
        "servicio": query.biller_id,
        "codigo": query.code,
    }


def history_query_from(params: dict) -> PaymentHistoryQuery:
    return PaymentHistoryQuery(
        date_from=date.fromisoformat(params["desde"]),
        date_to=date.fromisoformat(params["hasta"]),
        label=params["label"],
        category_id=params["categoria"],
        biller_id=params["servicio"],
        code=params["codigo"],
    )


def history_document(job: DocumentJob, progress: Progress) -> bytes:
    """A document job's file: the job's member's payments, as the inline download makes
    it (a PDF whose verification page names the portal's address, or the workbook)."""
    history = member_payment_history(member=job.member, query=history_query_from(job.params))
    progress(20)
    if job.kind == DocumentJob.Kind.PAYMENTS_XLSX:
        return history_xlsx(history, progress=progress)
    return history_pdf(history, progress=progress)


def history_back(job: DocumentJob) -> str:
    """The job's page leads back to the history with the same filters."""
    params = job.params
    query = QueryDict(mutable=True)
    query.update(
        {
            "periodo": "personalizado",
            "desde": params["desde"],
            "hasta": params["hasta"],
            **{
                name: str(params[name])
                for name in ("categoria", "servicio", "codigo")
                if params[name]
            },
        }
    )
    return f"{reverse('payments:history')}?{query.urlencode()}"

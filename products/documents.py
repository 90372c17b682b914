"""Documents members take home: movements as PDF and Excel, with verification codes.

Every PDF carries a verification code and a QR to ``/verificar/<code>/``, a public page
that shows the document's verified fields (account masked, period, totals, closing
balance) so a third party can tell a genuine document from an edited one.

Each kind of document has one function that builds its fields — ``(label, value)`` pairs
formatted as the paper prints them (``$1,981.82``) — and both the PDF and the stored
:class:`~products.models.VerifiedDocument` take them from there: the PDF prints the very
pairs the public page shows (next to the QR, or in its body for a receipt), so the two
cannot say different things. No field names a person or shows a whole account number.
"""

import io
import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font

from core.masking import mask_number
from core.money import format_money
from core.profile import cooperative_current
from ledger.selectors import Movement, movements
from products.models import DepositAccount, VerifiedDocument
from products.movements import MovementQuery, movement_type

# (label, value) pairs, in the order the document prints them.
Fields = list[tuple[str, str]]
# Told how far a document got, in percent (a worker's job shows it to the member).
Progress = Callable[[int], None]

MAX_ROWS = 5000
FORMULA_PREFIXES = ("=", "+", "-", "@")
CODE_ALPHABET = string.ascii_uppercase.replace("O", "").replace("I", "") + "23456789"


@dataclass(frozen=True)
class MovementsReport:
    account: DepositAccount
    query: MovementQuery
    rows: list[tuple[Movement, str]]
    truncated: bool

    @property
    def debits(self) -> Decimal:
        return sum((-m.amount for m, _ in self.rows if m.amount < 0), Decimal("0.00"))

    @property
    def credits(self) -> Decimal:
        return sum((m.amount for m, _ in self.rows if m.amount > 0), Decimal("0.00"))

    @property
    def period(self) -> tuple[date | None, date | None]:
        if self.query.date_from:
            return self.query.date_from, self.query.date_to
        dates = [m.created_at for m, _ in self.rows]
        if not dates:
            return None, None
        return timezone.localdate(min(dates)), timezone.localdate(max(dates))


def movements_report(*, account: DepositAccount, query: MovementQuery) -> MovementsReport:
    rows, cursor = [], None
    while len(rows) < MAX_ROWS:
        page = movements(
            account=account.ledger_account,
            date_from=query.date_from,
            date_to=query.date_to,
            direction=query.direction,
            cursor=cursor,
            limit=500,
        )
        rows += [(m, movement_type(m)) for m in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    return MovementsReport(account, query, rows[:MAX_ROWS], truncated=cursor is not None)


def safe_text(value: str) -> str:
    """A cell a spreadsheet will never run: text starting like a formula gets a quote."""
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def movements_xlsx(report: MovementsReport, *, progress: Progress | None = None) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Movimientos"
    coop = cooperative_current()
    start, end = report.period
    money = '"$"#,##0.00;-"$"#,##0.00'
    sheet.append([coop.name])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append(["Cuenta", report.account.number, report.account.product_type.name])
    sheet.append(["Desde", start, "Hasta", end])
    sheet.append([])
    header = ["REFERENCIA", "FECHA", "TIPO", "CONCEPTO", "DÉBITOS", "CRÉDITOS", "SALDO"]
    sheet.append(header)
    for cell in sheet[5]:
        cell.font = Font(bold=True)
    for n, (movement, _kind) in enumerate(report.rows, start=1):
        if progress is not None and n % 500 == 0:
            progress(20 + 70 * n // len(report.rows))
        sheet.append(
            [
                movement.journal_id,
                timezone.localtime(movement.created_at).replace(tzinfo=None),
                "N/D" if movement.is_debit else "N/C",
                safe_text(movement.description),
                -movement.amount if movement.amount < 0 else Decimal("0.00"),
                movement.amount if movement.amount > 0 else Decimal("0.00"),
                movement.balance_after,
            ]
        )
        row = sheet.max_row
        sheet.cell(row, 2).number_format = "dd/mm/yyyy hh:mm"
        sheet.cell(row, 4).data_type = "s"
        for column in (5, 6, 7):
            sheet.cell(row, column).number_format = money
    for cell in (sheet["B3"], sheet["D3"]):
        cell.number_format = "dd/mm/yyyy"
    for letter, width in zip("ABCDEFG", (12, 18, 8, 44, 14, 14, 16), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A6"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _verification_code() -> str:
    return "-".join("".join(secrets.choice(CODE_ALPHABET) for _ in range(4)) for _ in range(3))


def document_register(*, kind: str, fields: Fields) -> VerifiedDocument:
    """Records a document about to be issued with the fields its verification page shows."""
    return VerifiedDocument.objects.create(
        code=_verification_code(),
        kind=kind,
        figures=[[str(label), str(value)] for label, value in fields],
    )


def _logo_path() -> str:
    coop = cooperative_current()
    if coop.logo:
        return Path(coop.logo.path).as_uri()
    return (Path(settings.BASE_DIR) / "static" / coop.default_logo_static_path).as_uri()


def absolute_url(path: str, *, request=None) -> str:
    """``path`` on this portal: the request's host, or ``PORTAL_URL`` for a document a
    worker builds (the monthly statement e-mail)."""
    if request is not None:
        return request.build_absolute_uri(path)
    return settings.PORTAL_URL + path


def render_pdf(
    *,
    template: str,
    context: dict,
    request=None,
    document: VerifiedDocument,
    progress: Progress | None = None,
) -> bytes:
    """The template as a PDF. ``progress`` (a worker's job) hears how far it got: the
    HTML written, then WeasyPrint's layout (most of the time), then the file."""
    from weasyprint import HTML

    verify_url = absolute_url(reverse("products:verify", args=[document.code]), request=request)
    qr = segno.make(verify_url, error="m").svg_data_uri(scale=3, border=1)
    html = render_to_string(
        template,
        {
            **context,
            "coop": cooperative_current(),
            "logo": _logo_path(),
            "document": document,
            "verified_fields": document.fields,
            "verify_url": verify_url,
            "qr": qr,
            # The moment the verification page shows as "Emitido".
            "issued_at": timezone.localtime(document.issued_at),
        },
    )
    report = progress or (lambda _percent: None)
    report(30)
    laid_out = HTML(string=html, base_url=str(settings.BASE_DIR)).render()
    report(90)
    return laid_out.write_pdf()


def movements_fields(report: MovementsReport) -> Fields:
    """What the movements PDF's verification shows: the masked account, the period, how
    many movements and their totals (the table's last row)."""
    start, end = report.period
    currency = report.account.ledger_account.currency
    return [
        ("Cuenta", mask_number(report.account.number)),
        ("Desde", start.strftime("%d/%m/%Y") if start else "—"),
        ("Hasta", end.strftime("%d/%m/%Y") if end else "—"),
        ("Movimientos", str(len(report.rows))),
        ("Total débitos", format_money(report.debits, currency)),
        ("Total créditos", format_money(report.credits, currency)),
    ]


def movements_pdf(
    report: MovementsReport, *, request=None, progress: Progress | None = None
) -> bytes:
    start, end = report.period
    document = document_register(
        kind=VerifiedDocument.Kind.MOVEMENTS, fields=movements_fields(report)
    )
    return render_pdf(
        template="products/pdf/movements.html",
        context={
            "report": report,
            "start": start,
            "end": end,
            "currency": report.account.ledger_account.currency,
        },
        request=request,
        document=document,
        progress=progress,
    )


def filename(prefix: str, account: DepositAccount, extension: str) -> str:
    stamp = datetime.now().strftime("%Y%m%d")
    return f"{prefix}-{account.number[-4:]}-{stamp}.{extension}"

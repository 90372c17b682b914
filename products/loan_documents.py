"""The "TABLA DE AMORTIZACIÓN" a member downloads, as the manual prints it."""

from core.masking import mask_number
from core.money import format_money
from products.documents import Fields, document_register, render_pdf
from products.models import Loan, VerifiedDocument
from products.selectors import ScheduleRow
from products.templatetags.positions import percent


def amortization_fields(loan: Loan) -> Fields:
    """What the amortization table's verification shows: the masked loan number and the
    terms the table's head prints."""
    currency = loan.ledger_account.currency
    return [
        ("Número de crédito", mask_number(loan.number)),
        ("Tipo de crédito", loan.loan_type.name),
        ("Monto", format_money(loan.principal, currency)),
        ("Tasa (%)", percent(loan.annual_rate)),
        ("Fecha de crédito", f"{loan.granted_on:%Y-%m-%d}"),
        ("Número de cuotas", str(loan.installments_count)),
        ("Cuota de crédito", format_money(loan.payment, currency)),
    ]


def amortization_pdf(*, loan: Loan, rows: list[ScheduleRow], request) -> bytes:
    document = document_register(
        kind=VerifiedDocument.Kind.AMORTIZATION, fields=amortization_fields(loan)
    )
    return render_pdf(
        template="products/pdf/amortization.html",
        context={"loan": loan, "rows": rows, "currency": loan.ledger_account.currency},
        request=request,
        document=document,
    )

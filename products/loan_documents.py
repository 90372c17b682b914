"""The "TABLA DE AMORTIZACIÓN" a member downloads, as the manual prints it."""

from django.utils import timezone

from ledger.money import format_money
from products.documents import document_register, mask_number, render_pdf
from products.models import Loan, VerifiedDocument
from products.selectors import ScheduleRow


def amortization_pdf(*, loan: Loan, rows: list[ScheduleRow], request) -> bytes:
    currency = loan.ledger_account.currency
    document = document_register(
        kind=VerifiedDocument.Kind.AMORTIZATION,
        figures={
            "Número de crédito": mask_number(loan.number),
            "Monto": format_money(loan.principal, currency),
            "Número de cuotas": loan.installments_count,
            "Cuota de crédito": format_money(loan.payment, currency),
            "Fecha de consulta": timezone.localtime().strftime("%d/%m/%Y %H:%M"),
        },
    )
    return render_pdf(
        template="products/pdf/amortization.html",
        context={"loan": loan, "rows": rows, "currency": currency},
        request=request,
        document=document,
    )

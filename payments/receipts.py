"""The receipt of a bill payment, as the manual prints it after "¡Pago exitoso!":
Comprobante N.º, Valor pagado, Comisión, Total debitado, Fecha, Cuenta de origen,
Categoría, Empresa, Referencia. The ledger knows the amounts and the account; the payment
knows the rest. Registered in ``PaymentsConfig.ready`` (``core.receipts``) for the journals
whose source is a ``BillPayment``, so the receipt page, the done step
(``products.receipts.receipt_result``) and the verifiable PDF print these lines."""

from django.utils import timezone

from core.money import format_money
from core.receipts import Description
from payments.models import Biller, BillPayment

BILL_PAYMENT_SOURCE = BillPayment._meta.label_lower


def service_lines(biller: Biller, reference: str) -> list[tuple[str, str]]:
    """The service a payment goes to, as the manual's «Información del servicio» names it
    before it is paid: Categoría (AGUA), Servicio (AGUA EPMAPA PEDERNALES) and the
    biller's reference under its own label (NUMERO DE CUENTA)."""
    return [
        ("Categoría", biller.category.name),
        ("Servicio", biller.name),
        (biller.reference_label, reference),
    ]


def bill_payment_lines(payment: BillPayment, *, journal) -> tuple[tuple[str, str], ...]:
    """The receipt's lines of ``payment``, posted as ``journal``."""
    currency = payment.currency
    origin = payment.origin
    lines = [
        ("Comprobante N.º", journal.reference),
        ("Valor pagado", format_money(payment.amount, currency)),
        ("Comisión", format_money(payment.commission, currency)),
    ]
    if payment.iva:
        lines.append(("IVA", format_money(payment.iva, currency)))
    lines += [
        ("Total debitado", format_money(payment.total, currency)),
        ("Fecha", timezone.localtime(journal.created_at).strftime("%d/%m/%Y %H:%M")),
        ("Cuenta de origen", origin.masked_name),
        ("Categoría", payment.biller.category.name),
        ("Empresa", payment.biller.name),
        ("Referencia", payment.reference),
    ]
    if payment.state != BillPayment.State.PAID:
        lines.append(("Estado", payment.get_state_display()))
    return tuple(lines)


def bill_payment_describe(journal) -> Description | None:
    """The receipt of the bill payment whose journal is ``journal``."""
    payment = (
        BillPayment.objects.select_related("biller__category", "origin__product_type")
        .filter(pk=journal.source_id)
        .first()
    )
    if payment is None:
        return None
    return Description(
        beneficiary=payment.biller.name,
        institution=payment.biller.category.name,
        status=payment.get_state_display(),
        lines=bill_payment_lines(payment, journal=journal),
    )

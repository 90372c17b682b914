from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = "Pago de servicios"

    def ready(self) -> None:
        from core.receipts import describer_register
        from payments.receipts import BILL_PAYMENT_SOURCE, bill_payment_describe

        describer_register(BILL_PAYMENT_SOURCE, bill_payment_describe)
        # The history's long downloads, rendered by the document workers.
        from payments.history import history_back, history_document
        from products.jobs import document_kind_register
        from products.models import DocumentJob

        for kind in (DocumentJob.Kind.PAYMENTS_PDF, DocumentJob.Kind.PAYMENTS_XLSX):
            document_kind_register(kind, render=history_document, back=history_back)
        # Its operation kinds, so that a worker can execute one by purpose.
        from payments import operations  # noqa: F401

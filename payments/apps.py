from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = "Pago de servicios"

    def ready(self) -> None:
        from core.receipts import describer_register
        from payments.receipts import BILL_PAYMENT_SOURCE, bill_payment_describe

        describer_register(BILL_PAYMENT_SOURCE, bill_payment_describe)
        # Its operation kinds, so that a worker can execute one by purpose.
        from payments import operations  # noqa: F401

from django.apps import AppConfig


class TransfersConfig(AppConfig):
    name = "transfers"
    verbose_name = "Transferencias"

    def ready(self) -> None:
        from core.receipts import UNSOURCED, describer_register
        from transfers.receipts import TRANSFER_SOURCE, transfer_describe

        describer_register(TRANSFER_SOURCE, transfer_describe)
        describer_register(UNSOURCED, transfer_describe)
        # Every process watches the catalogs it may change (the cooperative's limits, the
        # institutions and product types a transfer reads), and knows the app's operation
        # kinds, so that a worker can execute one by purpose.
        from transfers import limits, operations, queries  # noqa: F401

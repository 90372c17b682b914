from django.apps import AppConfig


class TransfersConfig(AppConfig):
    name = "transfers"
    verbose_name = "Transferencias"

    def ready(self) -> None:
        from core.receipts import UNSOURCED, describer_register
        from transfers.receipts import TRANSFER_SOURCE, transfer_describe

        describer_register(TRANSFER_SOURCE, transfer_describe)
        describer_register(UNSOURCED, transfer_describe)
        # The institutions, for the apps that cannot read them (cards: "Registrar tarjeta").
        from products.institutions import institutions_reader_register
        from transfers.catalog import institutions_active

        institutions_reader_register(institutions_active)
        # Every process watches the catalogs it may change (the cooperative's limits, the
        # institutions and product types a transfer reads), and knows the app's operation
        # kinds, so that a worker can execute one by purpose.
        from transfers import limits, operations, queries  # noqa: F401

from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "ledger"
    verbose_name = "Contabilidad"

    def ready(self) -> None:
        from ledger import checks  # noqa: F401  (registers the database code check)

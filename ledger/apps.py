from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "ledger"
    verbose_name = "Contabilidad"

    def ready(self) -> None:
        # Every process watches the catalogs it may change (tariffs, the books' accounts,
        # the calendar's corrections).
        from ledger import (  # noqa: F401
            books,
            calendar,
            checks,
            fees,
        )

from django.apps import AppConfig


class TransfersConfig(AppConfig):
    name = "transfers"
    verbose_name = "Transferencias"

    def ready(self) -> None:
        # Every process watches the catalogs it may change (the cooperative's limits).
        from transfers import limits  # noqa: F401

from django.apps import AppConfig


class CooprogresoConfig(AppConfig):
    """The site itself: cooperative profile, notifications, shell, health."""

    name = "cooprogreso"
    verbose_name = "Cooperativa"

    def ready(self) -> None:
        from cooprogreso import checks  # noqa: F401  (registers system checks)

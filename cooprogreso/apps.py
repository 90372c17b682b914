from django.apps import AppConfig


class CooprogresoConfig(AppConfig):
    """The site itself: settings, URLs, the shell, health and the demo's composition."""

    name = "cooprogreso"
    verbose_name = "Portal"

    def ready(self) -> None:
        from cooprogreso import checks  # noqa: F401  (registers system checks)

from django.apps import AppConfig


class CooprogresoConfig(AppConfig):
    """The site itself: cooperative profile, notifications, shell, health."""

    name = "cooprogreso"
    verbose_name = "Cooperativa"

    def ready(self) -> None:
        from django.urls import register_converter

        from cooprogreso import (
            checks,  # noqa: F401  (registers system checks)
            profile,  # noqa: F401  (watches the profile for edits)
        )
        from cooprogreso.converters import CodeConverter

        register_converter(CodeConverter, "code")

from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The kernel every app stands on: refusals, money, masking, text rules, the
    cooperative profile, notifications, rate limits, crypto and database helpers. It
    imports no other package of the project (``pyproject.toml``'s import contracts)."""

    name = "core"
    label = "core"
    verbose_name = "Cooperativa"

    def ready(self) -> None:
        from django.urls import register_converter

        from core import profile  # noqa: F401  (watches the profile for edits)
        from core.converters import CodeConverter

        register_converter(CodeConverter, "code")

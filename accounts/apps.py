from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Identidad y acceso"

    def ready(self) -> None:
        # Mi perfil's operation kinds, known by purpose to every process.
        from accounts import profile  # noqa: F401

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.demo import DEMO_LOGINS
from cooprogreso.demo import demo_load


class Command(BaseCommand):
    help = "Carga la cooperativa de demostración (idempotente)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--show-logins", action="store_true", help="Muestra los usuarios de demostración."
        )

    def handle(self, *args, show_logins: bool = False, **options):
        if not settings.DEBUG:
            raise CommandError(
                "Los datos de demostración crean usuarios con contraseñas publicadas: "
                "solo se cargan con DJANGO_DEBUG=true."
            )
        summary = demo_load()
        self.stdout.write(summary.line())
        if show_logins:
            for login in DEMO_LOGINS:
                self.stdout.write(
                    f"  {login.role:<22} usuario {login.username:<12} "
                    f"contraseña {login.password:<14} en {login.where}"
                )

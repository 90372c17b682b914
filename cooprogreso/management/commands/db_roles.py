from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections

from core.db.roles import RoleError, app_role_grant, connected_as, owner_credentials


class Command(BaseCommand):
    help = (
        "Como dueño de las tablas (DATABASE_OWNER_URL), da al rol de la aplicación "
        "(DATABASE_URL) solo lo que el portal necesita: sin DDL y sin UPDATE, DELETE ni "
        "TRUNCATE sobre el historial contable. Idempotente; `migrate` lo aplica al terminar."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--role",
            help="Rol de la aplicación (por omisión, el usuario de DATABASE_URL).",
        )

    def handle(self, *args, role: str | None = None, **options):
        try:
            owner = owner_credentials()
            if owner is None and role is None:
                raise RoleError(
                    "Sin DATABASE_OWNER_URL no hay un rol de aplicación distinto del dueño: "
                    "define DATABASE_OWNER_URL (el dueño) y DATABASE_URL (la aplicación), "
                    "o indica --role."
                )
            role = role or connections[DEFAULT_DB_ALIAS].settings_dict["USER"]
            if owner is None:
                granted = app_role_grant(role=role)
            else:
                with connected_as(user=owner[0], password=owner[1]):
                    granted = app_role_grant(role=role)
        except RoleError as error:
            raise CommandError(str(error)) from error
        for line in granted.lines():
            self.stdout.write(line)

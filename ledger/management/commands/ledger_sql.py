"""Compares the database's functions and triggers with the code's, and reinstalls the
code's version of those that differ (``--restore``) once every migration that installs
them is applied. On PostgreSQL with ``DATABASE_OWNER_URL`` it connects as the tables'
owner, like ``migrate``: the application role may not create functions or triggers."""

from contextlib import nullcontext

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction

from core.db.roles import RoleError, connected_as, owner_credentials
from ledger.checks import database_code_differences, describe
from ledger.dbcode import reinstall


class Command(BaseCommand):
    help = (
        "Compara las funciones y triggers de la base de datos con los del código; "
        "--restore reinstala la versión del código de los que difieren."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--restore", action="store_true", help="reinstala la versión del código"
        )

    def handle(self, *args, restore: bool, **options):
        connection = connections[DEFAULT_DB_ALIAS]
        changed, behind = database_code_differences(connection)
        for difference in changed + behind:
            self.stdout.write(describe(difference))
        if behind:
            raise CommandError("Hay migraciones pendientes: ejecuta «python manage.py migrate».")
        if not changed:
            self.stdout.write("Funciones y triggers de la base de datos iguales a los del código.")
            return
        if not restore:
            raise CommandError(
                "La base de datos difiere del código: reinstala su versión con "
                "«python manage.py ledger_sql --restore»."
            )
        try:
            owner = owner_credentials() if connection.vendor == "postgresql" else None
        except RoleError as error:
            raise CommandError(str(error)) from error
        scope = connected_as(user=owner[0], password=owner[1]) if owner else nullcontext()
        try:
            with scope, transaction.atomic():
                reinstall(connection, [difference.object for difference in changed])
                left, _ = database_code_differences(connection)
        except DatabaseError as error:
            raise CommandError(
                f"No se pudo reinstalar: {error}. En PostgreSQL reinstala como dueño de las "
                "tablas (DATABASE_OWNER_URL, docs/security.md)."
            ) from error
        if left:
            raise CommandError("No se pudo reinstalar: " + " ".join(describe(d) for d in left))
        for difference in changed:
            self.stdout.write(f"Reinstalado: {difference.object.subject}.")

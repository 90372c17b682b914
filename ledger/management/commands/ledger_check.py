from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from ledger.audit import ledger_check
from ledger.checks import database_code_messages


class Command(BaseCommand):
    help = (
        "Recalcula todos los saldos desde los movimientos e informa cualquier descuadre, "
        "y compara las funciones y triggers de la base de datos con los del código."
    )

    def handle(self, *args, **options):
        report = ledger_check()
        for line in report.lines():
            self.stdout.write(line)
        messages = database_code_messages(connection)
        for message in messages:
            self.stdout.write(f"{message.msg} {message.hint}")
        if not report.ok:
            raise CommandError("El libro contable no cuadra.")
        if any(message.is_serious() for message in messages):
            raise CommandError("La base de datos no tiene las funciones y triggers del código.")

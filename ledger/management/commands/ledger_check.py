from django.core.management.base import BaseCommand, CommandError

from ledger.audit import ledger_check


class Command(BaseCommand):
    help = "Recalcula todos los saldos desde los movimientos e informa cualquier descuadre."

    def handle(self, *args, **options):
        report = ledger_check()
        for line in report.lines():
            self.stdout.write(line)
        if not report.ok:
            raise CommandError("El libro contable no cuadra.")

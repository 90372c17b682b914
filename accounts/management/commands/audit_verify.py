from django.core.management.base import BaseCommand, CommandError

from accounts.audit import audit_verify


class Command(BaseCommand):
    help = "Verifica la cadena de la bitácora de seguridad y nombra el primer eslabón roto."

    def handle(self, *args, **options):
        report = audit_verify()
        if report.ok:
            self.stdout.write(f"Bitácora íntegra: {report.entries} eventos encadenados.")
            return
        raise CommandError(
            f"La bitácora fue alterada: el primer eslabón roto es el evento N.º "
            f"{report.first_broken_seq}."
        )

from django.core.management.base import BaseCommand

from core.profile import cooperative_current, cooperatives_load_ready


class Command(BaseCommand):
    help = (
        "Crea los perfiles listos de las tres cooperativas de los manuales que falten "
        "(idempotente; nunca sobrescribe un perfil editado)."
    )

    def handle(self, *args, **options):
        count = cooperatives_load_ready()
        self.stdout.write(
            f"Perfiles de cooperativa: {count}; activo: {cooperative_current().short_name}"
        )

from django.db import migrations


def seed(apps, schema_editor):
    from accounts.catalogs import legal_documents_load

    legal_documents_load(apps.get_model("accounts", "TermsDocument"))


class Migration(migrations.Migration):
    dependencies = [("accounts", "0005_enrollment")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

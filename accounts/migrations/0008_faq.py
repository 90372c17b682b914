from django.db import migrations


def seed(apps, schema_editor):
    from accounts.catalogs import faq_load

    faq_load(apps.get_model("accounts", "FaqEntry"))


class Migration(migrations.Migration):
    dependencies = [("accounts", "0007_complaints_faq")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

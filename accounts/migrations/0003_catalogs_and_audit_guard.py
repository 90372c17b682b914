"""The security-image and security-question catalogs, and the audit log made append-only."""

from django.db import migrations

def seed(apps, schema_editor):
    from accounts.catalogs import catalogs_load

    catalogs_load(
        apps.get_model("accounts", "SecurityImage"), apps.get_model("accounts", "SecurityQuestion")
    )


def guard(apps, schema_editor):
    from core.db import append_only

    append_only.install(schema_editor, "accounts_audit_event")


def unguard(apps, schema_editor):
    from core.db import append_only

    append_only.uninstall(schema_editor, "accounts_audit_event")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_security")]

    operations = [
        migrations.RunPython(seed, migrations.RunPython.noop),
        migrations.RunPython(guard, unguard),
    ]

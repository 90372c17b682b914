"""Append-only triggers, the balanced-journal triggers and ``ledger_post`` (ledger/sql.py)."""

from django.db import migrations


def forward(apps, schema_editor):
    from ledger import sql

    sql.install(schema_editor)


def backward(apps, schema_editor):
    from ledger import sql

    sql.uninstall(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]

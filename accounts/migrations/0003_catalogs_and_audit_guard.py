"""The security-image and security-question catalogs, and the audit log made append-only.

The append-only SQL is frozen here, as it was when the migration was written: never edit
it (docs/ledger.md, "Versions of the database code").
"""

from django.db import migrations

APPEND_ONLY_GUARD = """
CREATE OR REPLACE FUNCTION append_only_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% on % is not allowed: the table is append-only', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'CP010';
END $$
"""

POSTGRES_FORWARD = [
    APPEND_ONLY_GUARD,
    "CREATE TRIGGER accounts_audit_event_append_only BEFORE UPDATE OR DELETE ON "
    "accounts_audit_event FOR EACH ROW EXECUTE FUNCTION append_only_guard()",
]

POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS accounts_audit_event_append_only ON accounts_audit_event",
]

SQLITE_FORWARD = [
    "CREATE TRIGGER accounts_audit_event_no_update BEFORE UPDATE ON accounts_audit_event "
    "BEGIN SELECT RAISE(ABORT, 'UPDATE on accounts_audit_event is not allowed: append-only'); "
    "END",
    "CREATE TRIGGER accounts_audit_event_no_delete BEFORE DELETE ON accounts_audit_event "
    "BEGIN SELECT RAISE(ABORT, 'DELETE on accounts_audit_event is not allowed: append-only'); "
    "END",
]

SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS accounts_audit_event_no_update",
    "DROP TRIGGER IF EXISTS accounts_audit_event_no_delete",
]


def seed(apps, schema_editor):
    from accounts.catalogs import catalogs_load

    catalogs_load(
        apps.get_model("accounts", "SecurityImage"), apps.get_model("accounts", "SecurityQuestion")
    )


def run(schema_editor, postgresql, sqlite):
    vendor = schema_editor.connection.vendor
    statements = {"postgresql": postgresql, "sqlite": sqlite}.get(vendor)
    if statements is None:
        raise RuntimeError(f"append-only tables need PostgreSQL or SQLite, not {vendor}")
    for statement in statements:
        schema_editor.execute(statement, params=None)


def guard(apps, schema_editor):
    run(schema_editor, POSTGRES_FORWARD, SQLITE_FORWARD)


def unguard(apps, schema_editor):
    run(schema_editor, POSTGRES_REVERSE, SQLITE_REVERSE)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_security")]

    operations = [
        migrations.RunPython(seed, migrations.RunPython.noop),
        migrations.RunPython(guard, unguard),
    ]

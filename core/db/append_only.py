"""Append-only tables, enforced by the database on PostgreSQL and SQLite.

``install(schema_editor, table)`` adds triggers that make UPDATE and DELETE on ``table``
raise. Tables guarded this way are listed in ``GUARDED_TABLES`` so that the SQLite
backend's whole-database flush (the test runner's) can lift the DELETE trigger around
its DELETEs; PostgreSQL's flush is TRUNCATE, which row triggers do not see.
"""

GUARDED_TABLES = ("ledger_journal", "ledger_posting", "accounts_audit_event")

POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION append_only_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% on % is not allowed: the table is append-only', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'CP010';
END $$
"""


def sqlite_delete_trigger(table: str) -> str:
    return (
        f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, 'DELETE on {table} is not allowed: append-only'); END"
    )


def sqlite_update_trigger(table: str) -> str:
    return (
        f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, 'UPDATE on {table} is not allowed: append-only'); END"
    )


def install(schema_editor, table: str) -> None:
    if table not in GUARDED_TABLES:
        raise ValueError(f"add {table} to GUARDED_TABLES first")
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_FUNCTION, params=None)
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION append_only_guard()",
            params=None,
        )
    elif vendor == "sqlite":
        schema_editor.execute(sqlite_update_trigger(table), params=None)
        schema_editor.execute(sqlite_delete_trigger(table), params=None)
    else:  # pragma: no cover - only the two supported databases
        raise RuntimeError(f"append-only tables need PostgreSQL or SQLite, not {vendor}")


def uninstall(schema_editor, table: str) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}", params=None)
    elif vendor == "sqlite":
        for suffix in ("no_update", "no_delete"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_{suffix}", params=None)

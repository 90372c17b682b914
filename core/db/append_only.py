"""Append-only tables, enforced by the database on PostgreSQL and SQLite: the current
version of their SQL.

A guarded table gets triggers that make UPDATE and DELETE raise. Migrations never import
this module: each one carries a frozen copy of the statements it runs, and this module is
what the code expects the database to have now — the check in ``ledger/checks.py``
compares the two, and a test asserts that the latest frozen copy equals this one
(docs/ledger.md, "Versions of the database code"). To guard a new table, add it to
``GUARDED_TABLES`` and copy the statements for it into the migration that creates it.

``GUARDED_TABLES`` also lets the SQLite backend's whole-database flush (the test
runner's) lift the DELETE trigger around its DELETEs; PostgreSQL's flush is TRUNCATE,
which row triggers do not see.
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


def postgres_trigger(table: str) -> str:
    return (
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION append_only_guard()"
    )


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

"""SQLite backend of the embedded default: Django's, plus a flush that respects the
ledger's append-only triggers (lifted only while the whole database is emptied)."""

from django.db.backends.sqlite3 import base, operations

LEDGER_TABLES = {"ledger_journal", "ledger_posting"}


class DatabaseOperations(operations.DatabaseOperations):
    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        statements = super().sql_flush(
            style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
        )
        if not LEDGER_TABLES & set(tables):
            return statements
        from ledger.sql import SQLITE_FLUSH_GUARDED, SQLITE_TRIGGERS

        lift = [f"DROP TRIGGER IF EXISTS {name}" for name in SQLITE_FLUSH_GUARDED]
        restore = [SQLITE_TRIGGERS[name].strip() for name in SQLITE_FLUSH_GUARDED]
        return [*lift, *statements, *restore]


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations

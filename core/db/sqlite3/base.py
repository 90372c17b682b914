"""SQLite backend of the embedded default: Django's, plus a flush that respects the
append-only triggers (lifted only while the whole database is emptied), and UUIDs taken
as parameters of written SQL (``core.db.rows``) as Django stores a ``UUIDField`` here: its
32 hex digits (PostgreSQL takes them as they are)."""

import sqlite3
import uuid

from django.db.backends.sqlite3 import base, operations

from core.db.append_only import GUARDED_TABLES, sqlite_delete_trigger


class DatabaseOperations(operations.DatabaseOperations):
    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        statements = super().sql_flush(
            style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
        )
        guarded = [t for t in GUARDED_TABLES if t in set(tables)]
        lift = [f"DROP TRIGGER IF EXISTS {t}_no_delete" for t in guarded]
        restore = [sqlite_delete_trigger(t) for t in guarded]
        return [*lift, *statements, *restore]


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations


sqlite3.register_adapter(uuid.UUID, lambda value: value.hex)

"""Taking a row's primary key before the row is written, in a statement that runs anyway.

A service that must name a row in another write before inserting it (a transfer is the
``source`` of its journal, and the transfer row points at the journal) selects
``next_id_sql(Model)`` in a statement it already makes and inserts the row with that id.
"""

from django.db import connection


def next_id_sql(model) -> str:
    """An SQL expression for the next primary key of ``model``'s table, taken for the caller.

    PostgreSQL: ``nextval`` of the key's sequence — never handed out twice; a transaction
    that rolls back leaves a gap, as any insert does. SQLite: one more than the largest
    key the table ever had, which holds because the portal's SQLite transactions are
    IMMEDIATE (one writer at a time, from the start of the transaction).
    """
    meta = model._meta
    quote = connection.ops.quote_name
    if connection.vendor == "postgresql":
        return f"nextval(pg_get_serial_sequence('{quote(meta.db_table)}', '{meta.pk.column}'))"
    if connection.vendor == "sqlite":
        return (
            f"(SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = "  # noqa: S608 - names from the model
            f"'{meta.db_table}'), 0), COALESCE(MAX({quote(meta.pk.column)}), 0)) + 1 "
            f"FROM {quote(meta.db_table)})"
        )
    raise NotImplementedError(f"next_id_sql is not available on {connection.vendor}")

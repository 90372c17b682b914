"""Model instances from written SQL, converted as the ORM converts them.

For the few hot paths where compiling a query costs more than running it (a transfer's
reads under the member's lock, ``transfers/queries.py``). ``Columns(model, alias)`` gives
the select list of the model's concrete columns under a table alias and builds the
instance from its slice of a result row, through the database's converters (SQLite
returns datetimes as text, booleans as integers and decimals as floats);
``converted(value, field)`` converts one computed value (a sum of ``field``);
``rows_read(sql, params, columns)`` runs a SELECT of several models' columns and builds
each row's instances.

A page that reads several such statements for one member — the consolidated position
reads accounts, loans, pólizas and cards — waits for each answer before it sends the next
question: a round trip, and the driver's and the server's work of one exchange, per
statement. A *reading* is a generator that yields its one statement ``(sql, params)``,
receives the result rows and returns what it makes of them (``yield from`` another reading
to build on it); ``readings_run`` sends every reading's statement in one exchange —
psycopg's pipeline mode on PostgreSQL, one after another on SQLite — and returns each
reading's result. A statement that writes is a reading too when it returns rows (an
UPDATE … RETURNING, an INSERT through ``rows_inserting``): a transfer sends its row, its
notices and the read of its journal's legs in one exchange.
"""

from collections.abc import Generator
from contextlib import ExitStack
from typing import Any, TypeVar

from django.db import connection
from django.db.models import Field, Model

T = TypeVar("T")
Reading = Generator[tuple[str, list], list[tuple], T]


def _converters(field: Field, alias: str):
    column = field.get_col(alias)
    return column, connection.ops.get_db_converters(column) + column.get_db_converters(connection)


def converted(value, field: Field):
    """``value``, read from the database for ``field`` (or a sum of it)."""
    column, converters = _converters(field, field.model._meta.db_table)
    for converter in converters:
        value = converter(value, column, connection)
    return value


class Columns:
    """The concrete columns of ``model`` under ``alias`` in a written SELECT."""

    def __init__(self, model: type[Model], alias: str):
        self.model = model
        self.alias = alias
        self.fields = model._meta.concrete_fields
        self.names = [field.attname for field in self.fields]
        self.pk_index = self.fields.index(model._meta.pk)
        self._conversions = None

    def __len__(self) -> int:
        return len(self.fields)

    def sql(self) -> str:
        quote = connection.ops.quote_name
        return ", ".join(f"{self.alias}.{quote(field.column)}" for field in self.fields)

    def build(self, values) -> Model | None:
        """The instance of ``values`` (this model's slice of a row, in ``sql()``'s order);
        ``None`` for the empty side of a LEFT JOIN."""
        if values[self.pk_index] is None:
            return None
        if self._conversions is None:
            self._conversions = [
                (n, *_converters(field, self.alias))
                for n, field in enumerate(self.fields)
                if _converters(field, self.alias)[1]
            ]
        values = list(values)
        for n, column, converters in self._conversions:
            for converter in converters:
                values[n] = converter(values[n], column, connection)
        return self.model.from_db(connection.alias, self.names, values)


def columns_sql(columns: tuple[Columns, ...]) -> str:
    """The select list of ``columns``, in the order :func:`rows_read` cuts each row."""
    return ", ".join(part.sql() for part in columns)


def rows_read(sql: str, params: list, columns: tuple[Columns, ...]) -> list[list]:
    """Each result row cut into one instance per ``columns`` (``None`` for an empty LEFT
    JOIN side)."""
    return rows_cut(_fetched(sql, params), columns)


def _fetched(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def rows_cut(rows: list[tuple], columns: tuple[Columns, ...]) -> list[list]:
    """Each of ``rows`` cut into one instance per ``columns``, as ``rows_read`` cuts them."""
    built = []
    for row in rows:
        instances, start = [], 0
        for part in columns:
            instances.append(part.build(row[start : start + len(part)]))
            start += len(part)
        built.append(instances)
    return built


def reading_run(reading: Reading[T]) -> T:
    """What ``reading`` makes of its statement's rows, read on their own."""
    return readings_run(reading)[0]


def readings_run(*readings: Reading[Any]) -> list[Any]:
    """What each of ``readings`` makes of its statement's rows, the statements sent
    together: one round trip on PostgreSQL, however many."""
    statements = []
    for reading in readings:
        try:
            statements.append(next(reading))
        except StopIteration:
            raise RuntimeError("A reading reads one statement.") from None
    if connection.vendor == "postgresql" and len(statements) > 1:
        results = _pipelined(statements)
    else:
        results = [_fetched(sql, params) for sql, params in statements]
    made = []
    for reading, rows in zip(readings, results, strict=True):
        try:
            reading.send(rows)
        except StopIteration as done:
            made.append(done.value)
        else:
            raise RuntimeError("A reading reads one statement.")
    return made


def _pipelined(statements: list[tuple[str, list]]) -> list[list[tuple]]:
    """The rows of each statement, all sent before the first answer is awaited (psycopg's
    pipeline mode); an error of any is raised as Django raises database errors, when the
    pipeline ends. So a cursor's ``execute`` returns once its statement is sent: what
    ``connection.execute_wrapper`` hooks and the query log time is the sending."""
    connection.ensure_connection()
    with ExitStack() as stack:
        # Every cursor opened first: opening one may check the connection's health.
        cursors = [stack.enter_context(connection.cursor()) for _ in statements]
        with connection.wrap_database_errors, connection.connection.pipeline():
            for cursor, (sql, params) in zip(cursors, statements, strict=True):
                cursor.execute(sql, params)
        return [cursor.fetchall() for cursor in cursors]


def rows_insert(
    objs: list[Model], *, skip_conflicts: bool = False, match: tuple[str, ...] = ()
) -> list:
    """INSERTs ``objs`` (new instances of one model) in one statement, their fields
    prepared as ``save()`` prepares them (``auto_now_add`` and the like set on the
    instances), and gives each inserted one its primary key. Returns those inserted.

    With ``skip_conflicts`` a row a unique constraint refuses is left out (``ON CONFLICT
    DO NOTHING``) — for a row another writer made first — and the inserted ones are told
    apart by their values of the unique fields ``match``. Only the writer that inserts a
    row gets it back: the conflicting one waits for the other's transaction to end."""
    if not objs:
        return []
    return reading_run(rows_inserting(objs, skip_conflicts=skip_conflicts, match=match))


def rows_inserting(
    objs: list[Model], *, skip_conflicts: bool = False, match: tuple[str, ...] = ()
) -> Reading[list]:
    """:func:`rows_insert` as a reading, to send the INSERT together with other
    statements (``objs`` not empty)."""
    model = type(objs[0])
    meta = model._meta
    pk = meta.pk
    fields = [
        f for f in meta.concrete_fields if not (f is pk and getattr(objs[0], f.attname) is None)
    ]
    matched = [meta.get_field(name) for name in match]
    quote = connection.ops.quote_name
    values = [
        [field.get_db_prep_save(field.pre_save(obj, add=True), connection) for field in fields]
        for obj in objs
    ]
    if connection.vendor == "postgresql" and len(objs) > 1:
        # One array a column, as Django's bulk_create does: the statement's text is the
        # same for any number of rows (the driver parses it once), its parameters few.
        types = [field.db_type(connection).split("(")[0] for field in fields]
        rows_sql = f"SELECT * FROM UNNEST({', '.join(f'(%s)::{t}[]' for t in types)})"  # noqa: S608 - no input in the text
        params = [list(column) for column in zip(*values, strict=True)]
    else:
        row = "(" + ", ".join(["%s"] * len(fields)) + ")"
        rows_sql = f"VALUES {', '.join([row] * len(objs))}"
        params = [value for row_values in values for value in row_values]
    returned = [pk.column] + [field.column for field in matched]
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
        f"{rows_sql}{' ON CONFLICT DO NOTHING' if skip_conflicts else ''} "
        f"RETURNING {', '.join(quote(c) for c in returned)}"
    )
    rows = yield sql, params
    if matched:
        by_value = {tuple(getattr(obj, f.attname) for f in matched): obj for obj in objs}
        inserted = [(by_value[tuple(row[1:])], row[0]) for row in rows]
    else:  # PostgreSQL and SQLite return the rows of a multi-row INSERT in its order
        # (Django's bulk_create relies on it too)
        inserted = list(zip(objs, (r[0] for r in rows), strict=True))
    for obj, pk_value in inserted:
        setattr(obj, pk.attname, pk_value)
        obj._state.adding = False
        obj._state.db = connection.alias
    return [obj for obj, _ in inserted]


def assignments(model: type[Model], values: dict) -> tuple[str, list]:
    """The ``SET`` list of an UPDATE of ``model``'s fields by name (a related instance for
    a foreign key) and its parameters, prepared as ``QuerySet.update`` prepares them."""
    quote = connection.ops.quote_name
    parts, params = [], []
    for name, value in values.items():
        field = model._meta.get_field(name)
        if isinstance(value, Model):
            value = value.pk
        parts.append(f"{quote(field.column)} = %s")
        params.append(field.get_db_prep_save(value, connection))
    return ", ".join(parts), params

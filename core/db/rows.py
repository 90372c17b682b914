"""Model instances from written SQL, converted as the ORM converts them.

For the few hot paths where compiling a query costs more than running it (a transfer's
reads under the member's lock, ``transfers/queries.py``). ``Columns(model, alias)`` gives
the select list of the model's concrete columns under a table alias and builds the
instance from its slice of a result row, through the database's converters (SQLite
returns datetimes as text, booleans as integers and decimals as floats);
``converted(value, field)`` converts one computed value (a sum of ``field``);
``rows_read(sql, params, columns)`` runs a SELECT of several models' columns and builds
each row's instances.
"""

from django.db import connection
from django.db.models import Field, Model


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


def rows_read(sql: str, params: list, columns: tuple[Columns, ...]) -> list[list]:
    """Each result row cut into one instance per ``columns`` (``None`` for an empty LEFT
    JOIN side)."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    built = []
    for row in rows:
        instances, start = [], 0
        for part in columns:
            instances.append(part.build(row[start : start + len(part)]))
            start += len(part)
        built.append(instances)
    return built

"""``core.db.rows`` readings: several statements sent in one round trip, each reading
making its result of its own rows, as it would read alone."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from core.db.rows import Reading, reading_run, readings_run

pytestmark = pytest.mark.django_db


def number(n: int) -> Reading[int]:
    rows = yield "SELECT %s + 1", [n]
    return rows[0][0]


def numbers(upto: int) -> Reading[list[int]]:
    rows = yield (
        (
            "SELECT n FROM (SELECT 1 AS n UNION ALL SELECT 2 UNION ALL SELECT 3) t "
            "WHERE n <= %s ORDER BY n"
        ),
        [upto],
    )
    return [n for (n,) in rows]


def doubled(upto: int) -> Reading[list[int]]:
    values = yield from numbers(upto)
    return [2 * n for n in values]


def test_each_reading_gets_its_own_rows_in_order():
    with CaptureQueriesContext(connection) as queries:
        made = readings_run(number(1), numbers(2), doubled(3), number(41))
    assert made == [2, [1, 2], [2, 4, 6], 42]
    assert len(queries) == 4


def test_a_reading_alone_reads_as_it_does_among_others():
    assert reading_run(doubled(2)) == [2, 4]
    assert readings_run() == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the pipeline is PostgreSQL's")
def test_the_statements_travel_together_on_postgresql(monkeypatch):
    connection.ensure_connection()
    pipelines = []
    pipeline = connection.connection.pipeline
    monkeypatch.setattr(
        connection.connection, "pipeline", lambda: pipelines.append(1) or pipeline()
    )
    assert readings_run(number(1), number(2), number(3)) == [2, 3, 4]
    assert pipelines == [1]


def test_an_error_in_one_statement_is_a_database_error_and_the_connection_goes_on():
    def broken() -> Reading[None]:
        yield "SELECT * FROM no_such_table WHERE id = %s", [1]

    with pytest.raises(DatabaseError), transaction.atomic():
        readings_run(number(1), broken(), number(2))
    assert reading_run(number(6)) == 7


def test_a_reading_reads_one_statement():
    def greedy() -> Reading[None]:
        yield "SELECT %s", [1]
        yield "SELECT %s", [2]

    with pytest.raises(RuntimeError, match="one statement"):
        readings_run(greedy())


def test_a_reading_that_reads_nothing_is_refused():
    def idle() -> Reading[None]:
        return None
        yield  # a generator that never yields its statement

    with pytest.raises(RuntimeError, match="one statement"):
        readings_run(number(1), idle())

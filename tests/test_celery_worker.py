"""A Celery worker keeps its database connection from one task to the next, as a web
process does between requests, and replaces one that is broken or too old; a task run
eagerly inside its caller leaves the caller's connection alone."""

from types import SimpleNamespace

import pytest
from celery.fixups.django import DjangoWorkerFixup
from celery.signals import task_postrun, task_prerun
from django.db import connection

from cooprogreso.celery import app

pytestmark = pytest.mark.django_db(transaction=True)


class FakeTask:
    """What the signals' sender offers: the request, eager or in a worker."""

    def __init__(self, *, eager: bool):
        self.request = SimpleNamespace(is_eager=eager)


WORKER_TASK = FakeTask(eager=False)


def run_tasks(fixup: DjangoWorkerFixup, count: int = 3) -> None:
    """What a worker does around each task: Celery's fixup, then this project's recycling."""
    for _ in range(count):
        fixup.on_task_prerun(WORKER_TASK)
        task_prerun.send(sender=WORKER_TASK)
        connection.cursor().execute("SELECT 1")
        fixup.on_task_postrun(WORKER_TASK)
        task_postrun.send(sender=WORKER_TASK)


def connect(monkeypatch, max_age: int) -> object:
    """A fresh connection that lives ``max_age`` seconds (``CONN_MAX_AGE``)."""
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", max_age)
    connection.close()
    connection.ensure_connection()
    return connection.connection


def test_a_worker_keeps_its_connection_between_tasks(monkeypatch):
    opened = connect(monkeypatch, max_age=60)
    run_tasks(DjangoWorkerFixup(app))
    assert connection.connection is opened


def test_a_connection_past_its_age_is_replaced_after_its_task(monkeypatch):
    connect(monkeypatch, max_age=0)
    run_tasks(DjangoWorkerFixup(app), count=1)
    assert connection.connection is None  # the next query opens a new one


def test_a_broken_connection_is_replaced_after_its_task(monkeypatch):
    connect(monkeypatch, max_age=60)
    connection.errors_occurred = True
    monkeypatch.setattr(connection, "is_usable", lambda: False)
    task_postrun.send(sender=WORKER_TASK)
    assert connection.connection is None  # the next query opens a new one


@pytest.mark.django_db(transaction=False)
def test_an_eager_task_leaves_its_callers_connection_alone():
    eager = FakeTask(eager=True)
    connection.ensure_connection()
    opened = connection.connection
    task_prerun.send(sender=eager)
    task_postrun.send(sender=eager)
    assert connection.connection is opened and connection.in_atomic_block

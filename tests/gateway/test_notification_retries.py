"""A notice whose SMS gateway fails once is retried and sent once: run eagerly, as the
suite runs tasks, and by a real worker through Redis, as production runs them."""

import os
import time
from contextlib import contextmanager

import pytest
from django.test import TestCase

from core import notifications
from core.models import Notification
from core.notifications import notify

PHONE = "+593987654321"
TEXT = "Cooprogreso: se registró el dispositivo «Casa»"


def test_a_notice_whose_gateway_fails_once_is_retried_and_sent_once(db, sms_gateway):
    sms_gateway.fail_once()
    with TestCase.captureOnCommitCallbacks(execute=True):
        [row] = notify(phone=PHONE, body=TEXT, kind="Cambio de seguridad")
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, "HTTPError 500")
    assert [message["text"] for message in sms_gateway.accepted()] == [TEXT]


@contextmanager
def worker_through_redis():
    """A worker in this process on the Redis broker, and this process publishing there
    too: the task after commit and the worker's retries."""
    from celery.contrib.testing.worker import start_worker

    from cooprogreso.celery import app

    saved = app.conf.broker_url, app.conf.task_always_eager
    app.conf.broker_url, app.conf.task_always_eager = os.environ["TEST_REDIS_URL"], False
    app._pool = app.amqp._producer_pool = None  # connect to the broker just set
    try:
        with start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING"):
            yield
    finally:
        app.conf.broker_url, app.conf.task_always_eager = saved
        app._pool = app.amqp._producer_pool = None


def settled(row: Notification, seconds: float = 30) -> Notification:
    deadline = time.monotonic() + seconds
    while row.status == Notification.Status.PENDING and time.monotonic() < deadline:
        time.sleep(0.2)
        row.refresh_from_db()
    return row


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_retries_a_notice_whose_gateway_failed_once(sms_gateway, monkeypatch):
    monkeypatch.setattr(notifications, "RETRY_DELAYS", (1, 1, 1, 1, 1))
    sms_gateway.fail_once()
    with worker_through_redis():
        [row] = notify(phone=PHONE, body=TEXT, kind="Cambio de seguridad")  # committed
        row = settled(row)
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, "HTTPError 500")
    assert [message["text"] for message in sms_gateway.accepted()] == [TEXT]

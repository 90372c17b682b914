import os
import time

import pytest
from django.core.cache import cache
from django.utils import timezone

from cooprogreso.tasks import HEARTBEAT_KEY, heartbeat


def test_it_reports_database_and_broker_reachable(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"
    assert response.json()["broker"] == "ok"
    assert response["Cache-Control"].startswith("max-age=0")


def test_an_unreachable_broker_answers_503(client, db, settings):
    from cooprogreso.celery import app

    original = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    try:
        response = client.get("/healthz")
    finally:
        app.conf.broker_url = original
    assert response.status_code == 503
    assert response.json()["broker"] == "error"


def test_it_reports_how_long_ago_a_worker_ran_the_heartbeat(client, db):
    assert client.get("/healthz").json()["worker_heartbeat_seconds"] is None
    heartbeat()
    assert client.get("/healthz").json()["worker_heartbeat_seconds"] == 0


def test_the_heartbeat_task_stamps_the_shared_cache():
    heartbeat.delay()
    assert cache.get(HEARTBEAT_KEY) <= timezone.now().isoformat()


@pytest.mark.redis
def test_a_real_worker_runs_the_heartbeat_through_redis(settings):
    """Producer → Redis broker → an in-process worker → the cache: the path beat uses."""
    from celery.contrib.testing.worker import start_worker

    from cooprogreso.celery import app

    previous = app.conf.broker_url, app.conf.task_always_eager
    app.conf.broker_url = os.environ["TEST_REDIS_URL"]
    app.conf.task_always_eager = False
    try:
        with start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING"):
            with app.connection_for_write(os.environ["TEST_REDIS_URL"]) as connection:
                heartbeat.apply_async(connection=connection)
            deadline = time.monotonic() + 20
            while cache.get(HEARTBEAT_KEY) is None and time.monotonic() < deadline:
                time.sleep(0.1)
    finally:
        app.conf.broker_url, app.conf.task_always_eager = previous
    assert cache.get(HEARTBEAT_KEY) is not None


def test_a_failing_sms_gateway_is_reported_without_failing_the_check(client, db, settings):
    from core.notifications import notification_send

    settings.SMS_BACKEND = "tests.test_notifications.FailingSmsBackend"
    notification_send(phone="+593987654321", email="maria@example.com", subject="", body="x")
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["sms_gateway"]["status"] == "failing"
    assert response.json()["email"]["status"] == "ok"

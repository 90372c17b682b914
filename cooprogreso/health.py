"""Reachability of the services the portal depends on (for /healthz).

The database and the broker decide the answer (503 when either is down). The SMS
gateway and the mail relay are reported as their last deliveries found them
(``notifications.channel_state``) without turning the answer into 503: a failing channel
degrades the portal — codes still go out on the other one, and a member whose codes
reach nobody is told so — and taking web nodes out of a load balancer would not bring
the gateway back. Alert on ``sms_gateway.status == "failing"`` instead.
"""

from datetime import datetime

from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from cooprogreso.celery import app as celery_app
from cooprogreso.tasks import HEARTBEAT_KEY
from core.notifications import channel_state


def database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        return False


def broker_ok() -> bool:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:
        return False


def worker_heartbeat_age() -> int | None:
    """Seconds since a worker last ran the beat's heartbeat task, or None if never."""
    value = cache.get(HEARTBEAT_KEY)
    if not value:
        return None
    return int((timezone.now() - datetime.fromisoformat(value)).total_seconds())


def health_report() -> tuple[bool, dict]:
    database = database_ok()
    broker = broker_ok()
    report = {
        "database": "ok" if database else "error",
        "broker": "ok" if broker else "error",
        "worker_heartbeat_seconds": worker_heartbeat_age(),
        "sms_gateway": channel_state("sms"),
        "email": channel_state("email"),
    }
    return database and broker, report

"""Site-level periodic tasks."""

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

HEARTBEAT_KEY = "celery:heartbeat"


@shared_task
def heartbeat() -> None:
    """Beat schedules it, a worker runs it: /healthz reports how long ago that was."""
    cache.set(HEARTBEAT_KEY, timezone.now().isoformat(), timeout=None)

"""The Celery application: web, worker and beat share settings and task modules.

A worker keeps its database connection between tasks, as a web process keeps it between
requests: Celery's Django fixup would close it before and after every task (each task
then paid for a new PostgreSQL backend and its cold caches, more than most tasks cost),
so ``CELERY_DB_REUSE_MAX`` turns that off and the connections are recycled here the way
Django recycles them around a request — past ``CONN_MAX_AGE``, or once an error left one
unusable (``close_old_connections``).
"""

import os

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cooprogreso.settings")

app = Celery("cooprogreso")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def _recycle_connections(sender=None, **kwargs) -> None:
    """Around each task a worker runs: the connections too old or broken are closed (the
    next query opens a fresh one). Not for a task run eagerly inside its caller, whose
    transaction the connection is."""
    if sender is None or getattr(sender.request, "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()

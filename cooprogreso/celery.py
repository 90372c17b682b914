"""The Celery application: web, worker and beat share settings and task modules."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cooprogreso.settings")

app = Celery("cooprogreso")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

"""Gunicorn settings, read from the environment (same file for make run and Docker)."""

import os

bind = os.environ.get("WEB_BIND", "127.0.0.1:8000")
# Processes, not threads: a request's Python holds the GIL, so a thread back from a
# database or Redis round trip waits for its neighbour to let go — on the position page
# 2 workers × 4 threads served half what 4 workers × 1 thread did (docs/performance.md).
workers = int(os.environ.get("WEB_WORKERS", str(2 * (os.cpu_count() or 1))))
threads = int(os.environ.get("WEB_THREADS", "1"))
# One thread: the sync worker, which takes a connection only when it is free, so the
# kernel hands each new one to an idle process. The threaded worker keeps every
# keep-alive connection it accepted, and a client's sixteen connections could all land on
# one process while the others sat idle (measured: a quarter of the throughput).
worker_class = "sync" if threads == 1 else "gthread"
timeout = 30
graceful_timeout = 10
accesslog = "-"
# One JSON object per request, its fields escaped (cooprogreso/access_log.py): a path
# holding a line break or a quote cannot split or forge a log line.
logger_class = "cooprogreso.access_log.JsonAccessLogger"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# No control socket: it would live at one path per machine user (~/.gunicorn), shared by
# every gunicorn that user runs (the portal, a test, a second checkout), and nothing uses it.
control_socket_disable = True

# Gunicorn's own messages and the access log as JSON lines, like the application's, with
# card numbers masked.
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "core.logging.RedactSecretsFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(levelname)s %(name)s %(message)s",
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": "time",
        },
    },
    "handlers": {
        "error": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["redact"],
            "stream": "ext://sys.stdout",
        },
        "access": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["redact"],
            "stream": "ext://sys.stdout",
        },
    },
    "root": {"level": "INFO", "handlers": []},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["error"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": ["access"], "propagate": False},
    },
}

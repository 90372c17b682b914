"""Chooses the services the test run uses, before Django reads its settings.

PostgreSQL (``DATABASE_URL``, else the local server at 127.0.0.1:5432, user postgres) and
Redis (``REDIS_URL``, else 127.0.0.1:6379) are used when reachable. Without them the
suite still runs on SQLite and skips the tests marked ``postgres`` / ``redis`` — and
says so loudly at the end. With ``CI=true`` an unreachable service is a failure.
"""

import hashlib
import os
import shutil
import socket
import tempfile
from pathlib import Path
from urllib.parse import urlparse

import pytest

# One database name per checkout, so two clones tested at once on one server (a CI run
# beside a developer's) never share a test database.
_CHECKOUT = hashlib.sha256(str(Path(__file__).resolve().parent.parent).encode()).hexdigest()[:8]
LOCAL_POSTGRES = f"postgres://postgres@127.0.0.1:5432/cooprogreso_{_CHECKOUT}"
# Each pytest-xdist worker (gw0, gw1…) has its own Redis database, so one worker's broker
# tests never take another's tasks (13 and 14 are the benches'); its PostgreSQL test
# database gets the worker's suffix from pytest-django.
_WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
LOCAL_REDIS = f"redis://127.0.0.1:6379/{(15, 12, 11, 10, 9, 8, 7, 6)[_WORKER % 8]}"
CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or default_port), 2
        ):
            return True
    except OSError:
        return False


def _postgres_ok(url: str) -> bool:
    if not _reachable(url, 5432):
        return False
    import psycopg

    parsed = urlparse(url)
    try:
        with psycopg.connect(
            host=parsed.hostname,
            port=parsed.port or 5432,
            user=parsed.username or "postgres",
            password=parsed.password,
            dbname="postgres",
            connect_timeout=3,
        ):
            return True
    except psycopg.Error:
        return False


def _chromium() -> str | None:
    return (
        os.environ.get("CHROMIUM_PATH")
        or shutil.which("chromium")
        or shutil.which("chromium-browser")
    )


# TEST_DATABASE=sqlite runs a suite on the embedded default on purpose (make test runs
# the ledger's tests that way too, so both databases keep the same guarantees).
FORCED_SQLITE = os.environ.get("TEST_DATABASE", "").lower() == "sqlite"
POSTGRES_URL = os.environ.get("DATABASE_URL") or LOCAL_POSTGRES
POSTGRES = not FORCED_SQLITE and _postgres_ok(POSTGRES_URL)
REDIS_URL = os.environ.get("REDIS_URL") or LOCAL_REDIS
REDIS = _reachable(REDIS_URL, 6379)
CHROMIUM = _chromium()

if POSTGRES:
    os.environ["DATABASE_URL"] = POSTGRES_URL
else:
    os.environ.pop("DATABASE_URL", None)
os.environ["TEST_REDIS_URL"] = REDIS_URL
# The application under test runs in its production posture; these variables only
# replace what a test machine cannot have (TLS, a mail relay, an SMS gateway). The test
# database belongs to DATABASE_URL's role: tests that need the owner/application split
# make their own roles (tests/test_database_roles.py).
for name in ("REDIS_URL", "CELERY_BROKER_URL", "DJANGO_DEBUG", "DATABASE_OWNER_URL"):
    os.environ.pop(name, None)
TEST_ENVIRONMENT = {
    "SECRET_KEY": "test-" + "k" * 60,
    "SECURE_SSL_REDIRECT": "false",
    "STATIC_MANIFEST": "false",
    "CACHE_URL": "locmemcache://",
    "DB_CONN_MAX_AGE": "0",
    "SMS_BACKEND": "core.notifications.LocmemSmsBackend",
    "CELERY_TASK_ALWAYS_EAGER": "true",
    "COOPROGRESO_VAR_DIR": tempfile.mkdtemp(prefix="cooprogreso-test-"),
    "STATIC_ROOT": tempfile.mkdtemp(prefix="cooprogreso-static-"),
}
os.environ.update(TEST_ENVIRONMENT)


def application_environ(*, keep_database: bool = False, **overrides: str) -> dict[str, str]:
    """The environment for running the portal in a subprocess as a person would.

    Drops what this plugin set for the in-process tests (and the database choice unless
    ``keep_database``), then applies ``overrides``.
    """
    dropped = set(TEST_ENVIRONMENT) | {
        "TEST_REDIS_URL",
        "DJANGO_ALLOW_ASYNC_UNSAFE",
        "TEST_DATABASE",
    }
    if not keep_database:
        dropped.add("DATABASE_URL")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env["DJANGO_SETTINGS_MODULE"] = "cooprogreso.settings"
    env.update(overrides)
    return env


if POSTGRES:
    _no_postgres = None
elif FORCED_SQLITE:
    _no_postgres = "SQLite elegida con TEST_DATABASE=sqlite"
else:
    _no_postgres = f"PostgreSQL no disponible en {urlparse(POSTGRES_URL).netloc}"
MISSING = {
    "postgres": _no_postgres,
    "redis": None if REDIS else f"Redis no disponible en {urlparse(REDIS_URL).netloc}",
    "e2e": None if CHROMIUM else "Chromium no está instalado (paquete Debian chromium)",
}


def pytest_configure(config):
    chosen = {"postgres"} if FORCED_SQLITE else set()
    missing = [reason for name, reason in MISSING.items() if reason and name not in chosen]
    if CI and missing:
        raise pytest.UsageError("CI=true y faltan servicios: " + "; ".join(missing))


def pytest_collection_modifyitems(config, items):
    for item in items:
        for marker, reason in MISSING.items():
            if reason and item.get_closest_marker(marker):
                item.add_marker(pytest.mark.skip(reason=reason))


def pytest_report_header(config):
    database = f"PostgreSQL {urlparse(POSTGRES_URL).netloc}" if POSTGRES else "SQLite (embebida)"
    return [
        f"base de datos: {database}",
        f"redis: {'sí' if REDIS else 'no'}",
        f"chromium: {CHROMIUM or 'no'}",
    ]


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    skipped = terminalreporter.stats.get("skipped", [])
    lost = {}
    chosen = {"postgres"} if FORCED_SQLITE else set()
    for report in skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        for missing in (r for name, r in MISSING.items() if r and name not in chosen):
            if missing in reason:
                lost[missing] = lost.get(missing, 0) + 1
    if lost:
        terminalreporter.write_sep(
            "!", "PRUEBAS OMITIDAS POR FALTA DE SERVICIOS", red=True, bold=True
        )
        for reason, count in lost.items():
            terminalreporter.write_line(
                f"  {count} pruebas omitidas: {reason}", red=True, bold=True
            )
        terminalreporter.write_sep(
            "!", "esta ejecución NO cubre todo el portal", red=True, bold=True
        )

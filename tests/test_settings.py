"""Settings read the environment: the embedded default, PostgreSQL, production posture."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from tests.plugin import application_environ

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import json, django
from django.conf import settings
django.setup()
from django.db import connection
db = settings.DATABASES["default"]
out = {
    "engine": db["ENGINE"],
    "options": {k: str(v) for k, v in db.get("OPTIONS", {}).items()},
    "broker": settings.CELERY_BROKER_URL,
    "cache": settings.CACHES["default"]["BACKEND"],
    "debug": settings.DEBUG,
    "tz": settings.TIME_ZONE,
    "lang": settings.LANGUAGE_CODE,
    "secure_cookies": settings.SESSION_COOKIE_SECURE,
    "cookies": {
        name: {
            "name": getattr(settings, name + "_NAME"),
            "secure": getattr(settings, name + "_SECURE"),
            "path": getattr(settings, name + "_PATH"),
            "domain": getattr(settings, name + "_DOMAIN"),
        }
        for name in ("SESSION_COOKIE", "CSRF_COOKIE")
    },
}
if connection.vendor == "sqlite":
    with connection.cursor() as c:
        c.execute("PRAGMA journal_mode")
        out["journal_mode"] = c.fetchone()[0]
print(json.dumps(out))
"""


def settings_in(env: dict, tmp_path) -> dict:
    clean = application_environ(COOPROGRESO_VAR_DIR=str(tmp_path), **env)
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if result.returncode != 0:
        return {"error": result.stderr}
    return json.loads(result.stdout)


def test_the_embedded_default_is_sqlite_in_wal_mode_with_a_serverless_broker(tmp_path):
    out = settings_in({"DJANGO_DEBUG": "true"}, tmp_path)
    assert out["engine"] == "core.db.sqlite3"
    assert out["options"]["transaction_mode"] == "IMMEDIATE"
    assert out["journal_mode"] == "wal"
    assert out["broker"] == "filesystem://"
    assert out["cache"].endswith("FileBasedCache")
    assert (tmp_path / "broker" / "queue").is_dir()


def test_database_url_and_redis_url_select_postgresql_and_redis(tmp_path):
    out = settings_in(
        {
            "DJANGO_DEBUG": "true",
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/cooprogreso",
            "REDIS_URL": "redis://127.0.0.1:6379/0",
        },
        tmp_path,
    )
    assert out["engine"] == "django.db.backends.postgresql"
    # Statements bound and prepared by the server: planned once per connection.
    assert out["options"] == {"server_side_binding": "True", "prepare_threshold": "5"}
    assert out["broker"] == "redis://127.0.0.1:6379/0"
    assert out["cache"] == "core.cache.RedisCache"  # Django's, keeping its client


def test_prepared_statements_can_be_turned_off_for_a_pooler(tmp_path):
    out = settings_in(
        {
            "DJANGO_DEBUG": "true",
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/cooprogreso",
            "DB_PREPARED_STATEMENTS": "false",
        },
        tmp_path,
    )
    assert out["options"] == {}


def test_production_is_the_default_posture(tmp_path):
    out = settings_in({"SECRET_KEY": "x" * 60}, tmp_path)
    assert out["debug"] is False
    assert out["secure_cookies"] is True
    assert out["tz"] == "America/Guayaquil"
    assert out["lang"] == "es"


def test_a_missing_secret_key_outside_development_is_an_error(tmp_path):
    out = settings_in({}, tmp_path)
    assert "SECRET_KEY no está configurada" in out["error"]


def test_development_makes_and_keeps_its_own_secret_key(tmp_path):
    settings_in({"DJANGO_DEBUG": "true"}, tmp_path)
    key_file = tmp_path / "dev-secret-key"
    first = key_file.read_text()
    settings_in({"DJANGO_DEBUG": "true"}, tmp_path)
    assert key_file.read_text() == first
    assert oct(key_file.stat().st_mode)[-3:] == "600"


@pytest.mark.postgres
def test_the_suite_runs_on_postgresql_when_it_is_reachable(db):
    assert connection.vendor == "postgresql"
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True
    assert settings.DATABASES["default"]["OPTIONS"]["server_side_binding"] is True


def test_a_sqlite_database_url_gets_the_same_write_lock_settings(tmp_path):
    out = settings_in(
        {"DJANGO_DEBUG": "true", "DATABASE_URL": f"sqlite:///{tmp_path}/other.sqlite3"}, tmp_path
    )
    assert out["engine"] == "core.db.sqlite3"
    assert out["options"]["transaction_mode"] == "IMMEDIATE"
    assert out["journal_mode"] == "wal"


def test_production_cookies_carry_the_host_prefix(tmp_path):
    cookies = settings_in({"SECRET_KEY": "x" * 60}, tmp_path)["cookies"]
    assert cookies["SESSION_COOKIE"]["name"] == "__Host-sessionid"
    assert cookies["CSRF_COOKIE"]["name"] == "__Host-csrftoken"
    for cookie in cookies.values():  # what browsers demand of a __Host- cookie
        assert (cookie["secure"], cookie["path"], cookie["domain"]) == (True, "/", None)


@pytest.mark.parametrize(
    "env",
    [{"DJANGO_DEBUG": "true"}, {"SECRET_KEY": "x" * 60, "SECURE_COOKIES": "false"}],
    ids=["development", "plain-http"],
)
def test_cookies_over_plain_http_keep_the_plain_names(tmp_path, env):
    cookies = settings_in(env, tmp_path)["cookies"]
    assert cookies["SESSION_COOKIE"] == {
        "name": "sessionid",
        "secure": False,
        "path": "/",
        "domain": None,
    }
    assert cookies["CSRF_COOKIE"]["name"] == "csrftoken"

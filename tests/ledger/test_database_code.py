"""The functions and triggers in the database are versioned like the code, and a check
says when a database runs other ones (docs/ledger.md, "Versions of the database code")."""

import ast
import dataclasses
import hashlib
import importlib
import json
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from urllib.parse import quote, urlparse

import pytest
from django.core.checks import Tags, run_checks
from django.core.management import CommandError, call_command
from django.core.management.base import SystemCheckError
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from ledger import sql
from ledger.checks import database_code_messages
from ledger.dbcode import Function
from ledger.tasks import check_ledger
from tests.plugin import POSTGRES_URL, application_environ
from tests.test_database_roles import (
    OWNER_PASSWORD,
    ROLE_PASSWORD,
    manage,
    psql_roles_script,
    superuser,
    unique,
)

ROOT = Path(__file__).resolve().parents[2]
FROZEN = ("POSTGRES_FORWARD", "POSTGRES_REVERSE", "SQLITE_FORWARD", "SQLITE_REVERSE")
# The digest of every frozen migration's SQL. A frozen version never changes: a change to
# a function or trigger is a new migration, whose digest is added here.
PINNED = {
    "accounts.0003_catalogs_and_audit_guard": (
        "683a36f8ba671276ff13e05be2d79eaf4bc604bcdbc56e83c0a8eecf2c584b81"
    ),
    "ledger.0002_database_guarantees": (
        "2a9000021e628fdb93871e1ebb88611a87c49f6021791b85231c2953c8788dce"
    ),
}
CREATES = re.compile(r"CREATE\s+(?:OR\s+REPLACE\s+)?(FUNCTION|TRIGGER)\s+(\w+)")
LIVE_MODULES = ("ledger.sql", "ledger.dbcode", "cooprogreso.db", "core.db")

sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="triggers de SQLite")


def migrations_in_order() -> list[tuple[str, object]]:
    """Every migration module of the project, in the order ``migrate`` applies them."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    order: list[tuple[str, str]] = []
    for leaf in sorted(loader.graph.leaf_nodes()):
        order += [key for key in loader.graph.forwards_plan(leaf) if key not in order]
    return [
        (f"{app}.{name}", importlib.import_module(type(loader.graph.nodes[app, name]).__module__))
        for app, name in order
    ]


def kind(obj) -> str:
    return "FUNCTION" if isinstance(obj, Function) else "TRIGGER"


# --- frozen versions --------------------------------------------------------------------


@pytest.mark.parametrize(
    "vendor, statements", [("postgresql", "POSTGRES_FORWARD"), ("sqlite", "SQLITE_FORWARD")]
)
def test_the_code_declares_the_latest_frozen_version_of_each_function_and_trigger(
    vendor, statements
):
    versions = defaultdict(list)
    for label, module in migrations_in_order():
        for statement in getattr(module, statements, []):
            if created := CREATES.search(statement):
                versions[created[1], created[2]].append((label, statement))
    declared = sql.database_code(vendor)
    assert {(kind(o), o.name) for o in declared} == set(versions), (
        "every function and trigger a migration installs is declared in ledger/sql.py"
    )
    for obj in declared:
        label, latest = versions[kind(obj), obj.name][-1]
        assert latest == obj.sql, (
            f"{obj.name} in the code is not its latest frozen version ({label}): a change is "
            "a new migration carrying the new text (docs/ledger.md)"
        )
        assert (obj.migration, obj.sql) in versions[kind(obj), obj.name], (
            f"{obj.name}: {obj.migration} does not carry the code's text"
        )


def test_a_frozen_version_never_changes():
    digests = {
        label: hashlib.sha256(
            json.dumps([getattr(module, name, []) for name in FROZEN]).encode()
        ).hexdigest()
        for label, module in migrations_in_order()
        if any(hasattr(module, name) for name in FROZEN)
    }
    assert digests == PINNED, (
        "a frozen migration's SQL changed, or a new one is not pinned: never edit a frozen "
        "version; pin a new migration's digest here"
    )


def test_no_migration_imports_code_that_can_change_what_it_installs():
    offenders = []
    for path in sorted(ROOT.glob("*/migrations/*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            offenders += [
                f"{path.relative_to(ROOT)}: {name}"
                for name in names
                if name.startswith(LIVE_MODULES)
            ]
    assert offenders == []


# --- the check --------------------------------------------------------------------------


def test_a_migrated_database_runs_the_codes_functions_and_triggers(db, capsys):
    assert database_code_messages(connection) == []
    call_command("check", "--database", "default")
    assert "no issues" in capsys.readouterr().out


def test_manage_py_check_without_a_database_does_not_read_it():
    assert [m for m in run_checks(tags=[Tags.database]) if m.id.startswith("ledger.")] == []


OLDER_LEDGER_POST = sql.LEDGER_POST.sql.replace(
    "SELECT greatest(p_created_at, max(a.last_posted_at)) INTO v_now",
    "SELECT p_created_at INTO v_now",
)


@pytest.mark.postgres
def test_the_check_fails_on_a_database_with_an_older_ledger_post(db, capsys):
    assert sql.LEDGER_POST.sql != OLDER_LEDGER_POST
    with connection.cursor() as cursor:
        cursor.execute(OLDER_LEDGER_POST)
    with pytest.raises(SystemCheckError, match=r"ledger\.E001.*la función ledger_post"):
        call_command("check", "--database", "default")
    with connection.cursor() as cursor:
        cursor.execute(sql.LEDGER_POST.sql)
    call_command("check", "--database", "default")
    assert "no issues" in capsys.readouterr().out


HAND_CHANGES = {
    "postgresql": [
        pytest.param(
            [OLDER_LEDGER_POST],
            "la función ledger_post difiere del código: su texto es otro",
            id="older-ledger-post",
        ),
        pytest.param(
            ["CREATE FUNCTION ledger_post(p_key text) RETURNS bigint LANGUAGE sql AS 'SELECT 1'"],
            "la función ledger_post difiere del código: hay 2 funciones con ese nombre",
            id="overload",
        ),
        pytest.param(
            ["ALTER FUNCTION append_only_guard() SECURITY DEFINER"],
            "la función append_only_guard difiere del código: es SECURITY DEFINER",
            id="security-definer",
        ),
        pytest.param(
            ["ALTER FUNCTION ledger_journal_balanced() SET search_path = pg_temp"],
            "la función ledger_journal_balanced difiere del código: tiene opciones SET",
            id="set-option",
        ),
        pytest.param(
            ["ALTER TABLE ledger_posting DISABLE TRIGGER ledger_posting_append_only"],
            "el trigger ledger_posting_append_only (tabla ledger_posting) difiere del código: "
            "está deshabilitado",
            id="disabled",
        ),
        pytest.param(
            [
                "DROP TRIGGER accounts_audit_event_append_only ON accounts_audit_event",
                "CREATE TRIGGER accounts_audit_event_append_only BEFORE DELETE ON "
                "accounts_audit_event FOR EACH ROW EXECUTE FUNCTION append_only_guard()",
            ],
            "el trigger accounts_audit_event_append_only (tabla accounts_audit_event) difiere "
            "del código: se dispara en otros casos o llama a otra función",
            id="fewer-events",
        ),
        pytest.param(
            ["DROP TRIGGER ledger_journal_balanced ON ledger_journal"],
            "Falta en la base de datos el trigger ledger_journal_balanced (tabla ledger_journal)",
            id="dropped",
        ),
    ],
    "sqlite": [
        pytest.param(
            [
                "DROP TRIGGER ledger_journal_balanced",
                "CREATE TRIGGER ledger_journal_balanced AFTER INSERT ON ledger_journal "
                "WHEN (SELECT count(*) FROM ledger_posting WHERE journal_id = NEW.id) < 1 "
                "BEGIN SELECT RAISE(ABORT, 'ledger: journal is not balanced'); END",
            ],
            "el trigger ledger_journal_balanced difiere del código: su texto es otro",
            id="other-text",
        ),
        pytest.param(
            ["DROP TRIGGER accounts_audit_event_no_update"],
            "Falta en la base de datos el trigger accounts_audit_event_no_update",
            id="dropped",
        ),
    ],
}


def hand_change(*statements: str) -> None:
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


@pytest.mark.parametrize("statements, described", HAND_CHANGES[connection.vendor])
def test_a_function_or_trigger_changed_by_hand_fails_the_check_until_restored(
    db, statements, described, capsys
):
    hand_change(*statements)

    messages = database_code_messages(connection)
    assert [m.id for m in messages] == ["ledger.E001"]
    assert described in messages[0].msg
    assert "ledger_sql --restore" in messages[0].hint
    with pytest.raises(CommandError):
        call_command("ledger_check")
    assert not check_ledger()
    with pytest.raises(CommandError, match="difiere del código"):
        call_command("ledger_sql")

    call_command("ledger_sql", "--restore")
    assert "Reinstalado:" in capsys.readouterr().out
    assert database_code_messages(connection) == []
    call_command("ledger_check")


@sqlite_only
def test_a_flush_of_the_sqlite_database_puts_back_the_codes_triggers(transactional_db):
    call_command("flush", "--noinput")
    assert database_code_messages(connection) == []


def test_an_older_version_behind_a_pending_migration_asks_to_migrate(db, monkeypatch):
    name = "LEDGER_POST" if connection.vendor == "postgresql" else "SQLITE_JOURNAL_BALANCED"
    current = getattr(sql, name)
    newer = current.sql.replace("BEGIN", "BEGIN -- the next version", 1)
    monkeypatch.setattr(
        sql, name, dataclasses.replace(current, sql=newer, migration="ledger.0099_next")
    )

    messages = database_code_messages(connection)
    assert [m.id for m in messages] == ["ledger.W001"]
    assert current.name in messages[0].msg
    assert "ledger.0099_next" in messages[0].hint
    assert "python manage.py migrate" in messages[0].hint
    with pytest.raises(CommandError, match="migraciones pendientes"):
        call_command("ledger_sql", "--restore")


def test_a_function_not_yet_installed_by_a_pending_migration_is_not_reported(db, monkeypatch):
    if connection.vendor == "postgresql":
        name, drop = "LEDGER_POST", f"DROP FUNCTION {sql.LEDGER_POST.signature}"
    else:
        name, drop = "SQLITE_JOURNAL_BALANCED", "DROP TRIGGER ledger_journal_balanced"
    monkeypatch.setattr(
        sql, name, dataclasses.replace(getattr(sql, name), migration="ledger.0099_next")
    )
    hand_change(drop)
    assert database_code_messages(connection) == []


def test_migrate_on_a_fresh_database_stays_quiet_and_ends_with_the_codes_sql(tmp_path):
    env = application_environ(DJANGO_DEBUG="true", COOPROGRESO_VAR_DIR=str(tmp_path))
    for command in (["migrate", "--noinput"], ["check", "--database", "default"]):
        result = subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "WARNINGS" not in result.stdout + result.stderr
        assert not re.search(r"ledger\.[EW]\d", result.stdout + result.stderr)


@pytest.mark.postgres
def test_the_owner_restores_what_the_application_role_may_not_change(tmp_path):
    database, owner, app = unique("cp_sqlver"), unique("cp_owner"), unique("cp_app")
    server = urlparse(POSTGRES_URL)
    where = f"{server.hostname}:{server.port or 5432}/{database}"
    portal = {
        "DATABASE_URL": f"postgres://{app}:{quote(ROLE_PASSWORD)}@{where}",
        "COOPROGRESO_VAR_DIR": str(tmp_path),
    }
    owner_url = f"postgres://{owner}:{quote(OWNER_PASSWORD, safe='')}@{where}"
    with superuser() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{database}"')
    try:
        psql_roles_script(database=database, owner=owner, app=app)
        migrated = manage("migrate", "--noinput", DATABASE_OWNER_URL=owner_url, **portal)
        assert migrated.returncode == 0, migrated.stdout + migrated.stderr
        assert manage("check", "--database", "default", **portal).returncode == 0

        with superuser(database) as admin:
            admin.execute(OLDER_LEDGER_POST)
        checked = manage("check", "--database", "default", **portal)
        assert checked.returncode != 0
        assert "(ledger.E001) En la base de datos, la función ledger_post" in checked.stderr

        refused = manage("ledger_sql", "--restore", **portal)
        assert refused.returncode != 0
        assert "como dueño de las tablas" in refused.stderr

        restored = manage("ledger_sql", "--restore", DATABASE_OWNER_URL=owner_url, **portal)
        assert restored.returncode == 0, restored.stdout + restored.stderr
        assert "Reinstalado: la función ledger_post." in restored.stdout
        assert manage("check", "--database", "default", **portal).returncode == 0
    finally:
        with superuser() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            admin.execute(f'DROP ROLE IF EXISTS "{app}"')
            admin.execute(f'DROP ROLE IF EXISTS "{owner}"')

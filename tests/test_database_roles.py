"""Least privilege in PostgreSQL: the portal's role reads and writes rows, but may not
truncate, update or delete the ledger's history, nor alter a table; the owner migrates.

Each test that needs the application role creates one of its own on the local server
(named after the checkout and the process, so parallel runs never share it) and drops it.
"""

import os
import shutil
import subprocess
import sys
from decimal import Decimal
from io import StringIO
from pathlib import Path
from urllib.parse import quote, urlparse

import psycopg
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import ProgrammingError, connection
from django.test import override_settings

from core.db.append_only import GUARDED_TABLES
from core.db.roles import (
    LIMITED,
    ROW_PRIVILEGES,
    RoleError,
    app_role_privileges,
    connected_as,
    owner_credentials,
)
from ledger.audit import ledger_check
from ledger.books import books_open
from ledger.models import Account, Hold, Journal, Kind, Posting
from ledger.services import (
    Line,
    account_open,
    hold_place,
    hold_release,
    journal_post,
    journal_reverse,
)
from products.catalog import product_types_load
from tests.auth import last_code, op_id, sign_in
from tests.factories import PASSWORD
from tests.plugin import _CHECKOUT, POSTGRES_URL, application_environ
from tests.transfers.conftest import open_funded
from transfers.catalog import transfer_catalog_load
from transfers.models import Transfer

ROOT = Path(__file__).resolve().parent.parent
ROLE_PASSWORD = "app-role-test"
OWNER_PASSWORD = "the owner's secret"
PERMISSION_DENIED = "42501"

HISTORY = ("ledger_journal", "ledger_posting", "accounts_audit_event")
NEVER_DELETED = ("ledger_account", "ledger_hold")


def unique(prefix: str) -> str:
    return f"{prefix}_{_CHECKOUT}_{os.getpid()}"


def test_every_append_only_table_is_insert_only_for_the_application_role():
    assert set(GUARDED_TABLES) == set(HISTORY)
    for table in GUARDED_TABLES:
        assert LIMITED[table] == ("SELECT", "INSERT")
    for table in NEVER_DELETED:
        assert LIMITED[table] == ("SELECT", "INSERT", "UPDATE")


@pytest.mark.django_db
def test_db_roles_without_an_owner_url_or_a_role_says_what_to_set():
    with pytest.raises(CommandError, match="DATABASE_OWNER_URL"):
        call_command("db_roles")


# --- on PostgreSQL, as the application role -------------------------------------------------


def refused(sql: str) -> str:
    """Runs ``sql`` on the current connection and returns the SQLSTATE it was refused with."""
    with pytest.raises(ProgrammingError) as caught, connection.cursor() as cursor:
        cursor.execute(sql)
    return caught.value.__cause__.sqlstate


@pytest.fixture
def app_role(transactional_db):
    """A login role with the application's grants on the test database, dropped after."""
    role = unique("cp_app")
    with connection.cursor() as cursor:
        cursor.execute(f'DROP ROLE IF EXISTS "{role}"')
        cursor.execute(f"CREATE ROLE \"{role}\" LOGIN PASSWORD '{ROLE_PASSWORD}'")
    try:
        call_command("db_roles", role=role, stdout=StringIO())
        yield role
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP OWNED BY "{role}"')
            cursor.execute(f'DROP ROLE "{role}"')


def as_app(role: str):
    return connected_as(user=role, password=ROLE_PASSWORD)


@pytest.fixture
def posted(transactional_db):
    """A deposit already in the books: rows in every ledger table."""
    cash = account_open(
        code="ROLES-CASH", name="Caja", kind=Account.Kind.ASSET, normal_side="D", currency="USD"
    )
    savings = account_open(
        code="ROLES-AHO",
        name="Ahorros",
        kind=Account.Kind.LIABILITY,
        normal_side="C",
        currency="USD",
        forbid_negative=True,
    )
    journal_post(
        key="roles-deposit",
        kind=Kind.DEPOSIT,
        lines=[Line.debit(cash, Decimal("50"), "CAJA"), Line.credit(savings, Decimal("50"), "DEP")],
    )
    hold_place(account=savings, amount=Decimal("1"), key="roles-hold", description="RETENCIÓN")
    return cash, savings


@pytest.mark.postgres
@pytest.mark.parametrize(
    "sql",
    [
        *(f"TRUNCATE {table}" for table in (*HISTORY, *NEVER_DELETED)),
        *(f"DELETE FROM {table}" for table in (*HISTORY, *NEVER_DELETED)),  # noqa: S608
        "UPDATE ledger_journal SET motive = 'cambiado'",
        "UPDATE ledger_posting SET amount_minor = amount_minor * 2",
        "UPDATE accounts_audit_event SET event = event",
        "DELETE FROM django_migrations",
    ],
)
def test_the_application_role_may_not_truncate_update_or_delete_the_history(app_role, posted, sql):
    with as_app(app_role):
        assert refused(sql) == PERMISSION_DENIED
    assert Posting.objects.count() == 2 and Journal.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.parametrize(
    "sql",
    [
        "ALTER TABLE ledger_posting DISABLE TRIGGER ALL",
        "DROP TRIGGER ledger_posting_append_only ON ledger_posting",
        "DROP TABLE ledger_journal",
        "CREATE TABLE ledger_shadow (id bigint)",
        "CREATE TRIGGER t BEFORE INSERT ON ledger_hold "
        "FOR EACH ROW EXECUTE FUNCTION append_only_guard()",
        "CREATE SCHEMA shadow",
        "SELECT setval('ledger_journal_id_seq', 1)",
    ],
)
def test_the_application_role_changes_no_table(app_role, posted, sql):
    with as_app(app_role):
        assert refused(sql) == PERMISSION_DENIED


@pytest.mark.postgres
def test_the_ledger_posts_holds_and_reverses_as_the_application_role(app_role, posted):
    cash, savings = posted
    with as_app(app_role):
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            assert cursor.fetchone()[0] == app_role
        other = account_open(
            code="ROLES-AHO-2", name="Otra", kind="liability", normal_side="C", currency="USD"
        )
        done = journal_post(
            key="roles-transfer",
            kind=Kind.TRANSFER_INTERNAL,
            lines=[
                Line.debit(savings, Decimal("10"), "ND"),
                Line.credit(other, Decimal("10"), "NC"),
            ],
        )
        journal_reverse(journal=Journal.objects.get(pk=done.journal_id), motive="error")
        hold = hold_place(account=savings, amount=Decimal("5"), key="r-h2", description="R")
        hold_release(hold=hold)
        journal_post(
            key="roles-capture",
            kind=Kind.WITHDRAWAL,
            lines=[
                Line.debit(savings, Decimal("1"), "RETIRO"),
                Line.credit(cash, Decimal("1"), "CAJA"),
            ],
            capture_holds=[Hold.objects.get(idempotency_key="roles-hold")],
        )
        assert ledger_check().ok
    savings.refresh_from_db()
    assert savings.balance == Decimal("49") and savings.held == 0


@pytest.fixture
def accounts_to_transfer(transactional_db, member):
    books_open(currency="USD")
    product_types_load(cooperative_slug="cooprogreso")
    transfer_catalog_load(cooperative_slug="cooprogreso")
    return open_funded(member), open_funded(member, code="CER", amount="0")


@pytest.mark.postgres
def test_a_member_signs_in_and_transfers_as_the_application_role(
    app_role, client, accounts_to_transfer
):
    savings, certificates = accounts_to_transfer
    url = "/transferencias/mis-cuentas/"
    with as_app(app_role):
        assert sign_in(client, "mariaperez", PASSWORD).status_code == 200
        step = client.post(
            url,
            {
                "step": "form",
                "origen": savings.public_id,
                "destino": certificates.public_id,
                "monto": "25.00",
            },
        )
        done = client.post(url, {"step": "confirm", "op": op_id(step), "answer": last_code()})
        assert "¡Transferencia exitosa!" in done.content.decode()
        assert client.post("/salir/", follow=True).status_code == 200
    assert Transfer.objects.get().amount == Decimal("25.00")
    certificates.ledger_account.refresh_from_db()
    assert certificates.ledger_account.balance == Decimal("25.00")


@pytest.mark.postgres
def test_a_table_a_later_migration_creates_gets_the_application_grants(app_role):
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE roles_later (id bigint GENERATED BY DEFAULT AS IDENTITY, n int)"
        )
    try:
        with as_app(app_role), connection.cursor() as cursor:
            cursor.execute("INSERT INTO roles_later (n) VALUES (1), (2)")
            cursor.execute("UPDATE roles_later SET n = n + 1")
            cursor.execute("DELETE FROM roles_later WHERE n = 3")
            cursor.execute("SELECT n FROM roles_later")
            assert cursor.fetchall() == [(2,)]
            assert refused("TRUNCATE roles_later") == PERMISSION_DENIED
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE roles_later")


@pytest.mark.postgres
def test_granting_again_changes_nothing_and_lists_the_limited_tables(app_role):
    before = app_role_privileges(role=app_role)
    out = StringIO()
    call_command("db_roles", role=app_role, stdout=out)
    assert app_role_privileges(role=app_role) == before
    assert "  ledger_journal: SELECT, INSERT\n" in out.getvalue()
    assert before["ledger_posting"] == ("SELECT", "INSERT")
    assert before["ledger_account"] == ("SELECT", "INSERT", "UPDATE")
    assert before["transfers_transfer"] == ROW_PRIVILEGES


@pytest.mark.postgres
def test_it_refuses_when_the_role_could_still_change_the_history(app_role):
    with connection.cursor() as cursor:
        cursor.execute("GRANT UPDATE ON ledger_posting TO PUBLIC")
    try:
        with pytest.raises(CommandError, match="ledger_posting: SELECT, INSERT, UPDATE"):
            call_command("db_roles", role=app_role)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("REVOKE UPDATE ON ledger_posting FROM PUBLIC")


@pytest.mark.postgres
@pytest.mark.django_db
def test_it_refuses_to_grant_to_the_owner_itself():
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        owner = cursor.fetchone()[0]
    with pytest.raises(CommandError, match="es el dueño de las tablas"):
        call_command("db_roles", role=owner)


@pytest.mark.postgres
def test_the_owner_url_must_name_the_same_database():
    current = connection.settings_dict
    same = {**current, "USER": "dueño", "PASSWORD": "s"}
    with override_settings(DATABASE_OWNER=same):
        assert owner_credentials() == ("dueño", "s")
    other = {**same, "NAME": "otra"}
    with override_settings(DATABASE_OWNER=other), pytest.raises(RoleError, match="NAME"):
        owner_credentials()


# --- the compose story on the local server: init script, migrate as owner, app role ------


def psql_roles_script(*, database: str, owner: str, app: str) -> None:
    """deploy/postgres/roles.sql run as the postgres image runs its init scripts."""
    assert shutil.which("psql"), "the PostgreSQL client psql runs deploy/postgres/roles.sql"
    server = urlparse(POSTGRES_URL)
    env = {
        **os.environ,
        "PGHOST": server.hostname or "127.0.0.1",
        "PGPORT": str(server.port or 5432),
        "PGUSER": server.username or "postgres",
        "PGPASSWORD": server.password or "",
        "COOPROGRESO_OWNER": owner,
        "COOPROGRESO_APP": app,
        "COOPROGRESO_OWNER_PASSWORD": OWNER_PASSWORD,
        "COOPROGRESO_APP_PASSWORD": ROLE_PASSWORD,
    }
    result = subprocess.run(
        [
            "psql",
            "-v",
            "ON_ERROR_STOP=1",
            "--no-password",
            "--no-psqlrc",
            "--dbname",
            database,
            "-f",
            str(ROOT / "deploy" / "postgres" / "roles.sql"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def superuser(database: str = "postgres") -> psycopg.Connection:
    server = urlparse(POSTGRES_URL)
    return psycopg.connect(
        host=server.hostname,
        port=server.port or 5432,
        user=server.username or "postgres",
        password=server.password,
        dbname=database,
        autocommit=True,
    )


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=application_environ(DJANGO_DEBUG="true", **env),
        capture_output=True,
        text=True,
        timeout=240,
    )


@pytest.mark.postgres
def test_the_init_script_and_migrate_leave_the_portal_with_least_privilege(tmp_path):
    database, owner, app = unique("cooprogreso_roles"), unique("cp_owner"), unique("cp_app")
    server = urlparse(POSTGRES_URL)
    where = f"{server.hostname}:{server.port or 5432}/{database}"
    app_url = f"postgres://{app}:{quote(ROLE_PASSWORD)}@{where}"
    owner_url = f"postgres://{owner}:{quote(OWNER_PASSWORD, safe='')}@{where}"
    with superuser() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{database}"')
    try:
        psql_roles_script(database=database, owner=owner, app=app)
        psql_roles_script(database=database, owner=owner, app=app)  # again: no harm

        migrated = manage(
            "migrate",
            "--noinput",
            DATABASE_URL=app_url,
            DATABASE_OWNER_URL=owner_url,
            COOPROGRESO_VAR_DIR=str(tmp_path),
        )
        assert migrated.returncode == 0, migrated.stdout + migrated.stderr
        assert f"Rol {app}: sin DDL" in migrated.stdout

        # compose's prepare loads the demo as the application role.
        demo = manage(
            "demo_load",
            DATABASE_URL=app_url,
            COOPROGRESO_VAR_DIR=str(tmp_path),
        )
        assert demo.returncode == 0, demo.stdout + demo.stderr

        with superuser(database) as admin:
            strays = admin.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tableowner <> %s",
                [owner],
            ).fetchall()
            assert strays == []
        with psycopg.connect(app_url, autocommit=True) as portal:
            assert portal.execute("SELECT count(*) FROM ledger_posting").fetchone()[0] > 0
            for sql in ("TRUNCATE ledger_posting", "UPDATE ledger_journal SET motive = ''"):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    portal.execute(sql)
    finally:
        with superuser() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            admin.execute(f'DROP ROLE IF EXISTS "{app}"')
            admin.execute(f'DROP ROLE IF EXISTS "{owner}"')

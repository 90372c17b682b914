"""Two PostgreSQL roles: the tables' owner, which migrates, and the application role the
portal connects as, which reads and writes rows but alters no table and rewrites no history.

``app_role_grant`` (run as the owner by ``migrate`` and ``db_roles``) gives the application
role SELECT, INSERT, UPDATE and DELETE on every table and USAGE on the sequences, less than
that on the tables in ``LIMITED``, and the same by default on tables later migrations
create; then it checks what the role can actually do and refuses to report success
otherwise. Below the append-only triggers, this is the second layer: a role that may not
UPDATE, DELETE or TRUNCATE the ledger cannot do it by mistake, and a role that owns no
table cannot drop the triggers either (docs/security.md).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from core.db.append_only import GUARDED_TABLES

ROW_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE")
# Privileges the application role never holds on any table.
TABLE_PRIVILEGES = (*ROW_PRIVILEGES, "TRUNCATE", "REFERENCES", "TRIGGER")

LIMITED: dict[str, tuple[str, ...]] = {
    # History is written once: journals, postings and the security log.
    **{table: ("SELECT", "INSERT") for table in GUARDED_TABLES},
    # Balances, held amounts and hold statuses change in place; no row is ever deleted.
    "ledger_account": ("SELECT", "INSERT", "UPDATE"),
    "ledger_hold": ("SELECT", "INSERT", "UPDATE"),
    # Which migrations ran is the owner's record.
    "django_migrations": ("SELECT",),
}


class RoleError(Exception):
    """The roles are not set up as the portal needs; the message says what to do."""


@dataclass(frozen=True)
class Granted:
    role: str
    owner: str
    schema: str
    tables: dict[str, tuple[str, ...]]

    def lines(self) -> list[str]:
        limited = [f"  {t}: {', '.join(p)}" for t, p in sorted(self.tables.items()) if t in LIMITED]
        full = len(self.tables) - len(limited)
        return [
            f"Rol {self.role}: sin DDL ni tablas propias (el dueño es {self.owner}).",
            f"  {full} tablas de {self.schema}: {', '.join(ROW_PRIVILEGES)}.",
            "Limitadas:",
            *limited,
        ]


def quote(name: str) -> str:
    """A PostgreSQL identifier, quoted."""
    return '"' + name.replace('"', '""') + '"'


def owner_credentials(using: str = DEFAULT_DB_ALIAS) -> tuple[str, str] | None:
    """The owner's user and password from ``DATABASE_OWNER_URL``, or None when it is unset.

    The owner URL must name the same server and database as ``DATABASE_URL``: only the
    role changes.
    """
    owner = settings.DATABASE_OWNER
    if not owner:
        return None
    current = connections[using].settings_dict
    if current["ENGINE"] != "django.db.backends.postgresql":
        raise RoleError("DATABASE_OWNER_URL solo aplica con PostgreSQL en DATABASE_URL.")
    where = {"HOST": "", "PORT": 5432, "NAME": ""}
    differs = [
        key
        for key, default in where.items()
        if str(owner.get(key) or default) != str(current.get(key) or default)
    ]
    if differs:
        raise RoleError(
            "DATABASE_OWNER_URL debe apuntar al mismo servidor y base que DATABASE_URL "
            f"(difiere: {', '.join(differs)})."
        )
    return owner["USER"], owner.get("PASSWORD") or ""


@contextmanager
def connected_as(*, user: str, password: str = "", using: str = DEFAULT_DB_ALIAS) -> Iterator:
    """Runs the block on ``using``'s database as another role, on a fresh connection."""
    connection = connections[using]
    saved = connection.settings_dict["USER"], connection.settings_dict["PASSWORD"]
    connection.close()
    connection.settings_dict.update(USER=user, PASSWORD=password)
    try:
        yield connection
    finally:
        connection.close()
        connection.settings_dict.update(USER=saved[0], PASSWORD=saved[1])


def app_role_grant(*, role: str, using: str = DEFAULT_DB_ALIAS) -> Granted:
    """Gives ``role`` what the portal needs on the current schema, as its owner."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        raise RoleError("Los roles de base de datos son de PostgreSQL; SQLite no los tiene.")
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute("SELECT current_user, current_schema()")
        owner, schema = cursor.fetchone()
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        if cursor.fetchone() is None:
            raise RoleError(
                f"El rol {role} no existe: créalo antes (deploy/postgres/roles.sql lo hace)."
            )
        if role == owner:
            raise RoleError(
                f"El rol {role} es el dueño de las tablas: la aplicación debe conectarse con "
                "otro rol (DATABASE_URL) y el dueño solo migrar (DATABASE_OWNER_URL)."
            )
        cursor.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s "
            "AND c.relkind IN ('r', 'p', 'v', 'm') ORDER BY c.relname",
            [schema],
        )
        tables = [name for (name,) in cursor.fetchall()]
        r, s = quote(role), quote(schema)
        statements = [
            f"GRANT USAGE ON SCHEMA {s} TO {r}",
            f"REVOKE CREATE ON SCHEMA {s} FROM {r}",
            f"REVOKE ALL ON ALL TABLES IN SCHEMA {s} FROM {r}",
            f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {s} FROM {r}",
            f"GRANT {', '.join(ROW_PRIVILEGES)} ON ALL TABLES IN SCHEMA {s} TO {r}",
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {s} TO {r}",
            # Tables and sequences a later migration creates (as this owner) get the same.
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT {', '.join(ROW_PRIVILEGES)} "
            f"ON TABLES TO {r}",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT USAGE, SELECT ON SEQUENCES TO {r}",
        ]
        for table, allowed in LIMITED.items():
            if table in tables:
                taken = [p for p in ROW_PRIVILEGES if p not in allowed]
                statements.append(f"REVOKE {', '.join(taken)} ON {quote(table)} FROM {r}")
        for statement in statements:
            cursor.execute(statement)
        granted = app_role_privileges(role=role, using=using)
        _verify(cursor, role=role, schema=schema, granted=granted)
    return Granted(role=role, owner=owner, schema=schema, tables=granted)


def app_role_privileges(*, role: str, using: str = DEFAULT_DB_ALIAS) -> dict[str, tuple[str, ...]]:
    """What ``role`` can do on each table of the current schema, memberships included."""
    checks = ", ".join(f"has_table_privilege(%s, c.oid, '{p}')" for p in TABLE_PRIVILEGES)
    query = (
        f"SELECT c.relname, {checks} FROM pg_class c "  # noqa: S608 - constants only
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() "
        "AND c.relkind IN ('r', 'p', 'v', 'm') ORDER BY c.relname"
    )
    with connections[using].cursor() as cursor:
        cursor.execute(query, [role] * len(TABLE_PRIVILEGES))
        return {
            name: tuple(p for p, held in zip(TABLE_PRIVILEGES, flags, strict=True) if held)
            for name, *flags in cursor.fetchall()
        }


def _verify(cursor, *, role: str, schema: str, granted: dict[str, tuple[str, ...]]) -> None:
    """Refuses when the role can do more (or less) than granted: a superuser, a member of
    the owner or of pg_write_all_data, a grant to PUBLIC, CREATE on the schema."""
    wrong = [
        f"{table}: {', '.join(held) or 'nada'}"
        for table, held in granted.items()
        if held != LIMITED.get(table, ROW_PRIVILEGES)
    ]
    cursor.execute(
        "SELECT has_schema_privilege(%s, %s, 'CREATE'), "
        "has_database_privilege(%s, current_database(), 'CREATE'), "
        "EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "        WHERE pg_get_userbyid(c.relowner) = %s AND n.nspname = %s)",
        [role, schema, role, role, schema],
    )
    create_table, create_schema, owns = cursor.fetchone()
    if create_table:
        wrong.append(
            f"puede crear tablas en {schema} (como su dueño: REVOKE CREATE ON SCHEMA "
            f"{quote(schema)} FROM PUBLIC)"
        )
    if create_schema:
        wrong.append("puede crear esquemas en la base")
    if owns:
        wrong.append(f"es dueño de tablas en {schema}")
    if wrong:
        raise RoleError(f"El rol {role} no quedó con el mínimo privilegio: " + "; ".join(wrong))

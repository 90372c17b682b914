"""Code that lives in the database — PL/pgSQL functions and triggers: how the code declares
it, how it is compared with what a database has installed, and how it is reinstalled.

``ledger/sql.py`` declares the current version of each object with the classes below;
``ledger/checks.py`` reports every difference (docs/ledger.md, "Versions of the database
code"). What counts as the same:

- a PostgreSQL function: exactly one function of that name in the schema, with the
  declared argument types, in PL/pgSQL, neither ``SECURITY DEFINER`` nor carrying ``SET``
  options, whose source (``pg_proc.prosrc``, kept exactly as written between the ``$$``)
  is the declared body character for character;
- a PostgreSQL trigger: on its table, enabled, firing at the declared time, on the declared
  events, for each row or statement, calling the declared function with no ``WHEN``
  condition or column list (``pg_get_triggerdef`` read back and parsed like the
  declaration);
- a SQLite trigger: its text in ``sqlite_master``, which SQLite keeps as written.
"""

import re
from dataclasses import dataclass

from django.db.migrations.recorder import MigrationRecorder

_BODY = re.compile(r"\$\$(.*)\$\$", re.DOTALL)
_TRIGGER = re.compile(
    r"CREATE TRIGGER (?P<name>\w+) (?P<timing>BEFORE|AFTER|INSTEAD OF) "
    r"(?P<events>\w+(?: OR \w+)*) ON (?P<table>\w+) FOR EACH (?P<level>ROW|STATEMENT) "
    r"EXECUTE FUNCTION (?P<function>\w+)\(\)"
)
_SQLITE_TRIGGER = re.compile(r"\s*CREATE TRIGGER (\w+)\s")


@dataclass(frozen=True)
class Function:
    """A PL/pgSQL function: its signature as ``to_regprocedure`` reads it, its
    ``CREATE OR REPLACE FUNCTION`` statement, and the migration (``app_label.name``) that
    carries a frozen copy of that statement and installs it."""

    signature: str
    sql: str
    migration: str

    def __post_init__(self) -> None:
        if _BODY.search(self.sql) is None:
            raise ValueError(f"{self.signature}: the body must be quoted with $$")

    @property
    def name(self) -> str:
        return self.signature.partition("(")[0]

    @property
    def body(self) -> str:
        return _BODY.search(self.sql).group(1)

    @property
    def subject(self) -> str:
        return f"la función {self.name}"

    def install(self) -> list[str]:
        return [self.sql]


def _trigger_shape(sql: str) -> tuple | None:
    """What a PostgreSQL trigger does, from its definition; None for a shape the code
    never declares (a WHEN condition, a column list, arguments, a qualified name)."""
    match = _TRIGGER.fullmatch(" ".join(sql.split()))
    if match is None:
        return None
    shape = match.groupdict()
    shape["events"] = frozenset(shape["events"].split(" OR "))
    return tuple(sorted(shape.items()))


@dataclass(frozen=True)
class Trigger:
    """A PostgreSQL trigger: its ``CREATE TRIGGER`` statement and the migration that
    installs it."""

    sql: str
    migration: str

    def __post_init__(self) -> None:
        if _trigger_shape(self.sql) is None:
            raise ValueError(f"not a trigger definition this check can compare: {self.sql}")

    @property
    def name(self) -> str:
        return dict(_trigger_shape(self.sql))["name"]

    @property
    def table(self) -> str:
        return dict(_trigger_shape(self.sql))["table"]

    @property
    def subject(self) -> str:
        return f"el trigger {self.name} (tabla {self.table})"

    def install(self) -> list[str]:
        return [f"DROP TRIGGER IF EXISTS {self.name} ON {self.table}", self.sql]


@dataclass(frozen=True)
class SqliteTrigger:
    """A SQLite trigger: its ``CREATE TRIGGER`` statement and the migration that
    installs it."""

    sql: str
    migration: str

    def __post_init__(self) -> None:
        if _SQLITE_TRIGGER.match(self.sql) is None:
            raise ValueError(f"not a trigger definition: {self.sql}")

    @property
    def name(self) -> str:
        return _SQLITE_TRIGGER.match(self.sql).group(1)

    @property
    def subject(self) -> str:
        return f"el trigger {self.name}"

    def install(self) -> list[str]:
        return [f"DROP TRIGGER IF EXISTS {self.name}", self.sql]


DatabaseObject = Function | Trigger | SqliteTrigger


@dataclass(frozen=True)
class Difference:
    """An object the database lacks (``missing``) or has in another version; ``problem``
    says how, in Spanish."""

    object: DatabaseObject
    problem: str
    missing: bool = False


def installed_differences(connection, expected: list[DatabaseObject]) -> list[Difference]:
    """Every object of ``expected`` the database on ``connection`` lacks or has otherwise."""
    if connection.vendor == "postgresql":
        return _postgres_functions(
            connection, [o for o in expected if isinstance(o, Function)]
        ) + _postgres_triggers(connection, [o for o in expected if isinstance(o, Trigger)])
    if connection.vendor == "sqlite":
        return _sqlite_triggers(connection, [o for o in expected if isinstance(o, SqliteTrigger)])
    return []


def _postgres_functions(connection, expected: list[Function]) -> list[Difference]:
    if not expected:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.proname, p.oid, p.prosrc, l.lanname, p.prosecdef, p.proconfig IS NOT NULL "
            "FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "JOIN pg_language l ON l.oid = p.prolang "
            "WHERE n.nspname = current_schema() AND p.proname = ANY (%s)",
            [[f.name for f in expected]],
        )
        installed: dict[str, list[tuple]] = {}
        for name, *row in cursor.fetchall():
            installed.setdefault(name, []).append(tuple(row))
        cursor.execute(
            "SELECT s, to_regprocedure(s)::oid FROM unnest(%s::text[]) AS s",
            [[f.signature for f in expected]],
        )
        declared = dict(cursor.fetchall())
    differences = []
    for function in expected:
        rows = installed.get(function.name, [])
        if not rows:
            differences.append(Difference(function, "no existe", missing=True))
            continue
        if len(rows) > 1:
            differences.append(Difference(function, f"hay {len(rows)} funciones con ese nombre"))
            continue
        oid, source, language, definer, options = rows[0]
        problems = [
            problem
            for problem, found in (
                ("sus argumentos son otros", oid != declared[function.signature]),
                ("su texto es otro", source != function.body),
                (f"está escrita en {language}", language != "plpgsql"),
                ("es SECURITY DEFINER", definer),
                ("tiene opciones SET", options),
            )
            if found
        ]
        if problems:
            differences.append(Difference(function, ", ".join(problems)))
    return differences


def _postgres_triggers(connection, expected: list[Trigger]) -> list[Difference]:
    if not expected:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.tgname, c.relname, pg_get_triggerdef(t.oid, true), t.tgenabled "
            "FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND NOT t.tgisinternal AND t.tgname = ANY (%s)",
            [[t.name for t in expected]],
        )
        installed = {(name, table): rest for name, table, *rest in cursor.fetchall()}
    differences = []
    for trigger in expected:
        found = installed.get((trigger.name, trigger.table))
        if found is None:
            differences.append(Difference(trigger, "no existe", missing=True))
            continue
        definition, enabled = found
        problems = [
            problem
            for problem, wrong in (
                (
                    "se dispara en otros casos o llama a otra función",
                    _trigger_shape(definition) != _trigger_shape(trigger.sql),
                ),
                ("está deshabilitado", enabled == "D"),
                ("no se dispara como lo crea el código", enabled not in ("O", "D")),
            )
            if wrong
        ]
        if problems:
            differences.append(Difference(trigger, ", ".join(problems)))
    return differences


def _sqlite_triggers(connection, expected: list[SqliteTrigger]) -> list[Difference]:
    if not expected:
        return []
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
        installed = dict(cursor.fetchall())
    differences = []
    for trigger in expected:
        found = installed.get(trigger.name)
        if found is None:
            differences.append(Difference(trigger, "no existe", missing=True))
        elif found.strip() != trigger.sql.strip():
            differences.append(Difference(trigger, "su texto es otro"))
    return differences


def applied_migrations(connection) -> set[str]:
    """The migrations ``connection``'s database has applied, as ``app_label.name``; none
    before the first ``migrate``."""
    return {f"{app}.{name}" for app, name in MigrationRecorder(connection).applied_migrations()}


def reinstall(connection, objects: list[DatabaseObject]) -> None:
    """Installs the declared version of ``objects``: functions first, then triggers; the
    caller holds the transaction (and connects as the tables' owner on PostgreSQL)."""
    ordered = sorted(objects, key=lambda o: not isinstance(o, Function))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for function in ordered:
                if isinstance(function, Function):
                    _drop_overloads(cursor, function)
        for obj in ordered:
            for statement in obj.install():
                cursor.execute(statement)


def _drop_overloads(cursor, function: Function) -> None:
    """Drops functions of ``function``'s name with other arguments: only the declared
    signature may exist, or a call could resolve to another one."""
    cursor.execute(
        "SELECT p.oid::regprocedure::text FROM pg_proc p "
        "JOIN pg_namespace n ON n.oid = p.pronamespace "
        "WHERE n.nspname = current_schema() AND p.proname = %s "
        "AND p.oid IS DISTINCT FROM to_regprocedure(%s)",
        [function.name, function.signature],
    )
    for (signature,) in cursor.fetchall():
        cursor.execute(f"DROP FUNCTION {signature}")

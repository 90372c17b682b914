"""The functions and triggers in the database are versioned like the code
(docs/ledger.md, "Versions of the database code")."""

import ast
import hashlib
import importlib
import json
import re
from collections import defaultdict
from pathlib import Path

import pytest
from django.db.migrations.loader import MigrationLoader

from ledger import sql
from ledger.dbcode import Function

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

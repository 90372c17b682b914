"""The check that the database runs the code's functions and triggers.

Registered with the ``database`` tag, so it runs on ``migrate`` (before migrating) and on
``manage.py check --database default``; ``manage.py ledger_check`` and the nightly ledger
task report the same. Every function and trigger of ``ledger.sql.database_code`` is
compared with what the database has installed (``ledger/dbcode.py``):

- the migration that installs the code's version is applied, and the database has
  something else: an error — someone changed the database by hand (or edited
  ``ledger/sql.py`` without a new migration, which the tests refuse);
- that migration is still pending: the database is merely behind — a warning to run
  ``migrate`` when an older version is installed, nothing when there is none yet (a fresh
  database before its first ``migrate``).
"""

from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.db import connections

from ledger import sql
from ledger.dbcode import Difference, applied_migrations, installed_differences

RESTORE = "python manage.py ledger_sql --restore"


def database_code_differences(connection) -> tuple[list[Difference], list[Difference]]:
    """What differs from the code on ``connection``'s database: (changed by hand,
    behind a pending migration)."""
    differences = installed_differences(connection, sql.database_code(connection.vendor))
    if not differences:
        return [], []
    applied = applied_migrations(connection)
    changed = [d for d in differences if d.object.migration in applied]
    behind = [d for d in differences if d.object.migration not in applied and not d.missing]
    return changed, behind


def describe(difference: Difference) -> str:
    subject = difference.object.subject
    if difference.missing:
        return f"Falta en la base de datos {subject}."
    return f"En la base de datos, {subject} difiere del código: {difference.problem}."


def database_code_messages(connection) -> list[CheckMessage]:
    changed, behind = database_code_differences(connection)
    messages: list[CheckMessage] = [
        Error(
            describe(difference),
            hint=(
                f"La migración {difference.object.migration} ya está aplicada, así que "
                "alguien cambió la base de datos a mano (o ledger/sql.py sin una migración "
                "nueva; docs/ledger.md). Averigua quién y por qué, y reinstala la versión del "
                f"código con «{RESTORE}»."
            ),
            obj=connection.alias,
            id="ledger.E001",
        )
        for difference in changed
    ]
    messages += [
        Warning(
            describe(difference),
            hint=(
                f"La migración {difference.object.migration}, con la versión del código, está "
                "pendiente: ejecuta «python manage.py migrate»."
            ),
            obj=connection.alias,
            id="ledger.W001",
        )
        for difference in behind
    ]
    return messages


@register(Tags.database)
def database_code_is_the_codes(app_configs=None, databases=None, **kwargs):
    if not databases:
        return []
    messages = []
    for alias in databases:
        messages += database_code_messages(connections[alias])
    return messages

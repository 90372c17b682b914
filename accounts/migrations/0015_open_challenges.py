from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class AddIndexWithoutBlocking(AddIndexConcurrently):
    """On PostgreSQL the index is built without blocking writes (every sign-in and every
    operation writes a challenge); elsewhere (SQLite's tests) as any index."""

    def _made(self, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            return super()
        return super(AddIndexConcurrently, self)  # AddIndex's

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        self._made(schema_editor).database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        self._made(schema_editor).database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY runs outside a transaction

    dependencies = [
        ("accounts", "0014_operations"),
    ]

    operations = [
        AddIndexWithoutBlocking(
            model_name="challenge",
            index=models.Index(
                condition=models.Q(("used_at__isnull", True), ("voided_at__isnull", True)),
                fields=["user", "purpose"],
                name="accounts_challenge_open",
            ),
        ),
    ]

"""The cooperative profile's model now belongs to the kernel (``core.0001_initial``); its
table stays, under its old name."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('cooprogreso', '0004_transfer_rules'),
        ('core', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='Cooperative')],
            database_operations=[],
        ),
    ]

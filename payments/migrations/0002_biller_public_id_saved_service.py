import uuid

import django.db.models.deletion
from django.db import migrations, models


def give_each_biller_its_id(apps, schema_editor):
    Biller = apps.get_model("payments", "Biller")
    for biller in Biller.objects.filter(public_id__isnull=True).only("pk"):
        Biller.objects.filter(pk=biller.pk).update(public_id=uuid.uuid4())


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0014_operations"),
        ("payments", "0001_catalog_and_payments"),
    ]

    operations = [
        # A public id for the billers already in the table, one each, then unique.
        migrations.AddField(
            model_name="biller",
            name="public_id",
            field=models.UUIDField(editable=False, null=True),
        ),
        migrations.RunPython(give_each_biller_its_id, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="biller",
            name="public_id",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
        migrations.CreateModel(
            name="SavedService",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("public_id", models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ("reference", models.CharField(max_length=40, verbose_name="referencia")),
                ("alias", models.CharField(blank=True, max_length=30, verbose_name="alias")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="guardado")),
                (
                    "biller",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="saved_services",
                        to="payments.biller",
                    ),
                ),
                (
                    "member",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="saved_services",
                        to="accounts.member",
                    ),
                ),
            ],
            options={
                "verbose_name": "pago frecuente",
                "verbose_name_plural": "pagos frecuentes",
                "ordering": ["alias", "pk"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("member", "biller", "reference"),
                        name="payments_saved_service_once",
                    )
                ],
            },
        ),
    ]

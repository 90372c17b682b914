"""The cooperative profile moves from the site package (``cooprogreso``) to the kernel.

The table stays where it is (``cooprogreso_cooperative``): on a database migrated before,
the site package's migrations created it and only the model's state moves here (the site
package's 0005 drops it from its own state). The content type follows, so staff's
permissions on profiles and the admin's history of them keep pointing at the model.
"""

import core.models
import django.core.validators
from decimal import Decimal
from django.db import migrations, models


def content_type_to_core(apps, schema_editor):
    _content_type_move(apps, schema_editor, source="cooprogreso", target="core")


def content_type_to_site(apps, schema_editor):
    _content_type_move(apps, schema_editor, source="core", target="cooprogreso")


def _content_type_move(apps, schema_editor, *, source, target):
    ContentType = apps.get_model("contenttypes", "ContentType")
    rows = ContentType.objects.using(schema_editor.connection.alias)
    if rows.filter(app_label=target, model="cooperative").exists():
        return  # (app_label, model) is unique: the model keeps the row it has
    rows.filter(app_label=source, model="cooperative").update(app_label=target)


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('cooprogreso', '0004_transfer_rules'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Cooperative',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('slug', models.SlugField(unique=True, verbose_name='identificador')),
                        ('name', models.CharField(max_length=200, verbose_name='razón social')),
                        ('short_name', models.CharField(max_length=60, verbose_name='nombre corto')),
                        ('channel_name', models.CharField(help_text='Por ejemplo «Cooprogreso en Línea».', max_length=80, verbose_name='nombre del canal')),
                        ('tax_id', models.CharField(blank=True, max_length=20, verbose_name='RUC / NIT')),
                        ('logo', models.FileField(blank=True, help_text='PNG, JPEG o WebP. Sin archivo se usa el logotipo incluido en el portal.', upload_to='cooperatives/', validators=[core.models.validate_logo], verbose_name='logotipo')),
                        ('primary_color', models.CharField(default='#0B6E4F', max_length=7, validators=[django.core.validators.RegexValidator('^#[0-9A-Fa-f]{6}$', 'Use un color hexadecimal como #0B6E4F.')], verbose_name='color principal')),
                        ('accent_color', models.CharField(default='#F2A900', max_length=7, validators=[django.core.validators.RegexValidator('^#[0-9A-Fa-f]{6}$', 'Use un color hexadecimal como #0B6E4F.')], verbose_name='color de acento')),
                        ('currency', models.CharField(default='USD', max_length=3, validators=[django.core.validators.RegexValidator('^[A-Z]{3}$', 'Use un código de moneda ISO 4217, como USD.')], verbose_name='moneda principal')),
                        ('other_currencies', models.CharField(blank=True, help_text='Códigos separados por coma, por ejemplo «USD» para cuentas en dólares.', max_length=40, verbose_name='otras monedas')),
                        ('call_center_phone', models.CharField(max_length=40, verbose_name='centro de llamadas')),
                        ('complaints_email', models.EmailField(blank=True, max_length=254, verbose_name='correo de quejas y reclamos')),
                        ('complaints_address', models.TextField(blank=True, verbose_name='dirección de quejas y reclamos')),
                        ('website', models.URLField(blank=True, verbose_name='sitio web')),
                        ('cutoff_time', models.TimeField(default='15:00', help_text='Operaciones interbancarias posteriores se procesan el siguiente día laborable.', verbose_name='hora de corte')),
                        ('holiday_country', models.CharField(choices=[('EC', 'Ecuador'), ('BO', 'Bolivia'), ('PA', 'Panamá')], default='EC', max_length=2, verbose_name='país de feriados')),
                        ('registration_mode', models.CharField(choices=[('self_service', 'Autoservicio con OTP'), ('branch_approval', 'Pendiente de aprobación en agencia'), ('member_number', 'Número de socio y fecha de nacimiento')], default='self_service', max_length=20, verbose_name='modo de registro')),
                        ('self_service_unlock', models.BooleanField(default=True, help_text='Si no, el socio desbloquea su usuario en una agencia.', verbose_name='desbloqueo en línea')),
                        ('confirmation_method', models.CharField(choices=[('otp', 'Código OTP'), ('transaction_pin', 'PIN transaccional'), ('security_question', 'Pregunta de seguridad')], default='otp', max_length=20, verbose_name='confirmación de operaciones')),
                        ('funds_origin_threshold', models.DecimalField(blank=True, decimal_places=2, help_text='Monto acumulado desde el cual se exige origen y destino de fondos. Vacío: no se exige.', max_digits=18, null=True, validators=[django.core.validators.MinValueValidator(Decimal('0.01'))], verbose_name='umbral de origen de fondos (USD)')),
                        ('funds_origin_window_days', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='ventana de origen de fondos (días)')),
                        ('usd_exchange_rate', models.DecimalField(blank=True, decimal_places=4, help_text='Unidades de la moneda principal por 1 USD (6.8600 en Bolivia). El umbral de origen de fondos está en USD: las transferencias en otra moneda se cuentan a este tipo.', max_digits=10, null=True, validators=[django.core.validators.MinValueValidator(Decimal('0.0001'))], verbose_name='tipo de cambio oficial')),
                        ('deposit_withholding_rate', models.DecimalField(decimal_places=4, default=Decimal('0.02'), help_text='Fracción del interés de inversiones y ahorros que se retiene (0.02 = 2 %).', max_digits=5, validators=[django.core.validators.MinValueValidator(Decimal('0'))], verbose_name='retención en la fuente sobre intereses')),
                        ('withholding_exempt_days', models.PositiveSmallIntegerField(blank=True, default=180, help_text='Las inversiones a este plazo o más no tienen retención. Vacío: ninguna exenta.', null=True, verbose_name='plazo exento de retención (días)')),
                        ('new_beneficiary_hours', models.PositiveSmallIntegerField(default=24, help_text='Durante estas horas desde que se registra un beneficiario, cada transferencia hacia él tiene el tope de primer pago. 0: sin enfriamiento.', verbose_name='horas de enfriamiento de beneficiarios nuevos')),
                        ('new_beneficiary_limit', models.DecimalField(decimal_places=2, default=Decimal('500.00'), max_digits=18, validators=[django.core.validators.MinValueValidator(Decimal('0.01'))], verbose_name='tope de primer pago a beneficiarios nuevos')),
                        ('refund_fee_on_rejection', models.BooleanField(default=True, help_text='Si otra institución rechaza una transferencia interbancaria, se devuelve el monto y, con esta opción, también la comisión y su IVA.', verbose_name='devolver la comisión de transferencias rechazadas')),
                        ('is_active', models.BooleanField(default=False, verbose_name='perfil activo')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='actualizado')),
                    ],
                    options={
                        'verbose_name': 'perfil de cooperativa',
                        'verbose_name_plural': 'perfiles de cooperativa',
                        'db_table': 'cooprogreso_cooperative',
                        'ordering': ['-is_active', 'short_name'],
                        'constraints': [models.UniqueConstraint(condition=models.Q(('is_active', True)), fields=('is_active',), name='one_active_cooperative'), models.CheckConstraint(condition=models.Q(('funds_origin_threshold__isnull', True), ('funds_origin_window_days__isnull', False), _connector='OR'), name='funds_origin_rule_complete')],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_type_to_core, content_type_to_site),
    ]

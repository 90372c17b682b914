"""The kernel's two tables: the cooperative profile and the outgoing notifications.

The profile is everything that makes one cooperative's portal its own. Cooprogreso
(Ecuador) is the primary design; ProgresoNet (Bolivia) and Cooperativa en Línea (Panamá)
are the same code under another profile. Exactly one profile is active.

A notification is one SMS or e-mail waiting for, or done with, a worker
(``core.notifications.notify``, ``docs/notifications.md``).
"""

import uuid
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.colors import contrast_ratio

MAX_LOGO_BYTES = 512 * 1024


def validate_logo(file) -> None:
    """Only real PNG, JPEG or WebP images of modest size (checked by content, not name)."""
    from PIL import Image, UnidentifiedImageError

    if file.size > MAX_LOGO_BYTES:
        raise ValidationError("El logotipo no puede superar 512 KB.")
    try:
        with Image.open(file) as image:
            image_format = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise ValidationError("El archivo no es una imagen PNG, JPEG o WebP válida.") from exc
    finally:
        file.seek(0)
    if image_format not in {"PNG", "JPEG", "WEBP"}:
        raise ValidationError("El logotipo debe ser PNG, JPEG o WebP.")


hex_color = RegexValidator(r"^#[0-9A-Fa-f]{6}$", "Use un color hexadecimal como #0B6E4F.")
currency_code = RegexValidator(r"^[A-Z]{3}$", "Use un código de moneda ISO 4217, como USD.")


class Cooperative(models.Model):
    class RegistrationMode(models.TextChoices):
        SELF_SERVICE = "self_service", "Autoservicio con OTP"
        BRANCH_APPROVAL = "branch_approval", "Pendiente de aprobación en agencia"
        MEMBER_NUMBER = "member_number", "Número de socio y fecha de nacimiento"

    class ConfirmationMethod(models.TextChoices):
        OTP = "otp", "Código OTP"
        TRANSACTION_PIN = "transaction_pin", "PIN transaccional"
        SECURITY_QUESTION = "security_question", "Pregunta de seguridad"

    class HolidayCountry(models.TextChoices):
        ECUADOR = "EC", "Ecuador"
        BOLIVIA = "BO", "Bolivia"
        PANAMA = "PA", "Panamá"

    slug = models.SlugField("identificador", unique=True)
    name = models.CharField("razón social", max_length=200)
    short_name = models.CharField("nombre corto", max_length=60)
    channel_name = models.CharField(
        "nombre del canal", max_length=80, help_text="Por ejemplo «Cooprogreso en Línea»."
    )
    tax_id = models.CharField("RUC / NIT", max_length=20, blank=True)
    logo = models.FileField(
        "logotipo",
        upload_to="cooperatives/",
        blank=True,
        validators=[validate_logo],
        help_text="PNG, JPEG o WebP. Sin archivo se usa el logotipo incluido en el portal.",
    )
    primary_color = models.CharField(
        "color principal", max_length=7, validators=[hex_color], default="#0B6E4F"
    )
    accent_color = models.CharField(
        "color de acento", max_length=7, validators=[hex_color], default="#F2A900"
    )
    currency = models.CharField(
        "moneda principal", max_length=3, validators=[currency_code], default="USD"
    )
    other_currencies = models.CharField(
        "otras monedas",
        max_length=40,
        blank=True,
        help_text="Códigos separados por coma, por ejemplo «USD» para cuentas en dólares.",
    )
    call_center_phone = models.CharField("centro de llamadas", max_length=40)
    complaints_email = models.EmailField("correo de quejas y reclamos", blank=True)
    complaints_address = models.TextField("dirección de quejas y reclamos", blank=True)
    website = models.URLField("sitio web", blank=True)
    cutoff_time = models.TimeField(
        "hora de corte",
        default="15:00",
        help_text="Operaciones interbancarias posteriores se procesan el siguiente día laborable.",
    )
    holiday_country = models.CharField(
        "país de feriados", max_length=2, choices=HolidayCountry, default=HolidayCountry.ECUADOR
    )
    registration_mode = models.CharField(
        "modo de registro",
        max_length=20,
        choices=RegistrationMode,
        default=RegistrationMode.SELF_SERVICE,
    )
    self_service_unlock = models.BooleanField(
        "desbloqueo en línea",
        default=True,
        help_text="Si no, el socio desbloquea su usuario en una agencia.",
    )
    confirmation_method = models.CharField(
        "confirmación de operaciones",
        max_length=20,
        choices=ConfirmationMethod,
        default=ConfirmationMethod.OTP,
    )
    funds_origin_threshold = models.DecimalField(
        "umbral de origen de fondos (USD)",
        max_digits=18,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text="Monto acumulado desde el cual se exige origen y destino de fondos. "
        "Vacío: no se exige.",
    )
    funds_origin_window_days = models.PositiveSmallIntegerField(
        "ventana de origen de fondos (días)", null=True, blank=True
    )
    usd_exchange_rate = models.DecimalField(
        "tipo de cambio oficial",
        max_digits=10,
        decimal_places=4,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.0001"))],
        help_text="Unidades de la moneda principal por 1 USD (6.8600 en Bolivia). El umbral de "
        "origen de fondos está en USD: las transferencias en otra moneda se cuentan a este tipo.",
    )
    deposit_withholding_rate = models.DecimalField(
        "retención en la fuente sobre intereses",
        max_digits=5,
        decimal_places=4,
        default=Decimal("0.02"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Fracción del interés de inversiones y ahorros que se retiene (0.02 = 2 %).",
    )
    withholding_exempt_days = models.PositiveSmallIntegerField(
        "plazo exento de retención (días)",
        null=True,
        blank=True,
        default=180,
        help_text="Las inversiones a este plazo o más no tienen retención. Vacío: ninguna exenta.",
    )
    new_beneficiary_hours = models.PositiveSmallIntegerField(
        "horas de enfriamiento de beneficiarios nuevos",
        default=24,
        help_text="Durante estas horas desde que se registra un beneficiario, cada transferencia "
        "hacia él tiene el tope de primer pago. 0: sin enfriamiento.",
    )
    new_beneficiary_limit = models.DecimalField(
        "tope de primer pago a beneficiarios nuevos",
        max_digits=18,
        decimal_places=2,
        default=Decimal("500.00"),
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    refund_fee_on_rejection = models.BooleanField(
        "devolver la comisión de transferencias rechazadas",
        default=True,
        help_text="Si otra institución rechaza una transferencia interbancaria, se devuelve "
        "el monto y, con esta opción, también la comisión y su IVA.",
    )
    is_active = models.BooleanField("perfil activo", default=False)
    updated_at = models.DateTimeField("actualizado", auto_now=True)

    class Meta:
        # The table kept the name it had when the profile lived in the site package.
        db_table = "cooprogreso_cooperative"
        verbose_name = "perfil de cooperativa"
        verbose_name_plural = "perfiles de cooperativa"
        ordering = ["-is_active", "short_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="one_active_cooperative"
            ),
            models.CheckConstraint(
                condition=(
                    Q(funds_origin_threshold__isnull=True)
                    | Q(funds_origin_window_days__isnull=False)
                ),
                name="funds_origin_rule_complete",
            ),
        ]

    def __str__(self) -> str:
        return self.short_name

    def clean(self) -> None:
        errors = {}
        if self.primary_color and hex_color.regex.match(self.primary_color):
            ratio = contrast_ratio(self.primary_color, "#FFFFFF")
            if ratio < 4.5:
                errors["primary_color"] = (
                    f"El texto blanco sobre este color tiene un contraste de {ratio:.1f}:1; "
                    "se necesita al menos 4.5:1 (WCAG AA)."
                )
        if (self.funds_origin_threshold is None) != (self.funds_origin_window_days is None):
            errors["funds_origin_window_days"] = (
                "Indique el umbral y la ventana de días juntos, o deje ambos vacíos."
            )
        if (
            self.funds_origin_threshold is not None
            and any(c != "USD" for c in self.currencies)
            and self.usd_exchange_rate is None
        ):
            errors["usd_exchange_rate"] = (
                "El umbral de origen de fondos está en USD: indique el tipo de cambio oficial "
                "para contar las transferencias en otras monedas."
            )
        if errors:
            raise ValidationError(errors)

    @property
    def currencies(self) -> list[str]:
        extra = [c.strip().upper() for c in self.other_currencies.split(",") if c.strip()]
        return [self.currency, *[c for c in extra if c != self.currency]]

    def in_usd(self, amount: Decimal, currency: str) -> Decimal:
        """``amount`` of ``currency`` in USD at the official rate (for the funds-origin
        threshold, which the regulator sets in USD)."""
        if currency == "USD":
            return amount
        if currency != self.currency or not self.usd_exchange_rate:
            raise ValueError(f"no official USD rate for {currency}")
        return amount / self.usd_exchange_rate

    @property
    def default_logo_static_path(self) -> str:
        return f"img/cooperatives/{self.slug}.svg"


class Notification(models.Model):
    """One message to one person on one channel, stored when the action it reports
    commits and sent by a worker, retried until it goes out or finally fails.

    The recipient and the body are stored encrypted (``core.crypto``); the body is wiped
    once the message is sent, or once it finally fails when it holds a secret (temporary
    credentials). Staff see the rest: what it was, where to (masked), how it went."""

    class Channel(models.TextChoices):
        SMS = "sms", "SMS"
        EMAIL = "email", "Correo electrónico"

    class Status(models.TextChoices):
        PENDING = "pending", "Pendiente"
        SENT = "sent", "Enviada"
        FAILED = "failed", "Fallida"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField("motivo", max_length=60)
    channel = models.CharField("canal", max_length=5, choices=Channel)
    recipient_masked = models.CharField("destinatario", max_length=80)
    recipient_encrypted = models.TextField(editable=False)
    subject = models.CharField("asunto", max_length=200, blank=True)
    body_encrypted = models.TextField(blank=True, editable=False)
    secret = models.BooleanField(
        "contiene una clave",
        default=False,
        help_text="Su texto se borra también cuando falla definitivamente.",
    )
    status = models.CharField("estado", max_length=7, choices=Status, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField("intentos", default=0)
    last_error = models.CharField("último error", max_length=80, blank=True)
    claimed_at = models.DateTimeField("en envío desde", null=True, blank=True)
    next_attempt_at = models.DateTimeField("próximo intento", default=timezone.now)
    created_at = models.DateTimeField("creada", default=timezone.now)
    sent_at = models.DateTimeField("enviada", null=True, blank=True)

    class Meta:
        verbose_name = "notificación"
        verbose_name_plural = "notificaciones"
        ordering = ["-created_at", "-pk"]
        permissions = [("retry_notification", "Puede reintentar notificaciones fallidas")]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="core_notification_pending",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} · {self.get_channel_display()} · {self.recipient_masked}"

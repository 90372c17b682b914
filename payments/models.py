"""Pago de Servicios: the cooperative's catalog of billers, and each bill payment.

A biller ("servicio" in the manuals: AGUA EPMAPA PEDERNALES, RECARGAS CNT PAQUETE…)
belongs to a category of one cooperative, says how its reference is asked for and
checked, whether it has bills to look up ("Consultar") or takes an amount the member
types (top-ups), and which payable book its collections credit. A ``BillPayment`` is one
bill (or one top-up) paid: the money is held first, captured when the biller confirms,
released when it refuses; an unknown outcome stays *resolving* until a task learns it.
A ``SavedService`` is a biller and reference a member keeps for "Pagos frecuentes"; a
``PaymentSchedule`` one the beat pays by itself ("Pagos programados"), up to a maximum.
"""

import re
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q

from accounts.models import Member
from core.models import Cooperative
from ledger.models import Channel, Hold, Journal
from products.models import DepositAccount


class ServiceCategory(models.Model):
    """AGUA, LUZ, TELEFONÍA, Recargas, Municipios… per cooperative, in menu order."""

    cooperative = models.ForeignKey(
        Cooperative, on_delete=models.CASCADE, related_name="service_categories"
    )
    name = models.CharField("categoría", max_length=60)
    position = models.PositiveSmallIntegerField("orden", default=0)
    is_active = models.BooleanField("activa", default=True)

    class Meta:
        verbose_name = "categoría de servicios"
        verbose_name_plural = "categorías de servicios"
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["cooperative", "name"], name="payments_category_unique_name"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Biller(models.Model):
    """One service the members can pay ("Empresa" on the receipt)."""

    class Mode(models.TextChoices):
        BILLS = "bills", "Consulta de facturas"
        AMOUNT = "amount", "Monto a elección (recargas)"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    category = models.ForeignKey(ServiceCategory, on_delete=models.PROTECT, related_name="billers")
    code = models.CharField(
        "código en la red de recaudación",
        max_length=30,
        help_text="Con este código la red de recaudación identifica a la empresa.",
    )
    name = models.CharField("servicio", max_length=80)
    mode = models.CharField("modalidad", max_length=10, choices=Mode, default=Mode.BILLS)
    reference_label = models.CharField(
        "etiqueta de la referencia", max_length=40, default="CONTRATO/CÉDULA/RUC"
    )
    reference_min_length = models.PositiveSmallIntegerField("largo mínimo", default=4)
    reference_max_length = models.PositiveSmallIntegerField("largo máximo", default=20)
    reference_pattern = models.CharField(
        "formato de la referencia",
        max_length=60,
        blank=True,
        help_text="Expresión regular opcional, por ejemplo 09\\d{8} para un celular.",
    )
    reference_message = models.CharField(
        "mensaje si el formato no coincide", max_length=120, blank=True
    )
    min_amount = models.DecimalField(
        "monto mínimo", max_digits=18, decimal_places=2, null=True, blank=True
    )
    max_amount = models.DecimalField(
        "monto máximo", max_digits=18, decimal_places=2, null=True, blank=True
    )
    payable_book = models.CharField(
        "cuenta por pagar (libro)",
        max_length=30,
        default="BILLER_PAYABLE",
        help_text="El libro contable que acredita lo recaudado para esta empresa.",
    )
    is_active = models.BooleanField("activo", default=True)

    class Meta:
        verbose_name = "servicio"
        verbose_name_plural = "servicios"
        ordering = ["category__position", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["category", "code"], name="payments_biller_unique_code"
            ),
            models.CheckConstraint(
                condition=Q(mode="bills")
                | (Q(min_amount__isnull=False) & Q(max_amount__isnull=False)),
                name="payments_biller_topup_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.reference_pattern:
            try:
                re.compile(self.reference_pattern)
            except re.error as exc:
                raise ValidationError({"reference_pattern": "La expresión no es válida."}) from exc
        if self.mode == self.Mode.AMOUNT:
            if self.min_amount is None or self.max_amount is None:
                raise ValidationError("Una recarga necesita monto mínimo y monto máximo.")
            if not 0 < self.min_amount <= self.max_amount:
                raise ValidationError(
                    "El monto mínimo debe ser mayor a cero y no superar el máximo."
                )

    def reference_error(self, reference: str) -> str:
        """The Spanish message for a reference this biller refuses, or "": the biller's
        own message when it has one ("NUMERO CELULAR debe tener 10 caracteres numeros"),
        else the rule broken ("CONTRATO/CÉDULA/RUC debe tener al menos 4 caracteres")."""
        fits = self.reference_min_length <= len(reference) <= self.reference_max_length
        if self.reference_message and not (
            fits and (not self.reference_pattern or re.fullmatch(self.reference_pattern, reference))
        ):
            return self.reference_message
        if len(reference) < self.reference_min_length:
            return (
                f"{self.reference_label} debe tener al menos {self.reference_min_length} caracteres"
            )
        if len(reference) > self.reference_max_length:
            return (
                f"{self.reference_label} debe tener como máximo "
                f"{self.reference_max_length} caracteres"
            )
        if self.reference_pattern and not re.fullmatch(self.reference_pattern, reference):
            return self.reference_message or f"{self.reference_label} no es válido"
        return ""

    @property
    def currency(self) -> str:
        """A biller collects in its cooperative's main currency."""
        return self.category.cooperative.currency


class BillPayment(models.Model):
    """One bill or top-up paid from a member's account.

    held → paid (the biller confirmed; the hold captured into the journal)
         → refused (the biller refused; the hold released)
         → resolving (no answer: a task asks the biller until it knows, the hold kept)
    """

    class State(models.TextChoices):
        HELD = "held", "En proceso"
        RESOLVING = "resolving", "Por confirmar"
        PAID = "paid", "Pagado"
        REFUSED = "refused", "No realizado"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="bill_payments")
    origin = models.ForeignKey(
        DepositAccount, on_delete=models.PROTECT, related_name="+", verbose_name="cuenta de origen"
    )
    biller = models.ForeignKey(Biller, on_delete=models.PROTECT, related_name="payments")
    reference = models.CharField("referencia", max_length=40)
    bill_number = models.CharField("N.º de recibo", max_length=40, blank=True)
    description = models.CharField("descripción", max_length=120, blank=True)
    amount = models.DecimalField("valor pagado", max_digits=18, decimal_places=2)
    commission = models.DecimalField("comisión", max_digits=18, decimal_places=2)
    iva = models.DecimalField("IVA", max_digits=18, decimal_places=2, default=0)
    total = models.DecimalField("total debitado", max_digits=18, decimal_places=2)
    currency = models.CharField(max_length=3)
    state = models.CharField("estado", max_length=10, choices=State, default=State.HELD)
    key = models.CharField("clave de idempotencia", max_length=100, unique=True)
    hold = models.ForeignKey(
        Hold, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    journal = models.ForeignKey(
        Journal, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    network_reference = models.CharField("referencia de la red", max_length=60, blank=True)
    reason = models.CharField("motivo", max_length=200, blank=True)
    channel = models.CharField("canal", max_length=12, choices=Channel, default=Channel.WEB)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    schedule_id = models.BigIntegerField("pago programado", null=True, blank=True)
    created_at = models.DateTimeField("fecha", auto_now_add=True)
    resolved_at = models.DateTimeField("resuelto", null=True, blank=True)
    checks = models.PositiveSmallIntegerField("consultas a la red", default=0)
    next_check_at = models.DateTimeField("próxima consulta", null=True, blank=True)

    class Meta:
        verbose_name = "pago de servicio"
        verbose_name_plural = "pagos de servicios"
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["member", "-created_at"]),
            models.Index(
                fields=["state"], condition=Q(state="resolving"), name="payments_resolving"
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payments_amount_positive"),
            models.UniqueConstraint(
                fields=["biller", "reference", "bill_number"],
                condition=~Q(bill_number="") & ~Q(state="refused"),
                name="payments_bill_paid_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.biller} {self.reference} {self.total}"


class SavedService(models.Model):
    """A biller and reference a member saved with an alias ("Guardar servicio"), listed in
    "Pagos frecuentes" and paid from there with one click."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="saved_services")
    biller = models.ForeignKey(Biller, on_delete=models.PROTECT, related_name="saved_services")
    reference = models.CharField("referencia", max_length=40)
    alias = models.CharField("alias", max_length=30, blank=True)
    created_at = models.DateTimeField("guardado", auto_now_add=True)

    class Meta:
        verbose_name = "pago frecuente"
        verbose_name_plural = "pagos frecuentes"
        ordering = ["alias", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "biller", "reference"], name="payments_saved_service_once"
            )
        ]

    def __str__(self) -> str:
        return self.alias or f"{self.biller} {self.reference}"


class PaymentSchedule(models.Model):
    """ "Pagos programados": a biller and reference the beat pays from the member's
    account, bill by bill, while each bill is at most ``max_amount`` — every business day
    whenever a bill is pending ("Siempre que se encuentre disponible"), or once a month
    from ``day_of_month`` on (1 to 31; on the month's last business day when the month
    has no business day from that day on: ``payments.schedules.schedule_pay_day``) —
    between ``start_date`` and ``end_date`` (none: "Fecha indefinida"). The member
    accepted the terms of ``terms_version`` at ``accepted_at``
    (``payments.schedules.SCHEDULE_TERMS``). Removing it keeps the row (``deleted_at``):
    its payments name it."""

    class Frequency(models.TextChoices):
        AVAILABLE = "available", "Siempre que se encuentre disponible"
        MONTHLY = "monthly", "Mensual"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="payment_schedules")
    origin = models.ForeignKey(
        DepositAccount, on_delete=models.PROTECT, related_name="+", verbose_name="cuenta de débito"
    )
    biller = models.ForeignKey(Biller, on_delete=models.PROTECT, related_name="schedules")
    reference = models.CharField("referencia", max_length=40)
    max_amount = models.DecimalField("monto máximo", max_digits=18, decimal_places=2)
    frequency = models.CharField(
        "frecuencia", max_length=10, choices=Frequency, default=Frequency.AVAILABLE
    )
    day_of_month = models.PositiveSmallIntegerField("día del mes", null=True, blank=True)
    start_date = models.DateField("fecha de inicio")
    end_date = models.DateField("fecha de finalización", null=True, blank=True)
    terms_version = models.CharField("versión de los términos aceptados", max_length=20)
    accepted_at = models.DateTimeField("términos aceptados")
    active = models.BooleanField("activo", default=True)
    key = models.CharField("clave de idempotencia", max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("registrado", auto_now_add=True)
    updated_at = models.DateTimeField("actualizado", auto_now=True)
    deleted_at = models.DateTimeField("eliminado", null=True, blank=True)
    last_run_at = models.DateTimeField("última revisión", null=True, blank=True)
    last_paid_at = models.DateTimeField("último pago", null=True, blank=True)

    class Meta:
        verbose_name = "pago programado"
        verbose_name_plural = "pagos programados"
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["member", "-created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_amount__gt=0), name="payments_schedule_max_positive"
            ),
            models.CheckConstraint(
                condition=Q(frequency="available", day_of_month__isnull=True)
                | Q(frequency="monthly", day_of_month__gte=1, day_of_month__lte=31),
                name="payments_schedule_day_of_month",
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="payments_schedule_dates",
            ),
            models.UniqueConstraint(
                fields=["member", "biller", "reference"],
                condition=Q(deleted_at__isnull=True),
                name="payments_schedule_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.biller} {self.reference}"


class ScheduleNotice(models.Model):
    """What a schedule told its member about one bill, so that each is said once however
    many times the beat looks at the bill: paid, over the maximum, no funds, refused."""

    class Reason(models.TextChoices):
        PAID = "paid", "Pagado"
        OVER_MAX = "over_max", "Supera el monto máximo"
        NO_FUNDS = "no_funds", "Saldo insuficiente"
        REFUSED = "refused", "No realizado"

    schedule = models.ForeignKey(PaymentSchedule, on_delete=models.CASCADE, related_name="notices")
    bill_number = models.CharField("N.º de recibo", max_length=40)
    reason = models.CharField("motivo", max_length=10, choices=Reason)
    amount = models.DecimalField("valor de la factura", max_digits=18, decimal_places=2)
    detail = models.CharField("detalle", max_length=300, blank=True)
    created_at = models.DateTimeField("fecha", auto_now_add=True)

    class Meta:
        verbose_name = "aviso de pago programado"
        verbose_name_plural = "avisos de pagos programados"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["schedule", "bill_number", "reason"], name="payments_schedule_notice_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.schedule} {self.bill_number} {self.get_reason_display()}"


class SimulatedBillerPayment(models.Model):
    """What the simulated biller network (``payments.network.SimulatedBillerNetwork``) did
    with each payment key, so that paying twice with one key confirms once and asking for
    the key's status answers the same in the web process and in a worker."""

    class Outcome(models.TextChoices):
        CONFIRMED = "confirmed", "Confirmado"
        REFUSED = "refused", "Rechazado"
        PENDING = "pending", "Sin respuesta"

    key = models.CharField("clave de idempotencia", max_length=100, unique=True)
    biller_code = models.CharField("empresa", max_length=30)
    reference = models.CharField("referencia", max_length=40)
    bill_number = models.CharField("N.º de recibo", max_length=40, blank=True)
    amount = models.DecimalField("valor", max_digits=18, decimal_places=2)
    outcome = models.CharField("resultado", max_length=10, choices=Outcome)
    reason = models.CharField("motivo", max_length=200, blank=True)
    network_reference = models.CharField("referencia de la red", max_length=60, blank=True)
    created_at = models.DateTimeField("fecha", auto_now_add=True)

    class Meta:
        verbose_name = "pago en la red simulada"
        verbose_name_plural = "pagos en la red simulada"
        # A reference's payments (what is still pending), read on every inquiry and
        # payment: without it each one scans every payment the simulator ever took.
        indexes = [models.Index(fields=["biller_code", "reference"])]
        constraints = [
            models.UniqueConstraint(
                fields=["biller_code", "reference", "bill_number"],
                condition=~Q(bill_number="") & ~Q(outcome="refused"),
                name="payments_simulated_bill_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.biller_code} {self.reference} {self.get_outcome_display()}"

"""Transfers: who a member sends money to (beneficiaries), how much they may send (limits),
and the record of each transfer next to the ledger journal that moved the money.

The journal is the money; a ``Transfer`` row says what it meant (origin, destination,
beneficiary, fees, value date) and, for interbank transfers, where it is in settlement.
"""

import uuid
from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Member
from ledger.models import Journal
from products.models import DepositAccount


class TransferKind(models.TextChoices):
    OWN = "own", "Transferencias a mis cuentas"
    INTERNAL = "internal", "Transferencias Cooprogreso"
    INTERBANK = "interbank", "Transferencias Interbancarias"


class IdType(models.TextChoices):
    CEDULA = "cedula", "Cédula"
    RUC = "ruc", "RUC"
    PASSPORT = "pasaporte", "Pasaporte"


class Institution(models.Model):
    """A financial institution of the interbank network ("Entidad financiera")."""

    code = models.CharField("código en la red", max_length=10, unique=True)
    name = models.CharField("nombre", max_length=120)
    immediate = models.BooleanField(
        "acreditación inmediata",
        default=False,
        help_text="Si no, acredita hasta en 24 horas laborables.",
    )
    is_active = models.BooleanField("vigente", default=True)

    class Meta:
        verbose_name = "institución financiera"
        verbose_name_plural = "instituciones financieras"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Beneficiary(models.Model):
    """Someone a member transfers to: another member's account (``account``) or an account
    at another institution. Deleting one hides it (``deleted_at``): the transfers already
    made to it keep saying who received them."""

    class Kind(models.TextChoices):
        INTERNAL = "internal", "Beneficiario Cooprogreso"
        EXTERNAL = "external", "Beneficiario Otros Bancos"

    class AccountType(models.TextChoices):
        SAVINGS = "savings", "Ahorros"
        CHECKING = "checking", "Corriente"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="beneficiaries")
    kind = models.CharField("servicio", max_length=10, choices=Kind)
    alias = models.CharField("alias", max_length=40, blank=True)
    email = models.EmailField("email", blank=True)
    name = models.CharField("beneficiario", max_length=120)
    id_type = models.CharField("tipo de identificación", max_length=10, choices=IdType, blank=True)
    id_number = models.CharField("identificación", max_length=20, blank=True)
    account = models.ForeignKey(
        DepositAccount,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="cuenta Cooprogreso",
    )
    institution = models.ForeignKey(
        Institution,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name="entidad financiera",
    )
    account_type = models.CharField(
        "tipo de cuenta", max_length=10, choices=AccountType, blank=True
    )
    account_number = models.CharField("número de cuenta", max_length=20)
    created_at = models.DateTimeField("registrado", default=timezone.now)
    deleted_at = models.DateTimeField("eliminado", null=True, blank=True)

    class Meta:
        verbose_name = "beneficiario"
        verbose_name_plural = "beneficiarios"
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind="internal", account__isnull=False, institution__isnull=True)
                    | Q(kind="external", account__isnull=True, institution__isnull=False)
                ),
                name="beneficiary_kind_matches_destination",
            ),
            models.UniqueConstraint(
                fields=["member", "account"],
                condition=Q(deleted_at__isnull=True, kind="internal"),
                name="beneficiary_internal_once",
            ),
            models.UniqueConstraint(
                fields=["member", "institution", "account_number"],
                condition=Q(deleted_at__isnull=True, kind="external"),
                name="beneficiary_external_once",
            ),
        ]
        indexes = [models.Index(fields=["member", "kind"], name="beneficiary_by_member")]

    def __str__(self) -> str:
        return self.alias or self.name


class TransferLimit(models.Model):
    """The cooperative's maximums per transfer type; a member may only set lower ones."""

    kind = models.CharField(
        "tipo de transferencia", max_length=10, choices=TransferKind, unique=True
    )
    daily = models.DecimalField(
        "máximo diario", max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )
    weekly = models.DecimalField(
        "máximo semanal", max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )
    monthly = models.DecimalField(
        "máximo mensual", max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )

    class Meta:
        verbose_name = "cupo máximo de la cooperativa"
        verbose_name_plural = "cupos máximos de la cooperativa"
        ordering = ["kind"]
        constraints = [
            models.CheckConstraint(
                condition=Q(daily__lte=models.F("weekly"), weekly__lte=models.F("monthly")),
                name="transfer_limit_ordered",
            )
        ]

    def __str__(self) -> str:
        return self.get_kind_display()


class MemberLimit(models.Model):
    """A member's own lower limits ("Personalización de cupos")."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="transfer_limits")
    kind = models.CharField("tipo de transferencia", max_length=10, choices=TransferKind)
    daily = models.DecimalField("monto diario", max_digits=14, decimal_places=2)
    weekly = models.DecimalField("monto semanal", max_digits=14, decimal_places=2)
    monthly = models.DecimalField("monto mensual", max_digits=14, decimal_places=2)
    updated_at = models.DateTimeField("actualizado", auto_now=True)

    class Meta:
        verbose_name = "cupo personalizado"
        verbose_name_plural = "cupos personalizados"
        constraints = [models.UniqueConstraint(fields=["member", "kind"], name="member_limit_once")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.member_id}"


class SettlementBatch(models.Model):
    """Interbank transfers sent to the network together (docs/settlement.md)."""

    class Status(models.TextChoices):
        OPEN = "open", "Preparado"
        SENT = "sent", "Enviado"
        DONE = "done", "Liquidado"

    number = models.CharField("número de lote", max_length=20, unique=True)
    business_date = models.DateField("fecha de proceso")
    status = models.CharField("estado", max_length=10, choices=Status, default=Status.OPEN)
    file = models.TextField("archivo enviado")
    created_at = models.DateTimeField("creado", auto_now_add=True)
    sent_at = models.DateTimeField("enviado", null=True, blank=True)
    done_at = models.DateTimeField("liquidado", null=True, blank=True)

    class Meta:
        verbose_name = "lote de compensación"
        verbose_name_plural = "lotes de compensación"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.number


class Transfer(models.Model):
    class Status(models.TextChoices):
        DONE = "done", "Realizada"
        PENDING = "pending", "Por enviar"
        SENT = "sent", "Enviada"
        SETTLED = "settled", "Acreditada"
        REJECTED = "rejected", "Rechazada y devuelta"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    key = models.CharField("clave de idempotencia", max_length=100, unique=True)
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="transfers")
    kind = models.CharField("tipo", max_length=10, choices=TransferKind)
    origin = models.ForeignKey(
        DepositAccount, on_delete=models.PROTECT, related_name="+", verbose_name="cuenta de origen"
    )
    destination = models.ForeignKey(
        DepositAccount,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="cuenta de destino",
    )
    beneficiary = models.ForeignKey(
        Beneficiary, on_delete=models.PROTECT, null=True, blank=True, related_name="transfers"
    )
    amount = models.DecimalField(
        "monto", max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    commission = models.DecimalField("comisión", max_digits=10, decimal_places=2, default=0)
    iva = models.DecimalField("IVA", max_digits=10, decimal_places=2, default=0)
    currency = models.CharField("moneda", max_length=3)
    motive = models.CharField("motivo", max_length=120, blank=True)
    funds_origin = models.CharField("origen de fondos", max_length=120, blank=True)
    funds_destination = models.CharField("destino de fondos", max_length=120, blank=True)
    payee_check = models.CharField("confirmación del beneficiario", max_length=20, blank=True)
    journal = models.OneToOneField(Journal, on_delete=models.PROTECT, related_name="transfer")
    value_date = models.DateField("fecha valor")
    status = models.CharField("estado", max_length=10, choices=Status)
    batch = models.ForeignKey(
        SettlementBatch,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transfers",
        verbose_name="lote",
    )
    network_reference = models.CharField("referencia de la red", max_length=40, blank=True)
    rejection_reason = models.CharField("motivo de rechazo", max_length=120, blank=True)
    refund_journal = models.OneToOneField(
        Journal, on_delete=models.PROTECT, null=True, blank=True, related_name="refunded_transfer"
    )
    created_at = models.DateTimeField("fecha", default=timezone.now)
    updated_at = models.DateTimeField("actualizado", auto_now=True)

    class Meta:
        verbose_name = "transferencia"
        verbose_name_plural = "transferencias"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="own", destination__isnull=False) | ~Q(kind="own"),
                name="transfer_own_has_destination",
            ),
            models.CheckConstraint(
                condition=Q(kind="interbank", beneficiary__isnull=False) | ~Q(kind="interbank"),
                name="transfer_interbank_has_beneficiary",
            ),
        ]
        indexes = [
            # the running totals of the limits: one member, one kind, since a date
            models.Index(fields=["member", "kind", "created_at"], name="transfer_totals"),
            models.Index(
                fields=["value_date"], condition=Q(status="pending"), name="transfer_to_settle"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} ({self.journal_id})"

    @property
    def total(self) -> Decimal:
        """ "Total a debitar"."""
        return self.amount + self.commission + self.iva

"""Members' products. Money lives in the ledger; these rows say what each ledger account is
to the member: its number, type, status and signature condition."""

import uuid

from django.db import models
from django.db.models import Q

from accounts.models import Member
from ledger.models import Account as LedgerAccount


class ProductType(models.Model):
    """The cooperative's account types, as its channel names them (CUENTA DE AHORROS,
    CERTIFICADOS DE APORTACIÓN, CUENTA PROGRESAR CLIENTES; APORTACIONES, CAPITAL EXTERNO…)."""

    class Family(models.TextChoices):
        SAVINGS = "savings", "Ahorros"
        CONTRIBUTION = "contribution", "Aportaciones"

    code = models.CharField("código", max_length=10, unique=True)
    name = models.CharField("nombre", max_length=80)
    family = models.CharField("familia", max_length=15, choices=Family)
    currency = models.CharField("moneda", max_length=3, default="USD")
    transactional = models.BooleanField(
        "admite transferencias y pagos",
        default=True,
        help_text="Los certificados de aportación no se debitan desde los canales.",
    )
    is_active = models.BooleanField("vigente", default=True)

    class Meta:
        verbose_name = "tipo de cuenta"
        verbose_name_plural = "tipos de cuenta"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class DepositAccount(models.Model):
    """A savings account or contribution certificate ("Cuentas" in the manuals)."""

    class Status(models.TextChoices):
        ACTIVE = "active", "ACTIVA"
        INACTIVE = "inactive", "INACTIVA"

    class Signature(models.TextChoices):
        SINGLE = "single", "Única"
        EITHER = "either", "Indistinta"
        JOINT = "joint", "Conjunta"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="deposit_accounts")
    product_type = models.ForeignKey(ProductType, on_delete=models.PROTECT, verbose_name="tipo")
    number = models.CharField("número", max_length=20, unique=True)
    status = models.CharField("estado", max_length=10, choices=Status, default=Status.ACTIVE)
    signature = models.CharField(
        "condición de firma", max_length=10, choices=Signature, default=Signature.SINGLE
    )
    ledger_account = models.OneToOneField(
        LedgerAccount, on_delete=models.PROTECT, related_name="deposit_account"
    )
    opened_at = models.DateTimeField("apertura", auto_now_add=True)

    class Meta:
        verbose_name = "cuenta"
        verbose_name_plural = "cuentas"
        ordering = ["opened_at", "pk"]
        indexes = [
            models.Index(
                fields=["member"], condition=Q(status="active"), name="products_active_by_member"
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.product_type}"

    @property
    def can_transact(self) -> bool:
        """Whether the member may debit it from the channels ("las cuentas con firma conjunta
        no podrán transaccionar")."""
        return (
            self.status == self.Status.ACTIVE
            and self.signature != self.Signature.JOINT
            and self.product_type.transactional
        )


class VerifiedDocument(models.Model):
    """A PDF the portal issued (receipt, statement, movements): its verification code and
    the key figures a third party can check at /verificar/<code>/."""

    class Kind(models.TextChoices):
        MOVEMENTS = "movements", "Detalle de movimientos"
        STATEMENT = "statement", "Estado de cuenta"
        RECEIPT = "receipt", "Comprobante"

    code = models.CharField("código de verificación", max_length=16, unique=True)
    kind = models.CharField("documento", max_length=12, choices=Kind)
    figures = models.JSONField("cifras clave")
    issued_at = models.DateTimeField("emitido", auto_now_add=True)

    class Meta:
        verbose_name = "documento verificable"
        verbose_name_plural = "documentos verificables"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.code}"

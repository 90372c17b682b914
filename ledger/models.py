"""The ledger's tables. Amounts are integer minor units (cents); see ``core.money``.

Journals and postings are append-only: no UPDATE, no DELETE — refused here in the ORM,
in the admin, and by database triggers (``ledger/sql.py``). A correction is a reversal
journal pointing to the journal it reverses. Account rows carry the stored balance and
the held amount, updated in the same transaction as the postings.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.money import from_minor


class AppendOnlyError(Exception):
    """Journals and postings are never changed or deleted; post a reversal instead."""


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("Los asientos contables no se modifican: registra un reverso.")

    def delete(self):
        raise AppendOnlyError("Los asientos contables no se eliminan: registra un reverso.")


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("Los asientos contables no se modifican: registra un reverso.")
        kwargs["force_insert"] = True  # never an UPDATE, even with an explicit primary key
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Los asientos contables no se eliminan: registra un reverso.")


class Account(models.Model):
    """A ledger account: a member product or one of the cooperative's own books."""

    class Kind(models.TextChoices):
        ASSET = "asset", "Activo"
        LIABILITY = "liability", "Pasivo"
        EQUITY = "equity", "Patrimonio"
        INCOME = "income", "Ingreso"
        EXPENSE = "expense", "Gasto"

    class Side(models.TextChoices):
        DEBIT = "D", "Deudora"
        CREDIT = "C", "Acreedora"

    class Status(models.TextChoices):
        ACTIVE = "active", "Activa"
        BLOCKED = "blocked", "Bloqueada"
        CLOSED = "closed", "Cerrada"

    code = models.CharField("código", max_length=60, unique=True)
    name = models.CharField("nombre", max_length=120)
    kind = models.CharField("tipo", max_length=10, choices=Kind)
    normal_side = models.CharField("naturaleza", max_length=1, choices=Side)
    currency = models.CharField("moneda", max_length=3)
    balance_minor = models.BigIntegerField("saldo contable (centavos)", default=0)
    held_minor = models.BigIntegerField("retenido (centavos)", default=0)
    forbid_negative = models.BooleanField("no admite saldo disponible negativo", default=False)
    status = models.CharField("estado", max_length=10, choices=Status, default=Status.ACTIVE)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="shards",
        help_text="Cuenta de la que esta es una partición (cuentas muy concurridas).",
    )
    last_posted_at = models.DateTimeField("último movimiento", null=True, blank=True)
    created_at = models.DateTimeField("creada", auto_now_add=True)

    class Meta:
        db_table = "ledger_account"
        verbose_name = "cuenta contable"
        verbose_name_plural = "cuentas contables"
        constraints = [
            models.CheckConstraint(
                condition=Q(forbid_negative=False) | Q(balance_minor__gte=models.F("held_minor")),
                name="ledger_account_available_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(held_minor__gte=0), name="ledger_account_held_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"

    @property
    def balance(self):
        return from_minor(self.balance_minor)

    @property
    def held(self):
        return from_minor(self.held_minor)

    @property
    def available(self):
        return from_minor(self.balance_minor - self.held_minor)

    def normal_delta(self, signed_minor: int) -> int:
        """How a debit-positive amount changes this account's balance."""
        return signed_minor if self.normal_side == self.Side.DEBIT else -signed_minor


class Kind(models.TextChoices):
    """What business operation a journal records."""

    DEPOSIT = "deposit", "Depósito"
    WITHDRAWAL = "withdrawal", "Retiro"
    TRANSFER_OWN = "transfer_own", "Transferencia entre cuentas propias"
    TRANSFER_INTERNAL = "transfer_internal", "Transferencia Cooprogreso"
    TRANSFER_INTERBANK = "transfer_interbank", "Transferencia interbancaria"
    SETTLEMENT = "settlement", "Liquidación interbancaria"
    BILL_PAYMENT = "bill_payment", "Pago de servicios"
    CARD_PAYMENT = "card_payment", "Pago de tarjeta"
    CARD_PURCHASE = "card_purchase", "Consumo con tarjeta"
    CARD_DEFERRAL = "card_deferral", "Diferido de consumos"
    LOAN_DISBURSEMENT = "loan_disbursement", "Desembolso de crédito"
    LOAN_PAYMENT = "loan_payment", "Pago de crédito"
    TERM_DEPOSIT = "term_deposit", "Inversión"
    INTEREST = "interest", "Intereses"
    FEE = "fee", "Comisión"
    PAYROLL = "payroll", "Pago masivo"
    EXCHANGE = "exchange", "Cambio de moneda"
    OPENING = "opening", "Saldo inicial"
    REVERSAL = "reversal", "Reverso"


class Channel(models.TextChoices):
    WEB = "web", "Banca Web"
    APP = "app", "App"
    ENTERPRISE = "enterprise", "Empresas"
    BRANCH = "branch", "Agencia"
    SYSTEM = "system", "Sistema"


class Journal(AppendOnlyModel):
    """One business operation — a transfer, a bill payment, a payroll chunk — as a whole.

    Its id is the "Comprobante N.º" members see. Its postings sum to zero per currency.
    """

    id = models.BigIntegerField(primary_key=True)
    idempotency_key = models.CharField("clave de idempotencia", max_length=200)
    request_hash = models.CharField("huella de la solicitud", max_length=64)
    kind = models.CharField("tipo", max_length=30, choices=Kind)
    channel = models.CharField("canal", max_length=12, choices=Channel, default=Channel.SYSTEM)
    motive = models.CharField("motivo", max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        verbose_name="usuario",
    )
    source_type = models.CharField("origen (modelo)", max_length=60, blank=True)
    source_id = models.CharField("origen (id)", max_length=64, blank=True)
    reverses = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversals",
        db_index=False,
        verbose_name="reversa a",
    )
    value_date = models.DateField("fecha valor")
    created_at = models.DateTimeField("fecha")

    class Meta:
        db_table = "ledger_journal"
        verbose_name = "comprobante"
        verbose_name_plural = "comprobantes"
        # Every index here is paid on every posting: only the ones reads need, no
        # LIKE-pattern twin for the key, partial where most rows have no value.
        constraints = [
            models.UniqueConstraint(fields=["idempotency_key"], name="ledger_journal_key"),
            models.UniqueConstraint(
                fields=["reverses"],
                condition=Q(reverses__isnull=False),
                name="ledger_journal_reversed_once",
            ),
        ]
        indexes = [
            models.Index(
                fields=["source_type", "source_id"],
                condition=~Q(source_type=""),
                name="ledger_journal_source",
            )
        ]

    def __str__(self) -> str:
        return f"Comprobante N.º {self.id}"

    @property
    def reference(self) -> str:
        return Journal.reference_of(self.id)

    @staticmethod
    def reference_of(journal_id: int) -> str:
        """The reference of journal ``journal_id`` (its number), without reading it."""
        return str(journal_id)


class Posting(AppendOnlyModel):
    """One leg of a journal on one account: what a member sees as a movement."""

    id = models.BigAutoField(primary_key=True)
    journal = models.ForeignKey(Journal, on_delete=models.PROTECT, related_name="postings")
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="postings", db_index=False
    )  # indexed first in ledger_posting_account_time
    amount_minor = models.BigIntegerField("monto (centavos, débito positivo)")
    currency = models.CharField("moneda", max_length=3)
    balance_after_minor = models.BigIntegerField("saldo luego del movimiento (centavos)")
    description = models.CharField("concepto", max_length=120)
    created_at = models.DateTimeField("fecha")

    class Meta:
        db_table = "ledger_posting"
        verbose_name = "movimiento"
        verbose_name_plural = "movimientos"
        constraints = [
            models.CheckConstraint(condition=~Q(amount_minor=0), name="ledger_posting_not_zero")
        ]
        indexes = [
            models.Index(
                fields=["account", "-created_at", "-id"], name="ledger_posting_account_time"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.description} {from_minor(self.amount_minor)}"


class Hold(models.Model):
    """Money reserved on an account (two-phase): captured into a journal or released."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Vigente"
        CAPTURED = "captured", "Ejecutada"
        RELEASED = "released", "Liberada"

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="holds")
    amount_minor = models.BigIntegerField("monto (centavos)")
    status = models.CharField("estado", max_length=10, choices=Status, default=Status.ACTIVE)
    idempotency_key = models.CharField("clave de idempotencia", max_length=200, unique=True)
    description = models.CharField("concepto", max_length=120)
    source_type = models.CharField("origen (modelo)", max_length=60, blank=True)
    source_id = models.CharField("origen (id)", max_length=64, blank=True)
    expires_at = models.DateTimeField("vence", null=True, blank=True)
    journal = models.ForeignKey(
        Journal, null=True, blank=True, on_delete=models.PROTECT, related_name="captured_holds"
    )
    created_at = models.DateTimeField("creada", auto_now_add=True)
    resolved_at = models.DateTimeField("resuelta", null=True, blank=True)

    class Meta:
        db_table = "ledger_hold"
        verbose_name = "retención"
        verbose_name_plural = "retenciones"
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="ledger_hold_positive")
        ]
        indexes = [
            models.Index(
                fields=["expires_at"],
                condition=Q(status="active"),
                name="ledger_hold_active_expiry",
            )
        ]

    def __str__(self) -> str:
        return f"{self.description} {from_minor(self.amount_minor)}"

    @property
    def amount(self):
        return from_minor(self.amount_minor)


class Tariff(models.Model):
    """A dated fee: commission plus IVA, each posted as its own movement."""

    class Code(models.TextChoices):
        TRANSFER_OWN = "transfer_own", "Transferencia entre cuentas propias"
        TRANSFER_INTERNAL = "transfer_internal", "Transferencia Cooprogreso"
        TRANSFER_INTERBANK = "transfer_interbank", "Transferencia interbancaria"
        CARD_PAYMENT_INTERBANK = "card_payment_interbank", "Pago de tarjeta de otra entidad"
        BILL_PAYMENT = "bill_payment", "Pago de servicios"

    code = models.CharField("operación", max_length=30, choices=Code)
    subject = models.CharField(
        "aplica a",
        max_length=30,
        blank=True,
        help_text="Vacío: a toda la operación. Un código (el de una empresa de servicios) "
        "fija la tarifa de ese caso, que prevalece sobre la general.",
    )
    valid_from = models.DateField("vigente desde")
    commission = models.DecimalField("comisión", max_digits=18, decimal_places=2)
    iva_rate = models.DecimalField(
        "tasa de IVA", max_digits=5, decimal_places=4, help_text="0.1500 para 15 %."
    )
    commission_description = models.CharField("concepto de la comisión", max_length=120)
    iva_description = models.CharField("concepto del IVA", max_length=120)

    class Meta:
        db_table = "ledger_tariff"
        verbose_name = "tarifa"
        verbose_name_plural = "tarifario"
        ordering = ["code", "-valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["code", "subject", "valid_from"], name="ledger_tariff_one_per_day"
            ),
            models.CheckConstraint(condition=Q(commission__gte=0), name="ledger_tariff_commission"),
            models.CheckConstraint(
                condition=Q(iva_rate__gte=0) & Q(iva_rate__lt=1), name="ledger_tariff_iva_rate"
            ),
        ]

    def __str__(self) -> str:
        subject = f" ({self.subject})" if self.subject else ""
        return f"{self.get_code_display()}{subject} desde {self.valid_from:%d/%m/%Y}"


class CalendarDay(models.Model):
    """A staff correction to the country's holiday calendar (decree days, local holidays,
    or a working day the holidays package marks as a holiday)."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", "Feriado (no laborable)"
        WORKING = "working", "Día laborable"

    country = models.CharField("país", max_length=2)
    date = models.DateField("fecha")
    kind = models.CharField("tipo", max_length=10, choices=Kind)
    name = models.CharField("descripción", max_length=120)

    class Meta:
        db_table = "ledger_calendar_day"
        verbose_name = "día del calendario"
        verbose_name_plural = "calendario de feriados"
        ordering = ["-date"]
        constraints = [
            models.UniqueConstraint(fields=["country", "date"], name="ledger_calendar_day_unique")
        ]

    def __str__(self) -> str:
        return f"{self.date:%d/%m/%Y} {self.name}"

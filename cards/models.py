"""Members' cards. A card row says what a card is to the member — brand, masked number,
holder, expiry, status — and, for a credit card, its limit ("cupo") and the figures of
its last statement. Money lives in the ledger: a credit card owns two receivables,
"Utilizado rotativo" and "Utilizado diferido"; a debit card spends from the savings
account it is linked to and owns no ledger account.

The full card number (PAN) is never stored: only its BIN (first six digits), its last
four and an HMAC keyed by a settings secret (``cards.numbers.pan_digest``), which refuses
the same number twice and finds a card by its number without being able to show it.
See ``docs/cards.md``.
"""

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.models import Member
from core.masking import mask_card
from ledger.models import Account as LedgerAccount
from ledger.models import Journal
from products.models import DepositAccount, EmailDelivery, VerifiedDocument

ZERO = Decimal("0.00")
DEFERRAL_TERMS = (3, 6, 9, 12, 18, 24, 36)  # months a purchase may be deferred to


class Card(models.Model):
    """A debit or credit card ("Tarjeta débito", "Tarjeta de crédito")."""

    class Kind(models.TextChoices):
        DEBIT = "debit", "Débito"
        CREDIT = "credit", "Crédito"

    class Brand(models.TextChoices):
        VISA = "visa", "VISA"
        MASTERCARD = "mastercard", "MASTERCARD"

    class Status(models.TextChoices):
        ACTIVE = "active", "ACTIVA"
        BLOCKED = "blocked", "BLOQUEADA"
        CANCELLED = "cancelled", "CANCELADA"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="cards")
    kind = models.CharField("tipo", max_length=6, choices=Kind)
    brand = models.CharField("marca", max_length=10, choices=Brand)
    bin = models.CharField("BIN (primeros seis dígitos)", max_length=6)
    last4 = models.CharField("últimos cuatro dígitos", max_length=4)
    pan_hmac = models.CharField("huella del número", max_length=64, unique=True, editable=False)
    holder_name = models.CharField("titular", max_length=80)
    expiry_month = models.PositiveSmallIntegerField("mes de vencimiento")
    expiry_year = models.PositiveSmallIntegerField("año de vencimiento")
    status = models.CharField("estado", max_length=10, choices=Status, default=Status.ACTIVE)
    # "Bloqueo temporal": the member's own lock, kept apart from the cooperative's status.
    # The member sets and lifts it (``cards.locks``); lifting it never lifts a staff block.
    locked_by_member_at = models.DateTimeField(
        "bloqueo temporal del socio desde", null=True, blank=True
    )

    # Debit cards: the account purchases and withdrawals are debited from.
    account = models.ForeignKey(
        DepositAccount,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cards",
        verbose_name="cuenta vinculada",
    )

    # Credit cards: the limit, the rate deferrals are priced at, the two receivables
    # and the figures of the last statement.
    credit_limit = models.DecimalField(
        "cupo", max_digits=14, decimal_places=2, null=True, blank=True
    )
    annual_rate = models.DecimalField(
        "tasa nominal anual",
        max_digits=7,
        decimal_places=6,
        null=True,
        blank=True,
        help_text="Para diferir consumos (cuota fija a la tasa mensual). 0.156000 = 15.6 %",
    )
    revolving_account = models.OneToOneField(
        LedgerAccount,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="card_revolving",
        verbose_name="cuenta contable rotativo",
    )
    deferred_account = models.OneToOneField(
        LedgerAccount,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="card_deferred",
        verbose_name="cuenta contable diferido",
    )
    statement_date = models.DateField("fecha de corte", null=True, blank=True)
    minimum_payment = models.DecimalField(
        "pago mínimo", max_digits=14, decimal_places=2, default=ZERO
    )
    payment_due = models.DateField("fecha máx. de pago", null=True, blank=True)
    # The day of each month a credit card's statement closes (1–28, so every month has it).
    statement_day = models.PositiveSmallIntegerField("día de corte", null=True, blank=True)

    issued_at = models.DateTimeField("emitida", auto_now_add=True)

    class Meta:
        verbose_name = "tarjeta"
        verbose_name_plural = "tarjetas"
        ordering = ["issued_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(
                        kind="debit",
                        account__isnull=False,
                        credit_limit__isnull=True,
                        annual_rate__isnull=True,
                        revolving_account__isnull=True,
                        deferred_account__isnull=True,
                    )
                    | Q(
                        kind="credit",
                        account__isnull=True,
                        credit_limit__gt=0,
                        annual_rate__gte=0,
                        revolving_account__isnull=False,
                        deferred_account__isnull=False,
                    )
                ),
                name="cards_card_kind_shape",
            ),
            models.CheckConstraint(
                condition=Q(bin__regex=r"^[0-9]{6}$") & Q(last4__regex=r"^[0-9]{4}$"),
                name="cards_card_masked_digits",
            ),
            models.CheckConstraint(
                condition=Q(expiry_month__gte=1) & Q(expiry_month__lte=12),
                name="cards_card_expiry_month",
            ),
            models.CheckConstraint(
                condition=Q(minimum_payment__gte=0), name="cards_card_minimum_payment"
            ),
            models.CheckConstraint(
                condition=Q(kind="debit", statement_day__isnull=True)
                | Q(kind="credit", statement_day__gte=1, statement_day__lte=28),
                name="cards_card_statement_day",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_brand_display()} {self.get_kind_display()} {self.masked_number}"

    @property
    def masked_number(self) -> str:
        return mask_card(self.bin, self.last4)

    @property
    def expiry(self) -> str:
        """ "Válido hasta" as printed on the card: ``MM/AA``."""
        return f"{self.expiry_month:02d}/{self.expiry_year % 100:02d}"

    @property
    def is_credit(self) -> bool:
        return self.kind == self.Kind.CREDIT

    @property
    def member_locked(self) -> bool:
        """The member locked it ("Bloqueo temporal"), whatever the cooperative's status."""
        return self.locked_by_member_at is not None

    @property
    def status_label(self) -> str:
        """ "Estado" as the member reads it: the cooperative's status, or "BLOQUEO
        TEMPORAL" for an active card its member locked."""
        if self.status == self.Status.ACTIVE and self.member_locked:
            return "BLOQUEO TEMPORAL"
        return self.get_status_display()

    # The credit figures read the receivables' stored balances: O(1), no postings summed.
    # Callers select_related both accounts (``cards.selectors.member_cards`` does).

    @property
    def revolving_used(self) -> Decimal:
        """ "Utilizado rotativo"."""
        return self.revolving_account.balance

    @property
    def deferred_used(self) -> Decimal:
        """ "Utilizado diferido"."""
        return self.deferred_account.balance

    @property
    def used(self) -> Decimal:
        """ "Consumo hasta la fecha": revolving and deferred."""
        return self.revolving_used + self.deferred_used

    @property
    def available_limit(self) -> Decimal:
        """ "Cupo disponible": the limit less what is used, never shown below zero (staff
        may lower a limit under what is already used)."""
        return max(ZERO, self.credit_limit - self.revolving_used - self.deferred_used)


class CardPurchase(models.Model):
    """A purchase ("consumo") charged to a credit card: one ledger journal, and the line
    "Diferir consumos" will list (description, value, date)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    card = models.ForeignKey(
        Card, on_delete=models.PROTECT, related_name="purchases", db_index=False
    )  # indexed first in cards_purchase_by_card
    idempotency_key = models.CharField("clave de idempotencia", max_length=200, unique=True)
    description = models.CharField("descripción", max_length=80)
    amount = models.DecimalField("valor", max_digits=14, decimal_places=2)
    purchased_at = models.DateTimeField("fecha")
    journal_id = models.BigIntegerField("comprobante")

    class Meta:
        verbose_name = "consumo"
        verbose_name_plural = "consumos"
        ordering = ["-purchased_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="cards_purchase_positive")
        ]
        indexes = [models.Index(fields=["card", "-purchased_at"], name="cards_purchase_by_card")]

    def __str__(self) -> str:
        return f"{self.description} {self.amount}"


class SimulatedCardPin(models.Model):
    """What the simulated card processor (``cards.processor.SimulatedCardProcessor``)
    knows of one card's PIN: its keyed digest — never the PIN — whether it is a temporary
    PIN still to be changed, and the wrong tries since the last right one. The processor
    knows a card only by its reference (the card's public id), as a real one would."""

    card_ref = models.UUIDField("referencia de la tarjeta", unique=True)
    pin_digest = models.CharField("huella de la clave", max_length=64)
    temporary = models.BooleanField("clave temporal", default=False)
    failed_attempts = models.PositiveSmallIntegerField("intentos fallidos", default=0)
    updated_at = models.DateTimeField("actualizada", auto_now=True)

    class Meta:
        verbose_name = "clave en el procesador simulado"
        verbose_name_plural = "claves en el procesador simulado"

    def __str__(self) -> str:
        return f"Clave de la tarjeta {self.card_ref}"


class SimulatedPinRequest(models.Model):
    """Each PIN request the simulated processor carried out, by its idempotency key: the
    same key changes or generates a PIN once."""

    class Action(models.TextChoices):
        CHANGE = "change", "Cambio de clave"
        TEMPORARY = "temporary", "Clave temporal"

    key = models.CharField("clave de idempotencia", max_length=100, unique=True)
    card_ref = models.UUIDField("referencia de la tarjeta")
    action = models.CharField("pedido", max_length=10, choices=Action)
    created_at = models.DateTimeField("fecha", auto_now_add=True)

    class Meta:
        verbose_name = "pedido al procesador simulado"
        verbose_name_plural = "pedidos al procesador simulado"

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.key}"


class CardStatement(models.Model):
    """One closed statement of a credit card ("Extracto de tarjeta"), one per card and
    month: the figures at the cut, frozen, for the PDF and the e-mail. Its lines are the
    revolving receivable's postings after the previous statement's cut up to this one's
    (append-only, so the PDF reads the same lines every time it is made).

    Written only by ``cards.services.card_statement_close``, under the card's lock."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    card = models.ForeignKey(Card, on_delete=models.PROTECT, related_name="statements")
    year = models.PositiveSmallIntegerField("año")
    month = models.PositiveSmallIntegerField("mes")
    statement_date = models.DateField("fecha de corte")
    period_start = models.DateField("desde")
    opened_after = models.DateTimeField("movimientos después de", null=True, blank=True)
    closed_at = models.DateTimeField("corte")
    currency = models.CharField("moneda", max_length=3)
    credit_limit = models.DecimalField("cupo total", max_digits=14, decimal_places=2)
    opening = models.DecimalField("saldo anterior", max_digits=14, decimal_places=2)
    charges = models.DecimalField("consumos y cargos", max_digits=14, decimal_places=2)
    credits = models.DecimalField("pagos y créditos", max_digits=14, decimal_places=2)
    closing = models.DecimalField("utilizado rotativo", max_digits=14, decimal_places=2)
    deferred = models.DecimalField("utilizado diferido", max_digits=14, decimal_places=2)
    installments = models.DecimalField(
        "cuotas de diferidos", max_digits=14, decimal_places=2, default=ZERO
    )
    minimum_payment = models.DecimalField("pago mínimo", max_digits=14, decimal_places=2)
    payment_due = models.DateField("fecha máx. de pago")

    class Meta:
        verbose_name = "extracto de tarjeta"
        verbose_name_plural = "extractos de tarjeta"
        ordering = ["-statement_date", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["card", "year", "month"], name="cards_statement_one_per_month"
            ),
            models.CheckConstraint(
                condition=Q(month__gte=1) & Q(month__lte=12), name="cards_statement_month"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.card.masked_number} {self.statement_date:%d/%m/%Y}"

    @property
    def used(self) -> Decimal:
        """ "Consumo hasta la fecha" at the cut: revolving and deferred."""
        return self.closing + self.deferred

    @property
    def available(self) -> Decimal:
        """ "Cupo disponible" at the cut, never below zero."""
        return max(ZERO, self.credit_limit - self.closing - self.deferred)


class StoredCardStatement(models.Model):
    """A closed card statement's PDF, rendered once and kept: every later download and the
    e-mail send these bytes with the same verification code
    (``cards.statements.statement_store``). Kept apart from :class:`CardStatement` so the
    rows the card's pages read never carry the file."""

    statement = models.OneToOneField(
        CardStatement, on_delete=models.PROTECT, related_name="stored", verbose_name="extracto"
    )
    document = models.OneToOneField(
        VerifiedDocument, on_delete=models.PROTECT, related_name="+", verbose_name="documento"
    )
    pdf = models.BinaryField("PDF")
    created_at = models.DateTimeField("generado", auto_now_add=True)

    class Meta:
        verbose_name = "extracto de tarjeta emitido"
        verbose_name_plural = "extractos de tarjeta emitidos"

    def __str__(self) -> str:
        return str(self.statement_id)


class CardStatementDelivery(EmailDelivery):
    """A statement e-mailed to its member ("Estado de Cuenta Tarjeta de Crédito"): claimed
    before sending and marked sent after, so the daily beat, a retried task or two workers
    send it once (``cards.statements.card_statement_deliver`` through
    ``products.deliveries.delivery_send_once``, as the monthly estado de cuenta is)."""

    statement = models.OneToOneField(
        CardStatement, on_delete=models.PROTECT, related_name="delivery", verbose_name="extracto"
    )

    class Meta:
        verbose_name = "envío de extracto de tarjeta"
        verbose_name_plural = "envíos de extractos de tarjeta"

    def __str__(self) -> str:
        return f"{self.statement} → {self.email or '—'}"


class CardDeferral(models.Model):
    """A deferral ("diferido", "Diferir consumos"): purchases of one credit card moved
    from its revolving to its deferred receivable and repaid in fixed monthly
    installments at the card's rate, each billed by a statement close
    (``cards/deferral.py``)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    card = models.ForeignKey(Card, on_delete=models.PROTECT, related_name="deferrals")
    idempotency_key = models.CharField("clave de idempotencia", max_length=200, unique=True)
    amount = models.DecimalField("total a diferir", max_digits=14, decimal_places=2)
    installments_count = models.PositiveSmallIntegerField(
        "número de cuotas", choices=[(n, f"{n} meses") for n in DEFERRAL_TERMS]
    )
    annual_rate = models.DecimalField("tasa nominal anual", max_digits=7, decimal_places=6)
    installment = models.DecimalField("valor cuota mensual", max_digits=14, decimal_places=2)
    created_at = models.DateTimeField("fecha")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    channel = models.CharField("canal", max_length=12)
    journal_id = models.BigIntegerField("comprobante", null=True)

    class Meta:
        verbose_name = "diferido"
        verbose_name_plural = "diferidos"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="cards_deferral_positive"),
            models.CheckConstraint(
                condition=Q(installments_count__in=DEFERRAL_TERMS), name="cards_deferral_term"
            ),
            models.CheckConstraint(
                condition=Q(installment__gt=0), name="cards_deferral_installment_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} a {self.installments_count} meses"


class CardDeferredPurchase(models.Model):
    """A purchase a deferral moved. A purchase is deferred at most once: the unique
    purchase refuses a second deferral of it, whatever the service checked."""

    deferral = models.ForeignKey(CardDeferral, on_delete=models.PROTECT, related_name="items")
    purchase = models.OneToOneField(
        CardPurchase, on_delete=models.PROTECT, related_name="deferred_in"
    )

    class Meta:
        verbose_name = "consumo diferido"
        verbose_name_plural = "consumos diferidos"

    def __str__(self) -> str:
        return f"{self.purchase} en {self.deferral}"


class CardDeferralInstallment(models.Model):
    """One monthly installment of a deferral, fixed when it was agreed: its capital and
    interest, and the statement ("fecha de corte") that billed it to revolving."""

    deferral = models.ForeignKey(CardDeferral, on_delete=models.PROTECT, related_name="schedule")
    number = models.PositiveSmallIntegerField("cuota")
    capital = models.DecimalField("capital", max_digits=14, decimal_places=2)
    interest = models.DecimalField("interés", max_digits=14, decimal_places=2)
    billed_on = models.DateField("facturada en el corte", null=True, blank=True)
    journal_id = models.BigIntegerField("comprobante", null=True, blank=True)

    class Meta:
        verbose_name = "cuota de diferido"
        verbose_name_plural = "cuotas de diferido"
        ordering = ["deferral", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["deferral", "number"], name="cards_deferral_installment_once"
            ),
            models.CheckConstraint(
                condition=Q(capital__gte=0) & Q(interest__gte=0),
                name="cards_deferral_installment_amounts",
            ),
        ]

    def __str__(self) -> str:
        return f"Cuota {self.number} de {self.deferral}"

    @property
    def total(self) -> Decimal:
        return self.capital + self.interest


class CardPayee(models.Model):
    """A card the member registered to pay ("Registrar tarjeta", "Pago de tarjetas";
    ``cards.payees``).

    A card of the cooperative is a row pointing at the ``Card``: nothing of its number is
    kept but what the card keeps. Another institution's card is named by the network's
    institution code and name (read through ``products.institutions``: the cards app
    cannot import the transfers app's table) and its full number, which the interbank
    rail needs: kept only encrypted with the project's key (``core.crypto.encrypt``),
    with its BIN, last four and a keyed digest (the one ``Card`` keeps, ``card-pan``) so
    the same card is not registered twice by one owner. Removing a payee hides it; the
    payments made to it keep naming it."""

    class IdType(models.TextChoices):
        CEDULA = "cedula", "Cédula"
        RUC = "ruc", "RUC"
        PASSPORT = "pasaporte", "Pasaporte"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="card_payees")
    card = models.ForeignKey(
        Card,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payees",
        verbose_name="tarjeta de la cooperativa",
    )
    institution_code = models.CharField("código de la entidad en la red", max_length=10, blank=True)
    institution_name = models.CharField("entidad financiera", max_length=120)
    bin = models.CharField("BIN (primeros seis dígitos)", max_length=6)
    last4 = models.CharField("últimos cuatro dígitos", max_length=4)
    pan_length = models.PositiveSmallIntegerField("dígitos del número", default=16)
    pan_hmac = models.CharField("huella del número", max_length=64, editable=False)
    pan_encrypted = models.TextField("número cifrado", blank=True, editable=False)
    id_type = models.CharField("tipo de identificación", max_length=10, choices=IdType)
    id_number = models.CharField("identificación", max_length=20)
    name = models.CharField("beneficiario", max_length=120)
    alias = models.CharField("alias", max_length=40, blank=True)
    email = models.EmailField("correo electrónico", blank=True)
    created_at = models.DateTimeField("registrada", auto_now_add=True)
    deleted_at = models.DateTimeField("eliminada", null=True, blank=True)

    class Meta:
        verbose_name = "tarjeta registrada para pagos"
        verbose_name_plural = "tarjetas registradas para pagos"
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(card__isnull=False, pan_encrypted="")
                    | (Q(card__isnull=True) & ~Q(pan_encrypted="") & ~Q(institution_code=""))
                ),
                name="cards_payee_cooperative_or_other",
            ),
            models.CheckConstraint(
                condition=Q(bin__regex=r"^[0-9]{6}$") & Q(last4__regex=r"^[0-9]{4}$"),
                name="cards_payee_masked_digits",
            ),
            models.UniqueConstraint(
                fields=["member", "pan_hmac"],
                condition=Q(deleted_at__isnull=True),
                name="cards_payee_once_per_owner",
            ),
        ]
        indexes = [models.Index(fields=["member", "name"], name="cards_payee_by_member")]

    def __str__(self) -> str:
        return f"{self.alias or self.name} {self.masked_number}"

    @property
    def masked_number(self) -> str:
        return mask_card(self.bin, self.last4, length=self.pan_length)

    @property
    def is_cooperative(self) -> bool:
        """A card of the cooperative (paid at once), not another institution's."""
        return self.card_id is not None


class CardPayment(models.Model):
    """A payment to a credit card ("Pago de tarjetas"; ``cards.payments``): from one of
    the owner's accounts to a card of the cooperative — which reduces its revolving
    receivable at once — or to another institution's card, which the interbank rail
    settles (*Por enviar → Enviado → Acreditado*, or *Rechazado y devuelto*).

    The journal is the money; this row says what it meant and where settlement is."""

    class Status(models.TextChoices):
        DONE = "done", "Realizado"
        PENDING = "pending", "Por enviar"
        SENT = "sent", "Enviado"
        SETTLED = "settled", "Acreditado"
        REJECTED = "rejected", "Rechazado y devuelto"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    key = models.CharField("clave de idempotencia", max_length=100, unique=True)
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="card_payments")
    origin = models.ForeignKey(
        DepositAccount, on_delete=models.PROTECT, related_name="+", verbose_name="cuenta de origen"
    )
    card = models.ForeignKey(
        Card,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
        verbose_name="tarjeta de la cooperativa",
    )
    payee = models.ForeignKey(
        CardPayee,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
        verbose_name="tarjeta registrada",
    )
    amount = models.DecimalField("monto", max_digits=14, decimal_places=2)
    commission = models.DecimalField("comisión", max_digits=10, decimal_places=2, default=ZERO)
    iva = models.DecimalField("IVA", max_digits=10, decimal_places=2, default=ZERO)
    currency = models.CharField("moneda", max_length=3)
    motive = models.CharField("motivo", max_length=120, blank=True)
    journal = models.OneToOneField(
        Journal, on_delete=models.PROTECT, related_name="card_payment", verbose_name="comprobante"
    )
    value_date = models.DateField("fecha valor")
    status = models.CharField("estado", max_length=10, choices=Status)
    batch_number = models.CharField("lote de compensación", max_length=20, blank=True)
    network_reference = models.CharField("referencia de la red", max_length=40, blank=True)
    rejection_reason = models.CharField("motivo de rechazo", max_length=120, blank=True)
    refund_journal = models.OneToOneField(
        Journal,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="refunded_card_payment",
        verbose_name="devolución",
    )
    created_at = models.DateTimeField("fecha")
    updated_at = models.DateTimeField("actualizado", auto_now=True)

    class Meta:
        verbose_name = "pago de tarjeta"
        verbose_name_plural = "pagos de tarjetas"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="cards_payment_positive"),
            models.CheckConstraint(
                condition=Q(card__isnull=False) | Q(payee__isnull=False),
                name="cards_payment_has_a_card",
            ),
        ]
        indexes = [
            models.Index(fields=["card", "created_at"], name="cards_payment_by_card"),
            models.Index(
                fields=["value_date"], condition=Q(status="pending"), name="cards_payment_to_settle"
            ),
            models.Index(
                fields=["batch_number"], condition=Q(status="sent"), name="cards_payment_sent"
            ),
        ]

    def __str__(self) -> str:
        return f"Pago de tarjeta {self.amount} ({self.journal_id})"

    @property
    def total(self) -> Decimal:
        """ "Total a debitar"."""
        return self.amount + self.commission + self.iva

    @property
    def interbank(self) -> bool:
        return self.card_id is None

"""Members' products. Money lives in the ledger; these rows say what each ledger account is
to the member: its number, type, status and signature condition."""

import uuid

from django.db import models
from django.db.models import Q

from accounts.models import Member
from core.links import uuid_link
from core.masking import mask_number
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
    interest_rate = models.DecimalField(
        "tasa de interés anual",
        max_digits=7,
        decimal_places=6,
        default=0,
        help_text="Se capitaliza cada mes sobre el saldo diario (base 360). 0.015000 = 1.5 %",
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

    def page_url(self) -> str:
        """The member's page of it (one UUID link, `core.links`)."""
        return uuid_link("products:account", self.public_id)

    @property
    def masked_name(self) -> str:
        """Its type and its masked number, as reviews and receipts name it: "CUENTA DE
        AHORROS *****0019"."""
        return f"{self.product_type.name} {mask_number(self.number)}"

    def share_text(self, cooperative: str) -> str:
        """What the position's «Compartir» hands to the phone: the cooperative, the
        account's type and number, its holder and the holder's identification."""
        member = self.member
        parts = [cooperative, self.product_type.name, f"N.º {self.number}", member.full_name]
        if member.id_number:
            parts.append(f"{member.get_id_type_display()} {member.id_number}")
        return " · ".join(parts)

    @property
    def can_transact(self) -> bool:
        """Whether the member may debit it from the channels ("las cuentas con firma conjunta
        no podrán transaccionar")."""
        return (
            self.status == self.Status.ACTIVE
            and self.signature != self.Signature.JOINT
            and self.product_type.transactional
        )


class LoanType(models.Model):
    """A credit product ("Tipo de crédito"): CONSUMO AGIL, CONSUMO PRIORITARIO
    PREFERENCIAL… with the rates a new loan of the type starts from."""

    code = models.CharField("código", max_length=10, unique=True)
    name = models.CharField("nombre", max_length=80)
    currency = models.CharField("moneda", max_length=3, default="USD")
    annual_rate = models.DecimalField(
        "tasa nominal anual", max_digits=7, decimal_places=6, help_text="0.156000 = 15.6 %"
    )
    insurance_rate = models.DecimalField(
        "tasa anual de seguro de desgravamen", max_digits=7, decimal_places=6, default=0
    )
    late_surcharge = models.DecimalField(
        "recargo por mora",
        max_digits=5,
        decimal_places=4,
        default=0,
        help_text="Fracción de la tasa que se suma sobre el capital vencido (0.1 = 10 %).",
    )
    is_active = models.BooleanField("vigente", default=True)

    class Meta:
        verbose_name = "tipo de crédito"
        verbose_name_plural = "tipos de crédito"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Loan(models.Model):
    """A member's credit ("Crédito"): the terms it was granted on, its schedule
    (``installments``) and its receivable in the ledger, whose balance is the "Saldo del
    crédito"."""

    class Status(models.TextChoices):
        CURRENT = "current", "VIGENTE"
        OVERDUE = "overdue", "VENCIDO"
        PAID_OFF = "paid_off", "CANCELADO"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="loans")
    loan_type = models.ForeignKey(LoanType, on_delete=models.PROTECT, verbose_name="tipo")
    number = models.CharField("número de crédito", max_length=20, unique=True)
    principal = models.DecimalField("monto", max_digits=14, decimal_places=2)
    annual_rate = models.DecimalField("tasa nominal anual", max_digits=7, decimal_places=6)
    insurance_rate = models.DecimalField("tasa de desgravamen", max_digits=7, decimal_places=6)
    late_surcharge = models.DecimalField("recargo por mora", max_digits=5, decimal_places=4)
    installments_count = models.PositiveSmallIntegerField("número de cuotas")
    payment = models.DecimalField("cuota de crédito", max_digits=14, decimal_places=2)
    granted_on = models.DateField("fecha de crédito")
    status = models.CharField("estado", max_length=10, choices=Status, default=Status.CURRENT)
    disbursement_account = models.ForeignKey(
        DepositAccount,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="cuenta de desembolso",
    )
    ledger_account = models.OneToOneField(
        LedgerAccount, on_delete=models.PROTECT, related_name="loan"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "crédito"
        verbose_name_plural = "créditos"
        ordering = ["granted_on", "pk"]

    def __str__(self) -> str:
        return f"{self.number} {self.loan_type}"

    def page_url(self) -> str:
        """The member's page of it (one UUID link, `core.links`)."""
        return uuid_link("products:loan", self.public_id)


class Installment(models.Model):
    """One row of the amortization table. Paying it is a ledger journal; this row only
    remembers which journal paid it."""

    class State(models.TextChoices):
        PENDING = "pending", "POR VENCER"
        OVERDUE = "overdue", "VENCIDA"
        PAID = "paid", "PAGADA"

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="installments")
    number = models.PositiveSmallIntegerField("número de cuota")
    due_date = models.DateField("fecha de pago")
    balance = models.DecimalField("saldo capital", max_digits=14, decimal_places=2)
    capital = models.DecimalField("capital", max_digits=14, decimal_places=2)
    interest = models.DecimalField("interés", max_digits=14, decimal_places=2)
    insurance = models.DecimalField("seguro desgravamen", max_digits=14, decimal_places=2)
    state = models.CharField("estado", max_length=10, choices=State, default=State.PENDING)
    paid_at = models.DateTimeField("pagada", null=True, blank=True)
    late_charge = models.DecimalField("mora pagada", max_digits=14, decimal_places=2, default=0)
    journal_id = models.BigIntegerField("asiento de pago", null=True, blank=True)
    # The idempotency key of the request that paid it: the same request again gets the
    # same receipt; any other is told the installment is already paid.
    paid_key = models.CharField("clave del pago", max_length=64, blank=True)

    class Meta:
        verbose_name = "cuota"
        verbose_name_plural = "cuotas"
        ordering = ["loan", "number"]
        constraints = [
            models.UniqueConstraint(fields=["loan", "number"], name="products_installment_once")
        ]
        indexes = [
            models.Index(
                fields=["loan", "number"],
                condition=~Q(state="paid"),
                name="products_installment_unpaid",
            ),
            models.Index(
                fields=["due_date"], condition=Q(state="pending"), name="products_installment_due"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.loan.number} cuota {self.number}"

    @property
    def total(self):
        return self.capital + self.interest + self.insurance


class TermDepositType(models.Model):
    """An investment product ("póliza"): its day-count basis and rate table live here."""

    class Basis(models.IntegerChoices):
        ACTUAL_360 = 360, "Actual/360"
        ACTUAL_365 = 365, "Actual/365"

    code = models.CharField("código", max_length=10, unique=True)
    name = models.CharField("nombre", max_length=80)
    currency = models.CharField("moneda", max_length=3, default="USD")
    day_basis = models.PositiveSmallIntegerField(
        "base de cálculo", choices=Basis, default=Basis.ACTUAL_360
    )
    is_active = models.BooleanField("vigente", default=True)

    class Meta:
        verbose_name = "tipo de inversión"
        verbose_name_plural = "tipos de inversión"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class TermDeposit(models.Model):
    """A póliza ("Inversiones"): capital taken from an account, paid back with its
    interest (net of withholding) into the same account at maturity."""

    class Status(models.TextChoices):
        ACTIVE = "active", "VIGENTE"
        PAID = "paid", "PAGADA"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="term_deposits")
    deposit_type = models.ForeignKey(TermDepositType, on_delete=models.PROTECT, verbose_name="tipo")
    number = models.CharField("número", max_length=20, unique=True)
    capital = models.DecimalField("capital", max_digits=14, decimal_places=2)
    annual_rate = models.DecimalField("tasa de interés", max_digits=7, decimal_places=6)
    term_days = models.PositiveSmallIntegerField("plazo (días)")
    day_basis = models.PositiveSmallIntegerField("base de cálculo")
    withholding_rate = models.DecimalField("retención", max_digits=5, decimal_places=4)
    issued_on = models.DateField("fecha emisión")
    matures_on = models.DateField("fecha vencimiento")
    status = models.CharField("estado", max_length=10, choices=Status, default=Status.ACTIVE)
    account = models.ForeignKey(
        DepositAccount, on_delete=models.PROTECT, related_name="+", verbose_name="cuenta"
    )
    ledger_account = models.OneToOneField(
        LedgerAccount, on_delete=models.PROTECT, related_name="term_deposit"
    )
    interest_paid = models.DecimalField(
        "interés pagado", max_digits=14, decimal_places=2, default=0
    )
    paid_at = models.DateTimeField("pagada", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "inversión"
        verbose_name_plural = "inversiones"
        ordering = ["issued_on", "pk"]
        indexes = [
            models.Index(
                fields=["matures_on"], condition=Q(status="active"), name="products_td_maturing"
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.deposit_type}"

    def page_url(self) -> str:
        """The member's page of it (one UUID link, `core.links`)."""
        return uuid_link("products:term_deposit", self.public_id)


class ProductRequest(models.Model):
    """ "Solicita tus productos": what a member asked for, for staff to follow up."""

    class Kind(models.TextChoices):
        ACCOUNT = "account", "Cuenta"
        LOAN = "loan", "Crédito"
        INVESTMENT = "investment", "Inversión"
        CARD = "card", "Tarjeta de crédito"

    class Status(models.TextChoices):
        RECEIVED = "received", "RECIBIDA"
        IN_PROGRESS = "in_progress", "EN TRÁMITE"
        APPROVED = "approved", "APROBADA"
        DECLINED = "declined", "NEGADA"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="product_requests")
    kind = models.CharField("producto", max_length=12, choices=Kind)
    amount = models.DecimalField("monto", max_digits=14, decimal_places=2, null=True, blank=True)
    term = models.PositiveSmallIntegerField("plazo", null=True, blank=True)
    comment = models.TextField("comentario", max_length=500, blank=True)
    status = models.CharField("estado", max_length=12, choices=Status, default=Status.RECEIVED)
    staff_note = models.TextField("nota interna", blank=True)
    created_at = models.DateTimeField("fecha", auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "solicitud de producto"
        verbose_name_plural = "solicitudes de productos"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.member}"


class VerifiedDocument(models.Model):
    """A PDF the portal issued (receipt, statement, movements): its verification code and
    the labelled fields a third party can check at /verificar/<code>/, exactly as the PDF
    prints them (``figures``: a list of ``[label, value]`` pairs, in the paper's order)."""

    class Kind(models.TextChoices):
        MOVEMENTS = "movements", "Detalle de movimientos"
        STATEMENT = "statement", "Estado de cuenta"
        RECEIPT = "receipt", "Comprobante"
        AMORTIZATION = "amortization", "Tabla de amortización"
        PAYMENTS = "payments", "Historial de pagos"
        CARD_STATEMENT = "card_stmt", "Extracto de tarjeta"

    code = models.CharField("código de verificación", max_length=16, unique=True)
    kind = models.CharField("documento", max_length=12, choices=Kind)
    figures = models.JSONField("cifras clave")
    issued_at = models.DateTimeField("emitido", auto_now_add=True)

    class Meta:
        verbose_name = "documento verificable"
        verbose_name_plural = "documentos verificables"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.code}"

    @property
    def fields(self) -> list[tuple[str, str]]:
        """(label, value) as the document prints them. Documents issued before the fields
        were stored in order kept a ``{label: value}`` mapping; they show what they
        recorded."""
        if isinstance(self.figures, dict):
            return [(str(label), str(value)) for label, value in self.figures.items()]
        return [(str(label), str(value)) for label, value in self.figures]


class EmailDelivery(models.Model):
    """A document e-mailed once: claimed before sending, marked sent after, with the
    address it went to and the verifiable document attached
    (``products.deliveries.delivery_send_once``)."""

    email = models.EmailField("enviado a", blank=True)
    claimed_at = models.DateTimeField("en envío desde", null=True, blank=True)
    attempts = models.PositiveSmallIntegerField("intentos", default=0)
    sent_at = models.DateTimeField("enviado", null=True, blank=True)
    document = models.ForeignKey(
        VerifiedDocument,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="documento",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True


class StatementDelivery(EmailDelivery):
    """One month's estado de cuenta e-mailed for one account. The row is unique per account
    and month and is claimed before sending, so the beat's runs on days 1–3, a retried task
    or two workers send it once (``products.statements.statement_deliver``)."""

    account = models.ForeignKey(
        DepositAccount,
        on_delete=models.PROTECT,
        related_name="statement_deliveries",
        verbose_name="cuenta",
    )
    year = models.PositiveSmallIntegerField("año")
    month = models.PositiveSmallIntegerField("mes")

    class Meta:
        verbose_name = "envío de estado de cuenta"
        verbose_name_plural = "envíos de estados de cuenta"
        ordering = ["-year", "-month", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "year", "month"], name="products_statement_once"
            ),
            models.CheckConstraint(
                condition=Q(month__gte=1, month__lte=12), name="products_statement_month"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account.number} {self.year}-{self.month:02d}"


class StoredStatement(models.Model):
    """A closed month's estado de cuenta, rendered once and kept: every later download, the
    e-mail of the monthly run included, sends these bytes with the same verification code
    (``products.statements.statement_store``). Nothing posts into a closed month, so the
    document never changes; it is never rendered again."""

    account = models.ForeignKey(
        DepositAccount,
        on_delete=models.PROTECT,
        related_name="stored_statements",
        verbose_name="cuenta",
    )
    year = models.PositiveSmallIntegerField("año")
    month = models.PositiveSmallIntegerField("mes")
    document = models.OneToOneField(
        VerifiedDocument, on_delete=models.PROTECT, related_name="+", verbose_name="documento"
    )
    pdf = models.BinaryField("PDF")
    movements = models.PositiveIntegerField("movimientos")
    created_at = models.DateTimeField("generado", auto_now_add=True)

    class Meta:
        verbose_name = "estado de cuenta emitido"
        verbose_name_plural = "estados de cuenta emitidos"
        ordering = ["-year", "-month", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "year", "month"], name="products_stored_statement_once"
            ),
            models.CheckConstraint(
                condition=Q(month__gte=1, month__lte=12), name="products_stored_statement_month"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account.number} {self.year}-{self.month:02d}"


class DocumentJob(models.Model):
    """A PDF or workbook too long to make while the member waits: a worker renders it
    (``products.jobs``), the member's page shows its progress and then offers the file,
    which belongs to that member alone and is deleted once it expires."""

    class Kind(models.TextChoices):
        MOVEMENTS_PDF = "movements_pdf", "Detalle de movimientos (PDF)"
        MOVEMENTS_XLSX = "movements_xlsx", "Detalle de movimientos (Excel)"
        STATEMENT = "statement", "Estado de cuenta"
        PAYMENTS_PDF = "payments_pdf", "Historial de pagos (PDF)"
        PAYMENTS_XLSX = "payments_xlsx", "Historial de pagos (Excel)"

    class Status(models.TextChoices):
        PENDING = "pending", "En cola"
        RUNNING = "running", "Generando"
        READY = "ready", "Listo"
        FAILED = "failed", "No se pudo generar"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="document_jobs", verbose_name="socio"
    )
    kind = models.CharField("documento", max_length=16, choices=Kind)
    params = models.JSONField("parámetros")
    # The same member asking for the same document again while one is under way or ready
    # gets that one (sha256 of kind and parameters).
    key = models.CharField("clave", max_length=64)
    status = models.CharField("estado", max_length=8, choices=Status, default=Status.PENDING)
    progress = models.PositiveSmallIntegerField("avance", default=0)
    claimed_at = models.DateTimeField("en proceso desde", null=True, blank=True)
    filename = models.CharField("archivo", max_length=120, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    body = models.BinaryField("contenido", null=True, blank=True)
    error = models.CharField("error", max_length=300, blank=True)
    created_at = models.DateTimeField("solicitado", auto_now_add=True)
    finished_at = models.DateTimeField("terminado", null=True, blank=True)
    expires_at = models.DateTimeField("caduca")

    class Meta:
        verbose_name = "documento en preparación"
        verbose_name_plural = "documentos en preparación"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["member", "key"], name="products_docjob_member_key"),
            models.Index(fields=["expires_at"], name="products_docjob_expires"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.get_status_display()}"

    @property
    def is_done(self) -> bool:
        return self.status in (self.Status.READY, self.Status.FAILED)

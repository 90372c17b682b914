import uuid

from django.contrib.auth.models import AbstractUser
from django.contrib.sessions.base_session import AbstractBaseSession
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from accounts import identification
from accounts.exceptions import CompanyHasNoPortalUser

# What staff read when a company (persona jurídica) is entered wrong.
LEGAL_NEEDS_RUC = "Una persona jurídica se identifica con su RUC."
LEGAL_NEEDS_ENTITY_RUC = (
    "El RUC de una persona jurídica es el de una sociedad privada o una entidad pública "
    "(tercer dígito 9 o 6)."
)
LEGAL_NEEDS_BUSINESS_NAME = "Indica la razón social de la persona jurídica."
LEGAL_HAS_NO_PERSONAL_DATA = (
    "Una persona jurídica no tiene nombres, apellidos ni fecha de nacimiento: usa la razón social."
)
LEGAL_SIGNS_IN_ELSEWHERE = CompanyHasNoPortalUser.message


class SecurityImage(models.Model):
    """The catalog of security images (Billete, Sombrero, Mapa…)."""

    slug = models.SlugField(unique=True)
    name = models.CharField("nombre", max_length=40)
    position = models.PositiveSmallIntegerField("orden", default=0)

    class Meta:
        verbose_name = "imagen de seguridad"
        verbose_name_plural = "imágenes de seguridad"
        ordering = ["position"]

    def __str__(self) -> str:
        return self.name

    @property
    def static_path(self) -> str:
        return f"img/security/{self.slug}.svg"


class User(AbstractUser):
    """A person who signs in: a member, an enterprise user or branch staff."""

    class Theme(models.TextChoices):
        SYSTEM = "system", "Según el dispositivo"
        LIGHT = "light", "Claro"
        DARK = "dark", "Oscuro"

    last_login_device = models.CharField(
        "dispositivo de la última conexión", max_length=120, blank=True
    )
    must_personalize = models.BooleanField(
        "debe personalizar sus credenciales",
        default=False,
        help_text="Credenciales temporales: al ingresar debe elegir usuario, preguntas, "
        "imagen y contraseña.",
    )
    credentials_expire_at = models.DateTimeField(
        "las credenciales temporales vencen", null=True, blank=True
    )
    failed_login_count = models.PositiveSmallIntegerField("intentos fallidos", default=0)
    locked_at = models.DateTimeField("bloqueado desde", null=True, blank=True)
    security_image = models.ForeignKey(
        SecurityImage,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        verbose_name="imagen de seguridad",
    )
    security_image_name = models.CharField("nombre de la imagen", max_length=40, blank=True)
    password_changed_at = models.DateTimeField("cambio de contraseña", null=True, blank=True)
    theme = models.CharField("tema", max_length=10, choices=Theme, default=Theme.SYSTEM)
    hide_amounts = models.BooleanField(
        "ocultar montos", default=False, help_text="El ícono de ojo de la posición consolidada."
    )
    subscribed_news = models.BooleanField("novedades de la cooperativa", default=False)
    subscribed_statement = models.BooleanField("estado de cuenta mensual", default=False)
    subscribed_card_statement = models.BooleanField("estado de cuenta de tarjeta", default=False)
    transaction_pin = models.CharField(
        "PIN transaccional",
        max_length=128,
        blank=True,
        help_text="Solo el hash; perfiles que confirman operaciones con PIN.",
    )

    class Meta:
        verbose_name = "usuario"
        verbose_name_plural = "usuarios"
        constraints = [
            # "MariaPerez" and "mariaperez" are one username: sign-in compares without case.
            models.UniqueConstraint(Lower("username"), name="username_unique_ignoring_case")
        ]

    @property
    def portal_audience(self) -> str:
        return "member"

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None

    def save(self, *args, **kwargs):
        # Saved blocked, locked or with a password set through the model (the admin's
        # forms): none of the user's sessions survives. Services that write these fields
        # with update() end the sessions themselves (accounts.sessions.user_sessions_end).
        ends_sessions = self.pk is not None and (
            not self.is_active or self.locked_at is not None or self._password is not None
        )
        super().save(*args, **kwargs)
        if ends_sessions:
            Session.objects.filter(user_id=self.pk).delete()


class Session(AbstractBaseSession):
    """A server session that knows whose it is (``SESSION_ENGINE = "accounts.sessions"``):
    blocking, locking or a new password ends all of a user's sessions with one DELETE."""

    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    class Meta(AbstractBaseSession.Meta):
        verbose_name = "sesión"
        verbose_name_plural = "sesiones"

    @classmethod
    def get_session_store_class(cls):
        from accounts.sessions import SessionStore

        return SessionStore


class Member(models.Model):
    """A socio of the cooperative, created by branch staff: a natural person, or a company
    (a legal entity, identified by its RUC) that owns accounts but never signs in to the
    member portal — its people will use Web Empresas."""

    class Kind(models.TextChoices):
        NATURAL = "natural", "Persona natural"
        LEGAL = "legal", "Persona jurídica"

    class IdType(models.TextChoices):
        CEDULA = identification.CEDULA, "Cédula"
        RUC = identification.RUC, "RUC"
        PASSPORT = identification.PASSPORT, "Pasaporte"

    kind = models.CharField("tipo de socio", max_length=10, choices=Kind, default=Kind.NATURAL)
    user = models.OneToOneField(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="member"
    )
    member_number = models.CharField("número de socio", max_length=20, unique=True)
    id_type = models.CharField("tipo de identificación", max_length=10, choices=IdType)
    id_number = models.CharField("número de identificación", max_length=20)
    first_names = models.CharField("nombres", max_length=100, blank=True)
    last_names = models.CharField("apellidos", max_length=100, blank=True)
    business_name = models.CharField(
        "razón social", max_length=200, blank=True, help_text="Solo de una persona jurídica."
    )
    email = models.EmailField("correo electrónico")
    mobile_phone = models.CharField("celular", max_length=20)
    birth_date = models.DateField("fecha de nacimiento", null=True, blank=True)
    address = models.CharField("dirección", max_length=255)
    created_at = models.DateTimeField("creado", auto_now_add=True)

    class Meta:
        verbose_name = "socio"
        verbose_name_plural = "socios"
        constraints = [
            models.UniqueConstraint(
                fields=["id_type", "id_number"], name="unique_member_identification"
            ),
            models.CheckConstraint(
                condition=models.Q(kind="natural") | models.Q(id_type=identification.RUC),
                name="legal_member_has_ruc",
                violation_error_message=LEGAL_NEEDS_RUC,
            ),
            models.CheckConstraint(
                condition=models.Q(kind="natural") | ~models.Q(business_name=""),
                name="legal_member_has_business_name",
                violation_error_message=LEGAL_NEEDS_BUSINESS_NAME,
            ),
            models.CheckConstraint(
                condition=models.Q(kind="natural") | models.Q(user__isnull=True),
                name="legal_member_has_no_user",
                violation_error_message=LEGAL_SIGNS_IN_ELSEWHERE,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.member_number})"

    @property
    def is_company(self) -> bool:
        return self.kind == self.Kind.LEGAL

    @property
    def full_name(self) -> str:
        """The name products, statements and receipts print: a company's razón social, a
        person's names and surnames."""
        if self.is_company:
            return self.business_name
        return f"{self.first_names} {self.last_names}"

    @property
    def greeting_name(self) -> str:
        """How a notice addresses the member: "Hola María Fernanda", "Hola Comercial
        Andina S.A."."""
        return self.business_name if self.is_company else self.first_names

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        if self.id_type and self.id_number:
            try:
                self.id_number = identification.normalize_identification(
                    self.id_type, self.id_number
                )
            except ValidationError as exc:
                errors["id_number"] = exc.messages
        if self.is_company:
            self._clean_company(errors)
        else:
            self._clean_person(errors)
        if errors:
            raise ValidationError(errors)

    def _clean_company(self, errors: dict[str, list[str]]) -> None:
        if self.id_type != self.IdType.RUC:
            errors.setdefault("id_type", []).append(LEGAL_NEEDS_RUC)
        elif "id_number" not in errors and not identification.ruc_is_entity(self.id_number):
            errors["id_number"] = [LEGAL_NEEDS_ENTITY_RUC]
        if not self.business_name.strip():
            errors["business_name"] = [LEGAL_NEEDS_BUSINESS_NAME]
        for field in ("first_names", "last_names", "birth_date"):
            if getattr(self, field):
                errors[field] = [LEGAL_HAS_NO_PERSONAL_DATA]
        if self.user_id is not None:
            # On the kind: the user is not something staff edit, the kind is.
            errors.setdefault("kind", []).append(LEGAL_SIGNS_IN_ELSEWHERE)

    def _clean_person(self, errors: dict[str, list[str]]) -> None:
        required = "Este campo es obligatorio para una persona natural."
        for field in ("first_names", "last_names", "birth_date"):
            value = getattr(self, field)
            if value is None or (isinstance(value, str) and not value.strip()):
                errors[field] = [required]
        if self.business_name:
            errors["business_name"] = ["Una persona natural no tiene razón social."]
        if (
            self.id_type == self.IdType.RUC
            and "id_number" not in errors
            and identification.ruc_is_entity(self.id_number)
        ):
            errors["id_number"] = [
                "Ese RUC es de una sociedad o entidad pública: regístrala como persona jurídica."
            ]


class PasswordHistory(models.Model):
    """Earlier password hashes, so a new password is not one of the last ones."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="password_history")
    password = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user} {self.created_at:%d/%m/%Y}"


class SecurityQuestion(models.Model):
    text = models.CharField("pregunta", max_length=160, unique=True)
    is_active = models.BooleanField("activa", default=True)

    class Meta:
        verbose_name = "pregunta de seguridad"
        verbose_name_plural = "preguntas de seguridad"
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.text


class SecurityAnswer(models.Model):
    """A member's answer, stored only as a password hash of its normalized form."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="security_answers")
    question = models.ForeignKey(SecurityQuestion, on_delete=models.PROTECT)
    answer_hash = models.CharField(max_length=128)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "question"], name="one_answer_per_question")
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.question}"


class TermsDocument(models.Model):
    """A versioned legal text members accept (terms, data treatment, service contract)."""

    class Kind(models.TextChoices):
        TERMS = "terms", "Términos y Condiciones Canales Digitales"
        DATA = "data", "Tratamiento de datos"
        CONTRACT = "contract", "Contrato de Servicios"

    kind = models.CharField("documento", max_length=10, choices=Kind)
    version = models.CharField("versión", max_length=20)
    title = models.CharField("título", max_length=160)
    body = models.TextField("texto")
    published_at = models.DateTimeField("publicado", default=timezone.now)

    class Meta:
        verbose_name = "documento legal"
        verbose_name_plural = "documentos legales"
        ordering = ["kind", "-published_at"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "version"], name="unique_terms_version")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} v{self.version}"


class TermsAcceptance(models.Model):
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="acceptances")
    document = models.ForeignKey(TermsDocument, on_delete=models.PROTECT)
    accepted_at = models.DateTimeField(auto_now_add=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = "aceptación"
        verbose_name_plural = "aceptaciones"
        ordering = ["-accepted_at"]

    def __str__(self) -> str:
        return f"{self.member} · {self.document}"


class Enrollment(models.Model):
    """A member's request for web access where a branch must approve it."""

    class Status(models.TextChoices):
        PENDING = "pending", "En proceso de aprobación"
        APPROVED = "approved", "Aprobada"
        REJECTED = "rejected", "Rechazada"

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="enrollments")
    status = models.CharField("estado", max_length=10, choices=Status, default=Status.PENDING)
    created_at = models.DateTimeField("solicitada", auto_now_add=True)
    decided_at = models.DateTimeField("resuelta", null=True, blank=True)
    decided_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField("motivo", max_length=200, blank=True)

    class Meta:
        verbose_name = "solicitud de afiliación"
        verbose_name_plural = "solicitudes de afiliación"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.member} · {self.get_status_display()}"


class Device(models.Model):
    """A browser a member chose to register ("Sí, guardar")."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="devices")
    token_hash = models.CharField(max_length=64, unique=True)
    alias = models.CharField("alias", max_length=40)
    browser = models.CharField("navegador", max_length=60, blank=True)
    system = models.CharField("sistema", max_length=60, blank=True)
    version = models.CharField("versión", max_length=30, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField("fecha activo", default=timezone.now)
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = "dispositivo"
        verbose_name_plural = "dispositivos"
        ordering = ["-last_seen_at"]

    def __str__(self) -> str:
        return f"{self.alias} ({self.browser} · {self.system})"


class Challenge(models.Model):
    """A second-factor challenge bound to a user, a purpose and one exact operation.

    OTP codes are stored only as an HMAC; transaction PINs and security answers are
    compared with the user's stored hashes. Single use, three attempts, short life.
    """

    class Method(models.TextChoices):
        OTP = "otp", "Código OTP"
        PIN = "pin", "PIN transaccional"
        QUESTION = "question", "Pregunta de seguridad"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="challenges")
    purpose = models.CharField(max_length=40)
    payload_digest = models.CharField(max_length=64)
    method = models.CharField(max_length=10, choices=Method, default=Method.OTP)
    code_hmac = models.CharField(max_length=64, blank=True)
    question = models.ForeignKey(SecurityQuestion, null=True, blank=True, on_delete=models.PROTECT)
    summary = models.CharField("operación", max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    last_sent_at = models.DateTimeField(null=True, blank=True)
    sends = models.PositiveSmallIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["user", "purpose", "created_at"]),
            # The open ones, which a new challenge voids: a handful whatever the history.
            models.Index(
                fields=["user", "purpose"],
                condition=models.Q(used_at__isnull=True, voided_at__isnull=True),
                name="accounts_challenge_open",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} {self.created_at:%d/%m/%Y %H:%M}"


class AuditEvent(models.Model):
    """A tamper-evident security log: each entry carries the hash of the previous one."""

    seq = models.BigIntegerField(unique=True)
    created_at = models.DateTimeField()
    event = models.CharField("evento", max_length=40)
    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="realizado por",
    )
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    data = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        db_table = "accounts_audit_event"
        verbose_name = "evento de seguridad"
        verbose_name_plural = "bitácora de seguridad"
        ordering = ["-seq"]
        indexes = [models.Index(fields=["user", "-seq"])]

    def __str__(self) -> str:
        return f"{self.created_at:%d/%m/%Y %H:%M} {self.event}"


def _private_storage():
    from django.conf import settings
    from django.core.files.storage import FileSystemStorage

    # Outside the web root and without a URL: files are served only through views that
    # check who is asking.
    return FileSystemStorage(location=settings.PRIVATE_MEDIA_ROOT, base_url=None)


def _complaint_upload_to(instance, filename: str) -> str:
    """A random name: nothing the member typed becomes part of a path."""
    extension = {"pdf": ".pdf", "png": ".png", "jpeg": ".jpg"}.get(
        getattr(instance, "_sniffed_type", ""), ""
    )
    return f"complaints/{uuid.uuid4().hex}{extension}"


class Complaint(models.Model):
    """ "Quejas y reclamos": stored for staff to follow up."""

    class Status(models.TextChoices):
        RECEIVED = "received", "Recibido"
        IN_PROGRESS = "in_progress", "En atención"
        CLOSED = "closed", "Cerrado"

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="complaints")
    product = models.CharField("producto", max_length=60)
    product_number = models.CharField("número de cuenta o tarjeta", max_length=30, blank=True)
    full_name = models.CharField("nombre y apellido", max_length=120)
    id_number = models.CharField("número de cédula o pasaporte", max_length=20)
    phone = models.CharField("celular", max_length=20)
    email = models.EmailField("correo")
    detail = models.TextField("detalle", max_length=2000)
    claim_amount = models.DecimalField("monto del reclamo", max_digits=18, decimal_places=2)
    returned_amount = models.DecimalField("monto devuelto", max_digits=18, decimal_places=2)
    attachment = models.FileField(
        "adjunto", upload_to=_complaint_upload_to, blank=True, storage=_private_storage
    )
    attachment_name = models.CharField("nombre original del adjunto", max_length=120, blank=True)
    data_consent = models.BooleanField("acepta el tratamiento de sus datos", default=False)
    status = models.CharField("estado", max_length=12, choices=Status, default=Status.RECEIVED)
    created_at = models.DateTimeField("recibido", auto_now_add=True)

    class Meta:
        verbose_name = "queja o reclamo"
        verbose_name_plural = "quejas y reclamos"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"N.º {self.pk} · {self.full_name} · {self.get_status_display()}"


class FaqEntry(models.Model):
    question = models.CharField("pregunta", max_length=200)
    answer = models.TextField("respuesta")
    position = models.PositiveSmallIntegerField("orden", default=0)
    is_active = models.BooleanField("publicada", default=True)

    class Meta:
        verbose_name = "pregunta frecuente"
        verbose_name_plural = "preguntas frecuentes"
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.question


class AuthenticatorApp(models.Model):
    """An authenticator app (TOTP) as a second way to answer a code challenge."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="authenticator")
    secret_encrypted = models.TextField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    last_used_step = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "app de autenticación"
        verbose_name_plural = "apps de autenticación"

    def __str__(self) -> str:
        return f"{self.user} ({'activa' if self.confirmed_at else 'pendiente'})"


class Passkey(models.Model):
    """A WebAuthn credential ("Registro biométrico"): sign in with the device's lock."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="passkeys")
    credential_id = models.CharField(max_length=512, unique=True)
    public_key = models.BinaryField()
    sign_count = models.BigIntegerField(default=0)
    name = models.CharField("nombre", max_length=40)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "passkey"
        verbose_name_plural = "passkeys"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} · {self.user}"


class Operation(models.Model):
    """One operation a user asks for — a transfer, a change of password, later a bill or a
    payroll — from the form to its result, stored so that it outlives the session.

    The payload is what the second factor and every approval are bound to (``digest``);
    it is kept encrypted. ``key`` is the idempotency key the executing service receives:
    executing the same row twice returns the first result. The states and their legal
    transitions are in ``accounts.operations.TRANSITIONS``."""

    class State(models.TextChoices):
        PREPARED = "prepared", "Preparada"
        AWAITING_CODE = "awaiting_code", "Esperando el código"
        PENDING_APPROVAL = "pending_approval", "Pendiente de aprobación"
        APPROVED = "approved", "Aprobada"
        EXECUTING = "executing", "En ejecución"
        EXECUTED = "executed", "Realizada"
        PARTIALLY_EXECUTED = "partially_executed", "Realizada parcialmente"
        REFUSED = "refused", "No realizada"
        REJECTED = "rejected", "Rechazada"
        EXPIRED = "expired", "Expirada"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    purpose = models.CharField("operación", max_length=40)
    owner = models.ForeignKey(
        Member,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="operations",
        verbose_name="titular",
        help_text="Vacío en los cambios de las credenciales propias de un usuario.",
    )
    created_by = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="operations",
        verbose_name="creada por",
    )
    channel = models.CharField("canal", max_length=12)
    payload_encrypted = models.TextField(blank=True)
    digest = models.CharField(max_length=64)
    key = models.CharField(max_length=64, unique=True)
    summary = models.CharField("detalle", max_length=200, blank=True)
    review = models.JSONField(default=list, blank=True)
    notes = models.JSONField(default=list, blank=True)
    state = models.CharField("estado", max_length=20, choices=State, default=State.PREPARED)
    signatures_required = models.PositiveSmallIntegerField(default=0)
    challenge = models.ForeignKey(
        Challenge, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    result = models.JSONField(default=dict, blank=True)
    error = models.CharField("motivo", max_length=300, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField("creada", default=timezone.now)
    expires_at = models.DateTimeField("expira")
    updated_at = models.DateTimeField(auto_now=True)
    executed_at = models.DateTimeField("realizada", null=True, blank=True)

    class Meta:
        verbose_name = "operación"
        verbose_name_plural = "operaciones"
        indexes = [
            models.Index(fields=["owner", "-created_at"]),
            models.Index(fields=["state", "expires_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.summary or self.purpose} ({self.get_state_display()})"


class OperationApproval(models.Model):
    """One signature on an operation, bound to the payload it saw: a changed payload has
    another digest, and the earlier signatures no longer count."""

    operation = models.ForeignKey(Operation, on_delete=models.CASCADE, related_name="approvals")
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    level = models.CharField("nivel de firma", max_length=10, blank=True)
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "aprobación"
        verbose_name_plural = "aprobaciones"
        constraints = [
            models.UniqueConstraint(
                fields=["operation", "user", "digest"], name="one_approval_per_user_and_payload"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.created_at:%d/%m/%Y %H:%M}"

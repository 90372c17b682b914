""" "Regístrate": a member asks for web access from the sign-in page.

Identification → Términos y Condiciones → Tratamiento de datos → code to the member's
registered phone and e-mail → temporary credentials by e-mail, or — where the profile
says a branch approves — a request "en proceso de aprobación".

Only natural persons with both notification channels on file who meet every requirement
other apps register (products: an active product) may enroll; a company (persona
jurídica) is a member without a member user, whose people use Web Empresas.
The page never tells a visitor whether an identification belongs to anybody: every
identification leads to the same steps. A member who cannot enroll learns why on their
own registered channels; an unknown identification gets a code step that accepts nothing.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_log
from accounts.credentials import temporary_username
from accounts.exceptions import CompanyHasNoPortalUser
from accounts.models import Enrollment, Member, TermsAcceptance, TermsDocument, User
from accounts.services import member_issue_credentials
from core.models import Cooperative
from core.notifications import notify
from core.profile import cooperative_current
from core.ratelimit import hit_limit


@dataclass(frozen=True)
class Eligibility:
    member: Member | None
    problem: str = ""  # told only to the member, on their own channels

    @property
    def ok(self) -> bool:
        return self.member is not None and not self.problem


# What other apps require of a member who enrolls. Identity knows members, not what they
# hold at the cooperative: an app that makes enrolling depend on it (products: an active
# product) registers a requirement in its AppConfig.ready, so identity never imports the
# apps above it. A requirement takes the member and returns what they still need — told
# only to them, on their own channels ("necesitas …") — or "" when they meet it. They
# are asked in the order registered, after identity's own checks.
Requirement = Callable[[Member], str]
_requirements: list[Requirement] = []


def enrollment_requirement_register(requirement: Requirement) -> Requirement:
    """Adds ``requirement`` to what :func:`enrollment_find` asks (once)."""
    if requirement not in _requirements:
        _requirements.append(requirement)
    return requirement


COMPANY_PROBLEM = (
    "una persona jurídica no se registra en la banca de socios; quienes actúan por ella "
    "ingresan por Web Empresas con el Formulario Enrolamiento Empresas que entregan "
    "nuestras agencias"
)


def _compact(value: str) -> str:
    return re.sub(r"[\s.-]", "", value or "").upper()


def enrollment_find(
    *, id_number: str, member_number: str | None = None, birth_date: date | None = None
) -> Eligibility:
    member = Member.objects.select_related("user").filter(id_number=_compact(id_number)).first()
    if member is None:
        return Eligibility(None)
    if member_number is not None and (
        member.member_number != member_number.strip() or member.birth_date != birth_date
    ):
        return Eligibility(None)
    if member.is_company:
        return Eligibility(member, COMPANY_PROBLEM)
    user = member.user
    if user is not None and not user.is_active and user.has_usable_password():
        # Blocked by a branch: only a branch lifts it, never a self-service enrollment.
        return Eligibility(member, "tu usuario está bloqueado; acércate a una agencia")
    if user is not None and user.is_active and user.has_usable_password() and user.last_login:
        return Eligibility(
            member, "ya tienes un usuario; usa «Olvidé mi usuario» o «Olvidé mi contraseña»"
        )
    if Enrollment.objects.filter(member=member, status=Enrollment.Status.PENDING).exists():
        return Eligibility(member, "tu registro ya está en proceso de aprobación")
    if not (member.email and member.mobile_phone):
        return Eligibility(member, "necesitas actualizar tu correo y celular en una agencia")
    for requirement in _requirements:
        problem = requirement(member)
        if problem:
            return Eligibility(member, problem)
    return Eligibility(member)


def _tell_why(member_id: int, problem: str) -> None:
    member = Member.objects.get(pk=member_id)
    if hit_limit(f"enroll:explain:{member.pk}", 2, 3600):
        return  # told twice this hour already: no flood of messages
    coop = cooperative_current()
    text = f"{coop.short_name}: no pudimos completar tu registro en {coop.channel_name}: {problem}."
    notify(
        phone=member.mobile_phone,
        email=member.email,
        subject=f"{coop.short_name}: tu registro",
        body=text,
        kind="Registro no completado",
    )


def enrollment_explain(*, member: Member) -> None:
    """Sends a member who cannot enroll the reason, on their own channels (once per try)."""
    problem = enrollment_find(id_number=member.id_number).problem
    if problem:
        _tell_why(member.pk, problem)


def enrollment_user(*, member: Member) -> User:
    """The user a code for this member is bound to (created inactive, without a password,
    until the enrollment completes). A company never gets one."""
    if member.is_company:
        raise CompanyHasNoPortalUser()
    with transaction.atomic():
        locked = Member.objects.select_for_update().get(pk=member.pk)
        if locked.user is None:
            user = User.objects.create(
                username=temporary_username(),
                first_name=locked.first_names.split()[0],
                last_name=locked.last_names.split()[0],
                email=locked.email,
                password=make_password(None),
                is_active=False,
                must_personalize=True,
            )
            Member.objects.filter(pk=locked.pk).update(user=user)
            return user
        return locked.user


def current_documents(kinds) -> list[TermsDocument]:
    documents = []
    for kind in kinds:
        document = TermsDocument.objects.filter(kind=kind).order_by("-published_at").first()
        if document is not None:
            documents.append(document)
    return documents


def enrollment_complete(*, member: Member, document_ids: list[int], request) -> str:
    """Records the accepted texts and either issues credentials or files the request.
    Returns what the member is told."""
    coop = cooperative_current()
    with transaction.atomic():
        for document in TermsDocument.objects.filter(pk__in=document_ids):
            TermsAcceptance.objects.create(
                member=member,
                document=document,
                ip=request.META.get("REMOTE_ADDR"),
                user_agent=request.headers.get("User-Agent", "")[:300],
            )
        if coop.registration_mode == Cooperative.RegistrationMode.SELF_SERVICE:
            member_issue_credentials(
                member=member, actor=None, reason="Registro en línea", request=request
            )
            return "Revisa tu correo electrónico, te enviamos tu usuario y contraseña temporal."
        Enrollment.objects.create(member=member)
        audit_log(event="enrollment_requested", user=member.user, request=request)
        _tell_pending(member.pk)
        return "El registro efectuado está en proceso de aprobación."


def _tell_pending(member_id: int) -> None:
    member = Member.objects.get(pk=member_id)
    coop = cooperative_current()
    notify(
        email=member.email,
        subject=f"{coop.short_name}: registro en proceso de aprobación",
        body=(
            "El registro efectuado está en proceso de aprobación. Acércate a la oficina más "
            f"cercana para firmar el formulario de servicio de {coop.channel_name}; al "
            "aprobarlo te enviaremos tus credenciales a este correo."
        ),
        kind="Registro en aprobación",
    )


def enrollment_decide(
    *, enrollment: Enrollment, approve: bool, actor: User, reason: str, request=None
) -> Enrollment:
    """A branch approves (credentials are e-mailed) or rejects a pending request."""
    with transaction.atomic():
        locked = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
        if locked.status != Enrollment.Status.PENDING:
            return locked
        locked.status = Enrollment.Status.APPROVED if approve else Enrollment.Status.REJECTED
        locked.decided_at = timezone.now()
        locked.decided_by = actor
        locked.reason = reason
        locked.save()
        if approve:
            member_issue_credentials(
                member=locked.member,
                actor=actor,
                reason=f"Afiliación aprobada: {reason}",
                request=request,
            )
        else:
            audit_log(
                event="staff_action",
                user=locked.member.user,
                actor=actor,
                request=request,
                action="enrollment_rejected",
                reason=reason,
            )
    return locked

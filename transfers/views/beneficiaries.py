"""Administración de Beneficiarios: the list with its tabs and search, and registering,
editing and removing a beneficiary — each confirmed with the security code.

Every beneficiary id in a URL is looked up among the member's own (404 otherwise); the
"Validar" button shows the holder's name only masked, and is rate-limited so it cannot
be used to walk the coop's account numbers.
"""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST, require_safe

from accounts.audit import audit_log
from accounts.confirm import Operation, Prepared, operation_view
from accounts.notices import security_change_notify
from core.masking import mask_number
from core.profile import cooperative_current
from core.ratelimit import rate_limited
from transfers.beneficiaries import (
    beneficiary_add_external,
    beneficiary_add_internal,
    beneficiary_check_new,
    beneficiary_delete,
    beneficiary_update,
    internal_holder,
    member_beneficiaries,
    member_beneficiary,
)
from transfers.exceptions import BeneficiaryError
from transfers.forms import (
    BeneficiaryContactForm,
    DeleteForm,
    ExternalBeneficiaryForm,
    InternalBeneficiaryForm,
)
from transfers.models import Beneficiary, Institution
from transfers.views.transfers import _member, transfer_url

TABS = (
    ("cooprogreso", Beneficiary.Kind.INTERNAL),
    ("otros-bancos", Beneficiary.Kind.EXTERNAL),
    ("tarjetas", None),
)
VALIDATE_PER_IP = 60  # "Validar" presses per address in 15 minutes
VALIDATE_PER_MEMBER = 30


@login_required
@require_safe
def beneficiaries(request):
    """The three tabs — Beneficiario {coop} / Beneficiario Otros Bancos / Pago Tarjetas —
    each searchable by name, alias, identification, account or institution."""
    member = _member(request)
    tab = request.GET.get("tab", "cooprogreso")
    kinds = dict(TABS)
    if tab not in kinds:
        tab = "cooprogreso"
    search = request.GET.get("q", "").strip()[:60]
    rows = []
    if kinds[tab] is not None:
        rows = [
            {
                "b": b,
                "account": mask_number(b.account_number),
                "transfer_url": transfer_url(b),
            }
            for b in member_beneficiaries(member=member, kind=kinds[tab], search=search)
        ]
    coop = cooperative_current()
    return render(
        request,
        "transfers/beneficiaries/list.html",
        {
            "tab": tab,
            "tabs": [
                ("cooprogreso", f"Beneficiario {coop.short_name}"),
                ("otros-bancos", "Beneficiario Otros Bancos"),
                ("tarjetas", "Pago Tarjetas"),
            ],
            "search": search,
            "rows": rows,
        },
    )


def _lookup_limited(request, member) -> bool:
    """Counts one look-up of an account's holder ("Validar" or the form step) and tells
    whether the member or address went past the limit."""
    return rate_limited(
        request,
        "beneficiary-validate",
        per_ip=VALIDATE_PER_IP,
        key=str(member.pk),
        per_key=VALIDATE_PER_MEMBER,
    )


TOO_MANY = "Realizaste demasiadas consultas. Espera unos minutos e inténtalo de nuevo."


@login_required
@require_POST
def validate(request):
    """The "Validar" button of "Registrar cuenta interna": the holder's masked name, or
    why the number cannot be registered (an HTMX fragment)."""
    member = _member(request)
    form = InternalBeneficiaryForm(request.POST)
    form.is_valid()
    context = {}
    if _lookup_limited(request, member):
        context["error"] = TOO_MANY
    elif "numero_cuenta" in form.errors:
        context["error"] = form.errors["numero_cuenta"][0]
    else:
        try:
            holder = internal_holder(
                member=member, account_number=form.cleaned_data["numero_cuenta"]
            )
            context["holder"] = holder.masked_name
            beneficiary_check_new(member=member, account=holder.account)
        except BeneficiaryError as exc:
            context["error"] = exc.message
    return render(request, "transfers/beneficiaries/holder.html", context)


class BeneficiaryOperation(Operation):
    """What registering, editing and removing share: they come back to the list, or to
    the transfer that sent the member here (``?next=``, this site's paths only)."""

    back_url_name = "transfers:beneficiaries"
    add_kind: str | None = None
    form_template = "transfers/beneficiaries/form.html"
    done_template = "transfers/beneficiaries/done.html"

    def _next(self, request) -> str:
        """``?next=`` when it names one of the transfer pages, else nothing."""
        target = request.GET.get("next", "")
        allowed = {reverse("transfers:internal"), reverse("transfers:interbank")}
        return target if target in allowed else ""

    def back_url(self, request) -> str:
        """The transfer that sent the member here, or the list on the beneficiary's tab."""
        if target := self._next(request):
            return target
        kind = self.add_kind
        public_id = request.resolver_match.kwargs.get("public_id")
        if public_id is not None:  # removed ones too: "Cerrar" after "Sí, eliminar"
            cached = getattr(request, "_beneficiary", None)
            kind = (
                cached.kind
                if cached is not None
                else Beneficiary.objects.filter(member=_member(request), public_id=public_id)
                .values_list("kind", flat=True)
                .first()
            )
        tab = {v: k for k, v in TABS if v}.get(kind, "cooprogreso")
        return f"{reverse(self.back_url_name)}?tab={tab}"

    def action_url(self, request) -> str:
        target = self._next(request)
        return f"{request.path}?{urlencode({'next': target})}" if target else request.path

    def beneficiary(self, request) -> Beneficiary:
        """The member's beneficiary named in the URL (404 for anyone else's), looked up
        once per request."""
        if not hasattr(request, "_beneficiary"):
            request._beneficiary = member_beneficiary(
                member=_member(request), public_id=request.resolver_match.kwargs["public_id"]
            )
        return request._beneficiary

    def _done(self, request, beneficiary: Beneficiary, event: str) -> dict:
        """Records the change in the member's activity and, for a new beneficiary, tells
        the member on every channel: adding a payee is what an intruder does first."""
        audit_log(event=event, user=request.user, request=request, beneficiary=beneficiary.name)
        if event == "beneficiary_added":
            security_change_notify(
                user=request.user, what=f"se registró el beneficiario {beneficiary.name}"
            )
        return {"transfer_url": transfer_url(beneficiary)}


def _contact_review(form) -> list[tuple[str, str]]:
    data = form.cleaned_data
    return [
        ("Correo electrónico", data["correo"] or "—"),
        ("Alias", data["alias"] or "—"),
    ]


class BeneficiaryAddInternal(BeneficiaryOperation):
    purpose = "beneficiary_add_internal"
    add_kind = Beneficiary.Kind.INTERNAL
    title = "Registrar cuenta interna"
    form_class = InternalBeneficiaryForm
    submit_label = "Guardar beneficiario"
    review_title = "Confirmar beneficiario"
    done_title = "Beneficiario registrado exitosamente."

    @property
    def intro(self) -> str:
        coop = cooperative_current()
        return (
            f"Registra la cuenta de otro socio de {coop.short_name}: ingresa el número de "
            "cuenta y presiona Validar para ver a nombre de quién está."
        )

    def prepare(self, request, form):
        member = _member(request)
        data = form.cleaned_data
        if _lookup_limited(request, member):
            raise BeneficiaryError(TOO_MANY)
        holder = internal_holder(member=member, account_number=data["numero_cuenta"])
        beneficiary_check_new(member=member, account=holder.account)
        return Prepared(
            payload={
                "account_number": holder.account.number,
                "email": data["correo"],
                "alias": data["alias"],
            },
            review=[
                ("Número de cuenta", holder.account.number),
                ("Nombre del beneficiario", holder.masked_name),
                *_contact_review(form),
            ],
            summary=f"Registro del beneficiario {holder.masked_name}",
        )

    def execute(self, request, payload):
        beneficiary = beneficiary_add_internal(
            member=_member(request),
            account_number=payload["account_number"],
            alias=payload["alias"],
            email=payload["email"],
        )
        return self._done(request, beneficiary, "beneficiary_added")


class BeneficiaryAddExternal(BeneficiaryOperation):
    purpose = "beneficiary_add_external"
    add_kind = Beneficiary.Kind.EXTERNAL
    title = "Registrar cuenta interbancaria"
    intro = "Registra una cuenta de otro banco o cooperativa."
    form_class = ExternalBeneficiaryForm
    submit_label = "Guardar beneficiario"
    review_title = "Confirmar beneficiario"
    done_title = "Beneficiario registrado exitosamente."

    def prepare(self, request, form):
        member = _member(request)
        data = form.cleaned_data
        institution = data["entidad"]
        beneficiary_check_new(
            member=member, institution=institution, account_number=data["numero_cuenta"]
        )
        return Prepared(
            payload={
                "institution": institution.pk,
                "account_type": data["tipo_cuenta"],
                "account_number": data["numero_cuenta"],
                "name": data["nombre"],
                "id_type": data["tipo_identificacion"],
                "id_number": data["identificacion"],
                "email": data["correo"],
                "alias": data["alias"],
            },
            review=[
                ("Entidad financiera", institution.name),
                ("Tipo de cuenta", Beneficiary.AccountType(data["tipo_cuenta"]).label),
                ("Número de cuenta", data["numero_cuenta"]),
                ("Nombre del beneficiario", data["nombre"]),
                ("Identificación", data["identificacion"]),
                *_contact_review(form),
            ],
            summary=f"Registro del beneficiario {data['nombre']}",
        )

    def execute(self, request, payload):
        institution = Institution.objects.filter(pk=payload["institution"]).first()
        if institution is None:
            raise BeneficiaryError("La entidad financiera no está disponible.")
        beneficiary = beneficiary_add_external(
            member=_member(request),
            institution=institution,
            account_type=payload["account_type"],
            account_number=payload["account_number"],
            name=payload["name"],
            id_type=payload["id_type"],
            id_number=payload["id_number"],
            alias=payload["alias"],
            email=payload["email"],
        )
        return self._done(request, beneficiary, "beneficiary_added")


def _describe(beneficiary: Beneficiary) -> list[tuple[str, str]]:
    lines = [("Beneficiario", beneficiary.name)]
    if beneficiary.kind == Beneficiary.Kind.EXTERNAL:
        lines += [
            ("Entidad financiera", beneficiary.institution.name),
            ("Tipo de cuenta", beneficiary.get_account_type_display()),
            ("Identificación", beneficiary.id_number),
        ]
    lines.append(("N.º Cta.", mask_number(beneficiary.account_number)))
    return lines


class BeneficiaryEdit(BeneficiaryOperation):
    """ "Actualizar cuenta": the account is the beneficiary; alias and e-mail change."""

    purpose = "beneficiary_edit"
    form_class = BeneficiaryContactForm
    submit_label = "Confirmar"
    review_title = "Confirmar actualización"
    done_title = "Datos guardados exitosamente."

    title = "Actualizar cuenta"

    def initial(self, request):
        b = self.beneficiary(request)
        return {"correo": b.email, "alias": b.alias}

    def extra_context(self, request):
        return {"beneficiary_lines": _describe(self.beneficiary(request))}

    def prepare(self, request, form):
        b = self.beneficiary(request)
        return Prepared(
            payload={
                "beneficiary": str(b.public_id),
                "email": form.cleaned_data["correo"],
                "alias": form.cleaned_data["alias"],
            },
            review=[*_describe(b), *_contact_review(form)],
            summary=f"Actualización del beneficiario {b.name}",
        )

    def execute(self, request, payload):
        b = (
            member_beneficiaries(member=_member(request))
            .filter(public_id=payload["beneficiary"])
            .first()
        )
        if b is None:  # removed in another window while the code was on its way
            return {"title": "Este beneficiario ya no está en tu lista."}
        beneficiary_update(beneficiary=b, alias=payload["alias"], email=payload["email"])
        return self._done(request, b, "beneficiary_changed")


class BeneficiaryDelete(BeneficiaryOperation):
    purpose = "beneficiary_delete"
    title = "Eliminar beneficiario"
    form_class = DeleteForm
    review_title = "Eliminar beneficiario"
    submit_label = "Sí, eliminar"
    done_title = "Beneficiario eliminado."
    done_template = ""

    def extra_context(self, request):
        return {
            "beneficiary_lines": _describe(self.beneficiary(request)),
            "question": "¿Deseas eliminar este beneficiario? Las transferencias que ya le "
            "hiciste no cambian.",
        }

    def initial(self, request):
        self.beneficiary(request)  # another member's, or a removed one: 404
        return {}

    def prepare(self, request, form):
        b = self.beneficiary(request)
        return Prepared(
            payload={"beneficiary": str(b.public_id)},
            review=_describe(b),
            summary=f"Eliminación del beneficiario {b.name}",
        )

    def execute(self, request, payload):
        # Looked up among all the member's rows: a second tab that already removed it
        # finds it removed and the operation is simply done.
        b = Beneficiary.objects.filter(
            member=_member(request), public_id=payload["beneficiary"]
        ).first()
        if b is not None and b.deleted_at is None:
            beneficiary_delete(beneficiary=b)
            audit_log(
                event="beneficiary_removed", user=request.user, request=request, beneficiary=b.name
            )
        return {}


beneficiary_add_internal_view = operation_view(BeneficiaryAddInternal())
beneficiary_add_external_view = operation_view(BeneficiaryAddExternal())
beneficiary_edit = operation_view(BeneficiaryEdit())
beneficiary_delete_view = operation_view(BeneficiaryDelete())

"""The operations of the transfers app — the three kinds of transfer, registering,
editing and removing a beneficiary, and "Personalización de Cupos" — each declared once:
its form, its rules (``prepare``: every check, the review lines and the notes) and its
execution, idempotent by the operation's key. The dialog (``accounts.confirm``) drives
them in a browser; a worker can execute them with no request (``accounts.operations``).
"""

from decimal import Decimal

from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from accounts.operations import Actor, OperationKind, Prepared, operation_kind_register
from accounts.owners import request_owner
from core.masking import mask_number
from core.money import format_money
from core.profile import cooperative_current
from core.ratelimit import rate_limited
from ledger.models import Channel, Journal
from products.models import DepositAccount
from products.receipts import receipt_result
from products.selectors import member_deposit_accounts
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
    LimitsForm,
    TransferForm,
)
from transfers.limits import (
    PERIODS,
    LimitError,
    cooperative_limits,
    customizable_kinds,
    member_limits,
    member_limits_update,
)
from transfers.models import Beneficiary, Institution, Transfer, TransferKind
from transfers.network import PayeeResult, network_get
from transfers.receipts import transfer_detail
from transfers.services import (
    DEFERRED_NOTE,
    TransferOrder,
    cooling_off_note,
    kind_label,
    transfer_execute,
    transfer_quote,
)

# --- Transferencias ----------------------------------------------------------------------


def transfer_url(beneficiary: Beneficiary) -> str:
    """The transfer form of the beneficiary's kind, with the beneficiary chosen."""
    name = (
        "transfers:internal"
        if beneficiary.kind == Beneficiary.Kind.INTERNAL
        else "transfers:interbank"
    )
    return f"{reverse(name)}?beneficiario={beneficiary.public_id}"


def transfer_notes(*, order: TransferOrder, quote, payee_check) -> list[str]:
    """The warnings under "Confirmar transferencia": a payee whose name does not match or
    could not be confirmed, a bank that credits later, a new beneficiary's cooling-off,
    and a transfer processed on the next business day."""
    notes = []
    if payee_check is not None:
        if payee_check.result == PayeeResult.UNAVAILABLE:
            notes.append(
                "No pudimos confirmar el titular con su institución: verifica el número "
                "de cuenta y el nombre antes de confirmar."
            )
        if payee_check.result in (PayeeResult.NO_MATCH, PayeeResult.CLOSE):
            notes.append(
                "Revisa el beneficiario antes de confirmar: el nombre registrado no coincide "
                "con el titular que reporta su institución. Si continúas, el dinero podría "
                "llegar a otra persona."
            )
        if not order.beneficiary.institution.immediate:
            notes.append(
                f"{order.beneficiary.institution.name} acredita hasta en 24 horas laborables."
            )
    if note := cooling_off_note(order.beneficiary, order.currency):
        notes.append(note)
    if quote.deferred:
        notes.append(f"{DEFERRED_NOTE}: se procesará el {quote.value_date.strftime('%d/%m/%Y')}.")
    return notes


class TransferOperation(OperationKind):
    """One kind of transfer; the form offers only the owner's accounts and beneficiaries,
    and ``prepare``/``execute`` check everything again."""

    kind: str = ""
    purpose = "transfer"
    form_class = TransferForm
    form_template = "transfers/partials/transfer_form.html"
    done_template = "transfers/partials/transfer_done.html"
    submit_label = "Continuar"
    review_title = "Confirmar transferencia"
    back_url_name = "transfers:index"

    def _beneficiary_kind(self) -> str | None:
        return {
            TransferKind.INTERNAL: Beneficiary.Kind.INTERNAL,
            TransferKind.INTERBANK: Beneficiary.Kind.EXTERNAL,
        }.get(self.kind)

    def form_kwargs(self, actor: Actor) -> dict:
        kind = self._beneficiary_kind()
        return {
            "kind": self.kind,
            "accounts": member_deposit_accounts(member=actor.owner),
            "beneficiaries": list(member_beneficiaries(member=actor.owner, kind=kind))
            if kind
            else [],
            "ask_funds": cooperative_current().funds_origin_threshold is not None,
        }

    def initial(self, request, actor: Actor) -> dict:
        beneficiary = request.GET.get("beneficiario", "")
        return {"destino": beneficiary} if beneficiary else {}

    def extra_context(self, request, actor: Actor) -> dict:
        context = {"kind": self.kind, "deferred_note": DEFERRED_NOTE}
        add_url = {
            TransferKind.INTERNAL: "transfers:beneficiary_add_internal",
            TransferKind.INTERBANK: "transfers:beneficiary_add_external",
        }.get(self.kind)
        if add_url:
            context["add_beneficiary_url"] = (
                f"{reverse(add_url)}?{urlencode({'next': request.path})}"
            )
        return context

    def _order(self, form) -> TransferOrder:
        data = form.cleaned_data
        destination = data.get("destination")
        beneficiary = data.get("beneficiary")
        if beneficiary is not None and beneficiary.kind == Beneficiary.Kind.INTERNAL:
            destination = beneficiary.account
        return TransferOrder(
            kind=self.kind,
            origin=data["origen"],
            amount=data["monto"],
            destination=destination,
            beneficiary=beneficiary,
            motive=data.get("motivo", ""),
            funds_origin=data.get("origen_fondos", ""),
            funds_destination=data.get("destino_fondos", ""),
        )

    def prepare(self, actor: Actor, form, context: dict) -> Prepared:
        order = self._order(form)
        quote = transfer_quote(member=actor.owner, order=order)
        review = quote.review()
        check = None
        if self.kind == TransferKind.INTERBANK:
            beneficiary = order.beneficiary
            check = network_get().payee_check(
                institution_code=beneficiary.institution.code,
                account_type=beneficiary.account_type,
                account_number=beneficiary.account_number,
                name=beneficiary.name,
            )
            review.append(("Confirmación del beneficiario", check.label))
        to_account = (
            order.destination.number if order.destination else order.beneficiary.account_number
        )
        return Prepared(
            payload={
                "origin": str(order.origin.public_id),
                "destination": str(order.destination.public_id) if order.destination else "",
                "beneficiary": str(order.beneficiary.public_id) if order.beneficiary else "",
                "amount": str(order.amount),
                "motive": order.motive,
                "funds_origin": order.funds_origin,
                "funds_destination": order.funds_destination,
                "payee_check": check.result if check is not None else "",
            },
            review=review,
            summary=f"Transferencia de {format_money(order.amount, order.currency)} a "
            f"{mask_number(to_account)}",
            notes=transfer_notes(order=order, quote=quote, payee_check=check),
        )

    def execute(self, actor: Actor, payload: dict, key: str) -> dict:
        from django.shortcuts import get_object_or_404

        member = actor.owner
        # The member's accounts in one read (origin and destination); anybody else's: 404.
        accounts = {str(a.public_id): a for a in member_deposit_accounts(member=member)}

        def account(public_id: str) -> DepositAccount:
            if public_id not in accounts:
                raise Http404("No DepositAccount matches the given query.")
            return accounts[public_id]

        origin = account(payload["origin"])
        beneficiary = None
        destination = None
        if payload["beneficiary"]:
            beneficiary = get_object_or_404(
                Beneficiary.objects.select_related("institution", "account__ledger_account"),
                member=member,
                public_id=payload["beneficiary"],
            )
            destination = beneficiary.account
        if payload["destination"] and self.kind == TransferKind.OWN:
            destination = account(payload["destination"])
        transfer = transfer_execute(
            member=member,
            order=TransferOrder(
                kind=self.kind,
                origin=origin,
                amount=Decimal(payload["amount"]),
                destination=destination,
                beneficiary=beneficiary,
                motive=payload["motive"],
                funds_origin=payload["funds_origin"],
                funds_destination=payload["funds_destination"],
            ),
            key=key,
            user=actor.user,
            channel=actor.channel or Channel.WEB,
            payee_check=payload["payee_check"],
            receipt=True,
        )
        return transfer_result(transfer)


def transfer_result(transfer: Transfer) -> dict:
    """ "¡Transferencia exitosa!" with the receipt, as the done step shows it (from the
    legs ``transfer_execute`` read as it posted them, when it did)."""
    legs = getattr(transfer, "receipt_legs", None)
    result = receipt_result(transfer.journal_id, viewer=transfer.member, legs=legs)
    result["title"] = "¡Transferencia exitosa!"
    result["message"] = f"Comprobante N.º {Journal.reference_of(transfer.journal_id)}"
    result["detail"] = transfer_detail(transfer)
    if transfer.value_date > timezone.localdate(transfer.created_at):
        result["deferred"] = (
            f"{DEFERRED_NOTE}: se procesará el {transfer.value_date.strftime('%d/%m/%Y')}."
        )
    return result


class OwnTransfer(TransferOperation):
    kind = TransferKind.OWN
    purpose = "transfer_own"
    title = "Transferencias a mis cuentas"
    intro = "Mueve dinero entre tus propias cuentas, sin costo."


class InternalTransfer(TransferOperation):
    kind = TransferKind.INTERNAL
    purpose = "transfer_internal"
    intro = "Transfiere a cuentas de otros socios de la cooperativa."

    @property
    def title(self) -> str:
        return kind_label(TransferKind.INTERNAL)


class InterbankTransfer(TransferOperation):
    kind = TransferKind.INTERBANK
    purpose = "transfer_interbank"
    title = "Transferencias Interbancarias"
    intro = "Transfiere a cuentas de otros bancos y cooperativas."


# --- Beneficiarios -----------------------------------------------------------------------

TABS = (
    ("cooprogreso", Beneficiary.Kind.INTERNAL),
    ("otros-bancos", Beneficiary.Kind.EXTERNAL),
    ("tarjetas", None),
)
VALIDATE_PER_IP = 60  # "Validar" presses per address in 15 minutes
VALIDATE_PER_MEMBER = 30
TOO_MANY = "Realizaste demasiadas consultas. Espera unos minutos e inténtalo de nuevo."


def lookup_limited(request, member) -> bool:
    """Counts one look-up of an account's holder ("Validar" or the form step) and tells
    whether the member or address went past the limit (no request: no limit)."""
    if request is None:
        return False
    return rate_limited(
        request,
        "beneficiary-validate",
        per_ip=VALIDATE_PER_IP,
        key=str(member.pk),
        per_key=VALIDATE_PER_MEMBER,
    )


class BeneficiaryOperation(OperationKind):
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
            kind = (
                Beneficiary.objects.filter(member=request_owner(request), public_id=public_id)
                .values_list("kind", flat=True)
                .first()
            )
        tab = {v: k for k, v in TABS if v}.get(kind, "cooprogreso")
        return f"{reverse(self.back_url_name)}?tab={tab}"

    def action_url(self, request) -> str:
        target = self._next(request)
        return f"{request.path}?{urlencode({'next': target})}" if target else request.path

    def context(self, request) -> dict:
        public_id = request.resolver_match.kwargs.get("public_id")
        return {"beneficiary": str(public_id)} if public_id else {}

    def beneficiary(self, actor: Actor, public_id) -> Beneficiary:
        """The owner's beneficiary (404 for anyone else's)."""
        return member_beneficiary(member=actor.owner, public_id=public_id)

    def done(self, beneficiary: Beneficiary) -> dict:
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

    def prepare(self, actor: Actor, form, context: dict) -> Prepared:
        member = actor.owner
        data = form.cleaned_data
        if lookup_limited(actor.request, member):
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

    def execute(self, actor: Actor, payload: dict, key: str) -> dict:
        beneficiary = beneficiary_add_internal(
            member=actor.owner,
            account_number=payload["account_number"],
            alias=payload["alias"],
            email=payload["email"],
            by=actor,
        )
        return self.done(beneficiary)


class BeneficiaryAddExternal(BeneficiaryOperation):
    purpose = "beneficiary_add_external"
    add_kind = Beneficiary.Kind.EXTERNAL
    title = "Registrar cuenta interbancaria"
    intro = "Registra una cuenta de otro banco o cooperativa."
    form_class = ExternalBeneficiaryForm
    submit_label = "Guardar beneficiario"
    review_title = "Confirmar beneficiario"
    done_title = "Beneficiario registrado exitosamente."

    def prepare(self, actor: Actor, form, context: dict) -> Prepared:
        data = form.cleaned_data
        institution = data["entidad"]
        beneficiary_check_new(
            member=actor.owner, institution=institution, account_number=data["numero_cuenta"]
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

    def execute(self, actor: Actor, payload: dict, key: str) -> dict:
        institution = Institution.objects.filter(pk=payload["institution"]).first()
        if institution is None:
            raise BeneficiaryError("La entidad financiera no está disponible.")
        beneficiary = beneficiary_add_external(
            member=actor.owner,
            institution=institution,
            account_type=payload["account_type"],
            account_number=payload["account_number"],
            name=payload["name"],
            id_type=payload["id_type"],
            id_number=payload["id_number"],
            alias=payload["alias"],
            email=payload["email"],
            by=actor,
        )
        return self.done(beneficiary)


def beneficiary_lines(beneficiary: Beneficiary) -> list[tuple[str, str]]:
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
    title = "Actualizar cuenta"
    form_class = BeneficiaryContactForm
    submit_label = "Confirmar"
    review_title = "Confirmar actualización"
    done_title = "Datos guardados exitosamente."

    def initial(self, request, actor: Actor) -> dict:
        b = self.beneficiary(actor, self.context(request)["beneficiary"])
        return {"correo": b.email, "alias": b.alias}

    def extra_context(self, request, actor: Actor) -> dict:
        b = self.beneficiary(actor, self.context(request)["beneficiary"])
        return {"beneficiary_lines": beneficiary_lines(b)}

    def prepare(self, actor: Actor, form, context: dict) -> Prepared:
        b = self.beneficiary(actor, context["beneficiary"])
        return Prepared(
            payload={
                "beneficiary": str(b.public_id),
                "email": form.cleaned_data["correo"],
                "alias": form.cleaned_data["alias"],
            },
            review=[*beneficiary_lines(b), *_contact_review(form)],
            summary=f"Actualización del beneficiario {b.name}",
        )

    def execute(self, actor: Actor, payload: dict, key: str) -> dict:
        b = (
            member_beneficiaries(member=actor.owner)
            .filter(public_id=payload["beneficiary"])
            .first()
        )
        if b is None:  # removed in another window while the code was on its way
            return {"title": "Este beneficiario ya no está en tu lista."}
        beneficiary_update(beneficiary=b, alias=payload["alias"], email=payload["email"], by=actor)
        return self.done(b)


class BeneficiaryDelete(BeneficiaryOperation):
    purpose = "beneficiary_delete"
    title = "Eliminar beneficiario"
    form_class = DeleteForm
    review_title = "Eliminar beneficiario"
    submit_label = "Sí, eliminar"
    done_title = "Beneficiario eliminado."
    done_template = ""

    def extra_context(self, request, actor: Actor) -> dict:
        b = self.beneficiary(actor, self.context(request)["beneficiary"])
        return {
            "beneficiary_lines": beneficiary_lines(b),
            "question": "¿Deseas eliminar este beneficiario? Las transferencias que ya le "
            "hiciste no cambian.",
        }

    def initial(self, request, actor: Actor) -> dict:
        self.beneficiary(actor, self.context(request)["beneficiary"])  # another's: 404
        return {}

    def prepare(self, actor: Actor, form, context: dict) -> Prepared:
        b = self.beneficiary(actor, context["beneficiary"])
        return Prepared(
            payload={"beneficiary": str(b.public_id)},
            review=beneficiary_lines(b),
            summary=f"Eliminación del beneficiario {b.name}",
        )

    def execute(self, actor: Actor, payload: dict, key: str) -> dict:
        # Looked up among all the owner's rows: a second tab that already removed it
        # finds it removed and the operation is simply done.
        b = Beneficiary.objects.filter(member=actor.owner, public_id=payload["beneficiary"]).first()
        if b is not None:
            beneficiary_delete(beneficiary=b, by=actor)
        return {}


# --- Personalización de Cupos ------------------------------------------------------------


class LimitsChange(OperationKind):
    purpose = "limits_change"
    title = "Personalización de Cupos"
    intro = "Personaliza los montos que puedes transferir a otras cuentas y hacia otros bancos."
    form_class = LimitsForm
    form_template = "transfers/limits_form.html"
    submit_label = "Guardar cambios"
    back_url_name = "products:services"

    def form_kwargs(self, actor: Actor) -> dict:
        kinds = customizable_kinds()
        return {
            "maximums": {kind: cooperative_limits(kind) for kind in kinds},
            "labels": {kind: kind_label(kind) for kind in kinds},
            "currency": cooperative_current().currency,
        }

    def initial(self, request, actor: Actor) -> dict:
        values = {}
        for kind in customizable_kinds():
            limits = member_limits(member=actor.owner, kind=kind)
            for period, _ in PERIODS:
                values[f"{kind}_{period}"] = limits.get(period)
        return values

    def extra_context(self, request, actor: Actor) -> dict:
        return {"short_name": cooperative_current().short_name}

    def prepare(self, actor: Actor, form, context: dict) -> Prepared:
        currency = cooperative_current().currency
        values = form.values()
        if not values:
            raise LimitError(
                f"{cooperative_current().short_name} no tiene cupos de transferencias "
                "que puedas personalizar."
            )
        current = {}
        for kind in values:
            limits = member_limits(member=actor.owner, kind=kind)
            current[kind] = {period: limits.get(period) for period, _ in PERIODS}
        if values == current:
            raise LimitError("No cambiaste ningún monto.")
        review = [
            (f"{kind_label(kind)} — monto {word}", format_money(amounts[period], currency))
            for kind, amounts in values.items()
            for period, word in PERIODS
        ]
        return Prepared(
            payload={
                kind: {period: str(amount) for period, amount in amounts.items()}
                for kind, amounts in values.items()
            },
            review=review,
            summary="Cambio de tus cupos de transferencias",
        )

    def execute(self, actor: Actor, payload: dict, key: str) -> dict:
        member_limits_update(
            member=actor.owner,
            values={
                kind: {period: Decimal(amount) for period, amount in amounts.items()}
                for kind, amounts in payload.items()
            },
            by=actor,
        )
        return {}


transfer_own = operation_kind_register(OwnTransfer())
transfer_internal = operation_kind_register(InternalTransfer())
transfer_interbank = operation_kind_register(InterbankTransfer())
beneficiary_add_internal_kind = operation_kind_register(BeneficiaryAddInternal())
beneficiary_add_external_kind = operation_kind_register(BeneficiaryAddExternal())
beneficiary_edit = operation_kind_register(BeneficiaryEdit())
beneficiary_delete_kind = operation_kind_register(BeneficiaryDelete())
limits_change = operation_kind_register(LimitsChange())

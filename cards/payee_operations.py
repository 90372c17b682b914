"""The operations of the cards a member registers to pay ("Pago de tarjetas" →
"Agregar nueva tarjeta"): "Registrar tarjeta" and removing one, each confirmed with the
code (``accounts.operations``, ``cards.payees``).

The number typed waits for the code encrypted (``core.crypto.encrypt``) inside the
operation's payload — itself stored encrypted, and wiped when the operation ends
(``keep_payload = False``) — so the challenge's digest of the payload is not a digest of
the number either. The review, the summary the code message names and the result hold
the mask only."""

from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.debug import sensitive_variables

from accounts.operations import Actor, OperationKind, Prepared, operation_kind_register
from cards.models import CardPayee
from cards.payees import (
    CardPayeeError,
    card_payee_add,
    card_payee_check,
    card_payee_delete,
    member_card_payee,
)
from cards.payment_forms import CardPayeeDeleteForm, CardPayeeForm
from core.crypto import decrypt, encrypt
from core.ratelimit import rate_limited

# Registering looks a number up among the cooperative's cards: limited like "Validar".
LOOKUPS_PER_IP = 60
LOOKUPS_PER_OWNER = 20
TOO_MANY = "Realizaste demasiadas consultas. Espera unos minutos e inténtalo de nuevo."


def lookup_limited(request, owner) -> bool:
    if request is None:  # a worker: no request, no limit
        return False
    return rate_limited(
        request,
        "card-payee",
        per_ip=LOOKUPS_PER_IP,
        key=str(owner.pk),
        per_key=LOOKUPS_PER_OWNER,
    )


class CardPayeeAdd(OperationKind):
    """ "Registrar tarjeta" → "Guardar tarjeta" → "Confirmar" → code."""

    purpose = "card_payee_add"
    keep_payload = False  # the card number, encrypted, waits for the code
    title = "Registrar tarjeta"
    intro = (
        "Registra una tarjeta de crédito de la cooperativa o de otra entidad financiera "
        "para pagarla desde tus cuentas."
    )
    form_class = CardPayeeForm
    form_template = "cards/payments/payee_form.html"
    done_template = "cards/payments/payee_done.html"
    submit_label = "Guardar tarjeta"
    review_title = "Confirmar tarjeta"
    done_title = "Tarjeta registrada exitosamente."
    back_url_name = "cards:payments"

    @sensitive_variables("form", "data")
    def prepare(self, actor: Actor, form, context: dict) -> Prepared:
        data = form.cleaned_data
        if lookup_limited(actor.request, actor.owner):
            raise CardPayeeError(TOO_MANY)
        draft = card_payee_check(
            member=actor.owner,
            institution=data["entidad"],
            pan=data["numero_tarjeta"],
            id_type=data["tipo_identificacion"],
            id_number=data["identificacion"],
            name=data.get("nombre", ""),
        )
        return Prepared(
            payload={
                "institution": data["entidad"],
                "pan": encrypt(data["numero_tarjeta"]),
                "id_type": draft.id_type,
                "id_number": draft.id_number,
                "name": draft.name,
                "alias": data["alias"],
                "email": data["correo"],
            },
            review=draft.review(alias=data["alias"], email=data["correo"]),
            summary=f"Registro de la tarjeta {draft.masked}",
        )

    @sensitive_variables("payload")
    def execute(self, actor: Actor, payload: dict, key: str) -> dict:
        payee = card_payee_add(
            member=actor.owner,
            institution=payload["institution"],
            pan=decrypt(payload["pan"]),
            id_type=payload["id_type"],
            id_number=payload["id_number"],
            name=payload["name"],
            alias=payload["alias"],
            email=payload["email"],
            by=actor,
        )
        return {
            "message": f"Registraste la tarjeta {payee.masked_number} de {payee.name}.",
            "pay_url": f"{reverse('cards:payment_new')}?{urlencode({'tarjeta': payee.public_id})}",
        }


def payee_lines(payee: CardPayee) -> list[tuple[str, str]]:
    return [
        ("Entidad financiera", payee.institution_name),
        ("Número de tarjeta", payee.masked_number),
        ("Beneficiario", payee.name),
        ("Alias", payee.alias or "—"),
    ]


class CardPayeeDelete(OperationKind):
    """ "Eliminar" a registered card: the payments already made keep naming it."""

    purpose = "card_payee_delete"
    title = "Eliminar tarjeta"
    form_class = CardPayeeDeleteForm
    form_template = "cards/payments/payee_delete.html"
    review_title = "Eliminar tarjeta"
    submit_label = "Sí, eliminar"
    done_title = "Tarjeta eliminada."
    back_url_name = "cards:payments"

    def context(self, request) -> dict:
        return {"payee": str(request.resolver_match.kwargs["public_id"])}

    def initial(self, request, actor: Actor) -> dict:
        member_card_payee(member=actor.owner, public_id=self.context(request)["payee"])
        return {}

    def extra_context(self, request, actor: Actor) -> dict:
        payee = member_card_payee(member=actor.owner, public_id=self.context(request)["payee"])
        return {"payee_lines": payee_lines(payee)}

    def prepare(self, actor: Actor, form, context: dict) -> Prepared:
        payee = member_card_payee(member=actor.owner, public_id=context["payee"])
        return Prepared(
            payload={"payee": str(payee.public_id)},
            review=payee_lines(payee),
            summary=f"Eliminación de la tarjeta {payee.masked_number}",
        )

    def execute(self, actor: Actor, payload: dict, key: str) -> dict:
        # Among all the owner's rows: a second tab that already removed it is done too.
        payee = CardPayee.objects.filter(member=actor.owner, public_id=payload["payee"]).first()
        if payee is not None:
            card_payee_delete(payee=payee, by=actor)
        return {}


card_payee_add_kind = operation_kind_register(CardPayeeAdd())
card_payee_delete_kind = operation_kind_register(CardPayeeDelete())

"""The operations of a card's PIN: "Cambiar clave" (the current and the new PIN, then the
code) and "Recuperar clave" (the code, then a temporary PIN by e-mail), on one of the
owner's cards named by the URL (``docs/cards.md``, ``accounts.operations``).

The PINs typed for a change wait for the code sealed with a key of their own that only
the cache holds (``cards.pins.pins_seal``); executing the operation destroys that key.
The payload is not kept once the operation ends (``keep_payload = False``), and nothing
shown or stored — the review, the summary the code message names, the result — holds a
PIN."""

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from accounts.operations import Actor, OperationKind, Prepared, operation_kind_register
from cards.models import Card
from cards.pin_forms import CardPinChangeForm, CardPinRecoverForm
from cards.pins import (
    NoEmailForPin,
    card_pin_change,
    card_pin_recover,
    card_pin_usable,
    pins_destroy,
    pins_open,
    pins_seal,
)
from cards.selectors import member_card
from core.masking import mask_email

# The manual's "Consejos de seguridad", as ``accounts.credentials.validate_pin`` words
# its refusals.
SECURITY_TIPS = (
    _("Evita utilizar dígitos consecutivos"),
    _("Evita utilizar tu fecha de nacimiento"),
    _("Evita utilizar dígitos repetidos"),
)


def card_label(card: Card) -> str:
    """ "MASTERCARD Débito 550975XXXXXX7023"."""
    return f"{card.get_brand_display()} {card.get_kind_display()} {card.masked_number}"


class CardPinOperation(OperationKind):
    """What both PIN operations share: the card comes from the URL
    (``/tarjetas/<public_id>/…``) and must be the owner's (404 otherwise) and usable."""

    back_url_names = ("cards:detail", "cards:index", "products:position")

    def _card(self, request, actor: Actor) -> Card:
        return member_card(member=actor.owner, public_id=request.resolver_match.kwargs["public_id"])

    def back_url(self, request) -> str:
        """The card's page, where "Cambiar clave" and "Recuperar clave" are offered."""
        public_id = request.resolver_match.kwargs.get("public_id")
        for name in self.back_url_names:
            for args in ([public_id], []):
                try:
                    return reverse(name, args=args)
                except NoReverseMatch:
                    continue
        return ""

    def extra_context(self, request, actor: Actor) -> dict:
        card = self._card(request, actor)
        return {"card": card, "card_label": card_label(card)}

    def context(self, request) -> dict:
        return {"card": str(request.resolver_match.kwargs["public_id"])}

    def _usable_card(self, actor: Actor, context: dict) -> Card:
        card = member_card(member=actor.owner, public_id=context["card"])
        card_pin_usable(card)
        return card


class CardPinChange(CardPinOperation):
    """Cambiar clave ("Cambiar pin" in the app)."""

    purpose = "card_pin_change"
    keep_payload = False  # PINs, sealed
    title = _("Cambiar clave")
    form_class = CardPinChangeForm
    form_template = "cards/pin_change_form.html"
    review_first = False  # the manual goes from «Continuar» straight to the code
    submit_label = _("Continuar")
    done_title = _("Clave actualizada")

    def form_kwargs(self, actor: Actor) -> dict:
        return {"birth_date": getattr(actor.owner, "birth_date", None)}

    def extra_context(self, request, actor: Actor) -> dict:
        return {**super().extra_context(request, actor), "security_tips": SECURITY_TIPS}

    @sensitive_variables("form", "pins")
    def prepare(self, actor: Actor, form, context: dict) -> Prepared:
        card = self._usable_card(actor, context)
        pins = {
            "old": form.cleaned_data["clave_anterior"],
            "new": form.cleaned_data["nueva_clave"],
        }
        return Prepared(
            payload={"card": str(card.public_id), "pins": pins_seal(card=card, pins=pins)},
            review=[("Tarjeta", card_label(card))],
            summary=f"Cambio de clave de la tarjeta {card.masked_number}",
        )

    @sensitive_variables("pins")
    def execute(self, actor: Actor, payload: dict, key: str) -> dict:
        card = member_card(member=actor.owner, public_id=payload["card"])
        box = payload["pins"]
        try:
            pins = pins_open(box, card=card)
            card_pin_change(
                card=card,
                old_pin=pins["old"],
                new_pin=pins["new"],
                key=key,
                user=actor.user,
                request=actor.request,
            )
        finally:
            pins_destroy(box)  # executed — done or refused — the PINs can never be read again
        return {
            "message": f"La clave de tu tarjeta {card.masked_number} fue cambiada. Úsala "
            "desde ahora en cajeros automáticos y establecimientos."
        }


class CardPinRecover(CardPinOperation):
    """Recuperar clave ("Generar pin" in the app): a temporary PIN by e-mail."""

    purpose = "card_pin_recover"
    title = _("Recuperar clave")
    form_class = CardPinRecoverForm
    form_template = "cards/pin_recover_form.html"
    done_template = "cards/pin_recover_done.html"
    review_first = False
    submit_label = _("Continuar")
    done_title = _("Clave temporal enviada")

    def extra_context(self, request, actor: Actor) -> dict:
        email = actor.owner.email
        return {
            **super().extra_context(request, actor),
            "email_masked": mask_email(email) if email else "",
        }

    def prepare(self, actor: Actor, form, context: dict) -> Prepared:
        card = self._usable_card(actor, context)
        if not actor.owner.email:
            raise NoEmailForPin
        return Prepared(
            payload={"card": str(card.public_id)},
            review=[("Tarjeta", card_label(card))],
            summary=f"Clave temporal de la tarjeta {card.masked_number}",
        )

    def execute(self, actor: Actor, payload: dict, key: str) -> dict:
        card = member_card(member=actor.owner, public_id=payload["card"])
        card_pin_recover(card=card, key=key, user=actor.user, request=actor.request)
        return {
            "title": "Clave temporal enviada",
            "message": "Su clave temporal ha sido enviada a sus medios de notificación.",
            "next": "Cámbiala con «Cambiar clave» antes de usar tu tarjeta.",
        }


card_pin_change_kind = operation_kind_register(CardPinChange())
card_pin_recover_kind = operation_kind_register(CardPinRecover())

"""The operations of the cards app (``accounts.operations``): what a member asks for about
one of their cards and confirms with the code — "Bloqueo temporal" and "Desbloquear"."""

from django import forms
from django.urls import reverse

from accounts.operations import Actor, OperationKind, Prepared, operation_kind_register
from cards.locks import card_lock_check, card_member_lock
from cards.models import Card
from cards.selectors import member_card


class CardLockForm(forms.Form):
    """Nothing to type: the card is the page's, the action the kind's."""


class CardLockChange(OperationKind):
    """Sets or lifts the member's own temporary lock on one of their cards. The card is
    named by the URL; ``prepare`` refuses what the member cannot do (a card the
    cooperative blocked, one already locked or not locked) before the code is sent, and
    ``execute`` re-checks under the card's lock (``cards.locks.card_member_lock``)."""

    lock: bool = True
    form_class = CardLockForm
    form_template = "cards/partials/lock_form.html"
    action_label = ""

    def context(self, request) -> dict:
        return {"card": str(request.resolver_match.kwargs["public_id"])}

    def back_url(self, request) -> str:
        return reverse("cards:detail", args=[request.resolver_match.kwargs["public_id"]])

    def card(self, actor: Actor, public_id) -> Card:
        return member_card(member=actor.owner, public_id=public_id)  # another's: 404

    def initial(self, request, actor: Actor) -> dict:
        self.card(actor, self.context(request)["card"])
        return {}

    def extra_context(self, request, actor: Actor) -> dict:
        return {"card": self.card(actor, self.context(request)["card"]), "locking": self.lock}

    def prepare(self, actor: Actor, form, context: dict) -> Prepared:
        card = self.card(actor, context["card"])
        card_lock_check(card=card, lock=self.lock)
        described = f"{card.get_brand_display()} {card.get_kind_display()} {card.masked_number}"
        return Prepared(
            payload={"card": str(card.public_id), "lock": self.lock},
            review=[("Tarjeta", described), ("Acción", self.action_label)],
            summary=f"{self.action_label} de la tarjeta {card.masked_number}",
        )

    def execute(self, actor: Actor, payload: dict, key: str) -> dict:
        card = card_member_lock(
            card=self.card(actor, payload["card"]),
            lock=payload["lock"],
            user=actor.user,
            channel=actor.channel,
            request=actor.request,
        )
        return {"card": card.masked_number, "message": self.done_text.format(card=card)}


class CardLock(CardLockChange):
    purpose = "card_lock"
    lock = True
    title = "Bloqueo temporal"
    action_label = "Bloqueo temporal"
    done_title = "Tarjeta bloqueada temporalmente"

    done_text = (
        "Tu tarjeta {card.masked_number} no acepta consumos ni retiros hasta que la "
        "desbloquees. Te enviamos la confirmación a tus medios de notificación."
    )


class CardUnlock(CardLockChange):
    purpose = "card_unlock"
    lock = False
    title = "Desbloquear tarjeta"
    action_label = "Desbloqueo"
    done_title = "Tarjeta desbloqueada"

    done_text = (
        "Tu tarjeta {card.masked_number} ya acepta consumos y retiros. Te enviamos la "
        "confirmación a tus medios de notificación."
    )


card_lock = operation_kind_register(CardLock())
card_unlock = operation_kind_register(CardUnlock())

"""The operation of "Pago de tarjetas": paying one of the owner's own credit cards or a card
they registered, from one of their accounts — Cuenta de origen, Tarjeta, "Monto a pagar"
(with "Pago mínimo" and "Total" for an own card), Motivo → "Confirmar pago" → the code →
the receipt (``accounts.operations``, ``cards.payments``)."""

from decimal import Decimal

from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from accounts.operations import Actor, OperationKind, Prepared, operation_kind_register
from cards.models import Card, CardPayee, CardPayment
from cards.payees import PayableCard, member_payable_cards
from cards.payment_forms import MINIMUM, OTHER_AMOUNT, TOTAL, CardPaymentForm
from cards.payments import (
    CardPaymentError,
    CardPaymentOrder,
    NothingDue,
    card_payment_execute,
    card_payment_figures,
    card_payment_quote,
    cutoff_note,
)
from core.money import format_money
from ledger.models import Channel
from products.receipts import receipt_result
from products.selectors import member_deposit_account, member_deposit_accounts

SHORTCUT_LABELS = {MINIMUM: "Pago mínimo", TOTAL: "Total"}


class CardPay(OperationKind):
    """ "Pago de tarjetas": a card of the cooperative is paid at once, another
    institution's card through the interbank rail (commission, IVA and the cut-off)."""

    purpose = "card_payment"
    title = "Pago de tarjetas"
    intro = "Paga tus tarjetas de crédito y las tarjetas que registraste, desde tus cuentas."
    form_class = CardPaymentForm
    form_template = "cards/payments/pay_form.html"
    done_template = "cards/payments/pay_done.html"
    submit_label = "Pagar"
    review_title = "Confirmar pago"
    done_title = "¡Pago exitoso!"
    back_url_name = "cards:payments"

    def form_kwargs(self, actor: Actor) -> dict:
        return {
            "accounts": member_deposit_accounts(member=actor.owner),
            "cards": member_payable_cards(member=actor.owner),
        }

    def _chosen(self, request) -> str:
        return request.POST.get("tarjeta") or request.GET.get("tarjeta", "")

    def action_url(self, request) -> str:
        chosen = request.GET.get("tarjeta", "")
        return f"{request.path}?{urlencode({'tarjeta': chosen})}" if chosen else request.path

    def initial(self, request, actor: Actor) -> dict:
        chosen = request.GET.get("tarjeta", "")
        return {"tarjeta": chosen} if chosen else {}

    def extra_context(self, request, actor: Actor) -> dict:
        """The card chosen (``?tarjeta=``, or as posted) and, for the member's own card,
        its figures: what the shortcuts will pay."""
        chosen = self._chosen(request)
        card = next((c for c in member_payable_cards(member=actor.owner) if c.key == chosen), None)
        context = {
            "chosen": card,
            "add_card_url": reverse("cards:payee_add"),
            "cutoff_note": cutoff_note(),
        }
        if card is not None and card.own and card.card is not None:
            context["figures"] = card_payment_figures(card.card)
        return context

    def _amount(self, actor: Actor, card: PayableCard, data: dict) -> Decimal:
        """The amount typed, or the shortcut's, worked out now from the card's figures."""
        shortcut = data["pago"]
        if shortcut == OTHER_AMOUNT:
            return data["monto"]
        if not card.own or card.card is None:
            raise CardPaymentError(
                "«Pago mínimo» y «Total» son para tus tarjetas de la cooperativa: ingresa el "
                "monto a pagar."
            )
        figures = card_payment_figures(card.card)
        amount = figures.minimum if shortcut == MINIMUM else figures.total
        if amount <= 0:
            raise NothingDue(
                f"No tienes {SHORTCUT_LABELS[shortcut].lower()} pendiente en esta tarjeta: "
                "ingresa el monto a pagar."
            )
        return amount

    def prepare(self, actor: Actor, form, context: dict) -> Prepared:
        data = form.cleaned_data
        card: PayableCard = data["card"]
        order = CardPaymentOrder(
            origin=data["origen"],
            amount=self._amount(actor, card, data),
            card=card.card,
            payee=card.payee,
            motive=data.get("motivo", ""),
        )
        quote = card_payment_quote(member=actor.owner, order=order)
        notes = [cutoff_note(on=quote.value_date)] if quote.deferred else []
        return Prepared(
            payload={
                "origin": str(order.origin.public_id),
                "card": str(card.card.public_id) if card.payee is None else "",
                "payee": str(card.payee.public_id) if card.payee is not None else "",
                "amount": str(order.amount),
                "motive": order.motive,
            },
            review=quote.review(),
            summary=(
                f"Pago de {format_money(order.amount, order.currency)} a la tarjeta {order.masked}"
            ),
            notes=notes,
        )

    def execute(self, actor: Actor, payload: dict, key: str) -> dict:
        member = actor.owner
        origin = member_deposit_account(member=member, public_id=payload["origin"])
        card, payee = None, None
        if payload["payee"]:
            # Removed ones too: the service refuses them with its own words.
            payee = get_object_or_404(
                CardPayee.objects.select_related("card"), member=member, public_id=payload["payee"]
            )
            card = payee.card
        else:
            card = get_object_or_404(Card, member=member, public_id=payload["card"])
        payment = card_payment_execute(
            member=member,
            order=CardPaymentOrder(
                origin=origin,
                amount=Decimal(payload["amount"]),
                card=card,
                payee=payee,
                motive=payload["motive"],
            ),
            key=key,
            user=actor.user,
            channel=actor.channel or Channel.WEB,
        )
        return card_payment_result(payment)


def card_payment_result(payment: CardPayment) -> dict:
    """ "¡Pago exitoso!" with the receipt (Descargar, Compartir, Regresar al inicio), as
    the done step shows it."""
    result = receipt_result(payment.journal, viewer=payment.member)
    result["title"] = "¡Pago exitoso!"
    result["message"] = f"Comprobante N.º {payment.journal.reference}"
    masked = payment.card.masked_number if payment.card else payment.payee.masked_number
    result["share"] = (
        f"Pago de tarjeta {masked} por {format_money(payment.amount, payment.currency)} · "
        f"Comprobante N.º {payment.journal.reference} · "
        f"{timezone.localtime(payment.created_at):%d/%m/%Y %H:%M}"
    )
    if payment.interbank:
        result["state"] = (
            f"Estado: {payment.get_status_display()}. Te avisaremos si la otra entidad "
            "rechaza el pago: el valor y la comisión vuelven a tu cuenta."
        )
        if payment.value_date > timezone.localdate(payment.created_at):
            result["deferred"] = cutoff_note(on=payment.value_date)
    result["home_url"] = reverse("products:position")
    return result


card_payment_kind = operation_kind_register(CardPay())

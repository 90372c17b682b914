"""The operation of "Diferir consumos": on one of the owner's credit cards, "Selecciona las
transacciones a diferir", the term, «Simular» → "Simulación diferida" → «Confirmar» →
factor de seguridad → the deferral (``accounts.operations``, ``cards.deferral``)."""

from decimal import Decimal

from accounts.operations import Actor, OperationKind, Prepared, operation_kind_register
from cards.deferral import (
    DeferralQuote,
    card_defer,
    deferrable_purchases,
    deferral_quote,
    member_credit_card,
    member_deferrable_purchases,
)
from cards.forms_defer import DeferralForm
from cards.models import Card, CardDeferral
from core.errors import DomainError
from core.money import format_money
from ledger.models import Channel


def simulation_lines(quote: DeferralQuote) -> list[tuple[str, str]]:
    """ "Simulación diferida", in the manual's words and order."""
    return [
        ("Total a diferir", format_money(quote.amount, quote.currency)),
        ("Número de cuotas", str(quote.installments)),
        ("Valor interés", format_money(quote.first_interest, quote.currency)),
        ("Valor cuota mensual", format_money(quote.installment, quote.currency)),
    ]


def schedule_table(rows, *, amount: Decimal, currency: str) -> list[dict]:
    """The whole table ("Ver tabla de cuotas") of ``amount`` deferred: each installment's
    capital, interest and value, and the capital left after it."""
    table, left = [], amount
    for row in rows:
        left -= row.capital
        table.append(
            {
                "number": row.number,
                "capital": format_money(row.capital, currency),
                "interest": format_money(row.interest, currency),
                "total": format_money(row.total, currency),
                "balance": format_money(left, currency),
            }
        )
    return table


class CardDefer(OperationKind):
    """Diferir consumos: the purchases ticked on the card of the URL, over the term
    chosen, priced at the card's rate; confirmed with a code."""

    purpose = "card_deferral"
    title = "Diferir consumos"
    form_class = DeferralForm
    form_template = "cards/defer_form.html"
    done_template = "cards/defer_done.html"
    review_title = "Simulación diferida"
    submit_label = "Confirmar"
    done_title = "¡Diferido exitoso!"
    back_url_name = "cards:defer"

    def context(self, request) -> dict:
        return {"card": str(request.resolver_match.kwargs["public_id"])}

    def form_kwargs(self, actor: Actor) -> dict:
        return {"purchases": member_deferrable_purchases(member=actor.owner)}

    def initial(self, request, actor: Actor) -> dict:
        """The term chosen before «Simular» (the ticked purchases are read again by
        ``extra_context``)."""
        member_credit_card(member=actor.owner, public_id=self.context(request)["card"])  # or 404
        plazo = request.POST.get("plazo") if request.method == "POST" else None
        return {"plazo": plazo} if plazo else {}

    def extra_context(self, request, actor: Actor) -> dict:
        """The card ("Nro", holder, "Estado"), its purchases to choose from and, after
        «Simular», the simulation of those ticked — or why they cannot be deferred."""
        card = member_credit_card(member=actor.owner, public_id=self.context(request)["card"])
        chosen = request.POST.getlist("consumos") if request.method == "POST" else []
        context = {
            "card": card,
            "purchases": deferrable_purchases(card=card),
            "chosen": set(chosen),
        }
        if "refresh" in request.POST:
            try:
                quote = deferral_quote(
                    card=card, purchases=chosen, installments=_term(request.POST.get("plazo"))
                )
            except DomainError as exc:
                context["simulation_error"] = exc.message
            else:
                context["simulation"] = simulation_lines(quote)
                context["schedule"] = schedule_table(
                    quote.rows, amount=quote.amount, currency=quote.currency
                )
                context["total_interest"] = format_money(quote.total_interest, quote.currency)
        return context

    def prepare(self, actor: Actor, form, context: dict) -> Prepared:
        card = member_credit_card(member=actor.owner, public_id=context["card"])
        data = form.cleaned_data
        quote = deferral_quote(card=card, purchases=data["consumos"], installments=data["plazo"])
        currency = quote.currency
        review = [
            *simulation_lines(quote),
            ("Tarjeta", f"{card.get_brand_display()} {card.masked_number}"),
            *((p.description, format_money(p.amount, currency)) for p in quote.purchases),
        ]
        return Prepared(
            payload={
                "card": str(card.public_id),
                "purchases": sorted(str(p.public_id) for p in quote.purchases),
                "installments": quote.installments,
                "amount": str(quote.amount),
                "installment": str(quote.installment),
            },
            review=review,
            summary=f"Diferido de {format_money(quote.amount, currency)} a "
            f"{quote.installments} meses",
            notes=[
                f"Cada una de tus próximas {quote.installments} fechas de corte te cobrará "
                f"una cuota; los intereses suman {format_money(quote.total_interest, currency)}."
            ],
        )

    def execute(self, actor: Actor, payload: dict, key: str) -> dict:
        card = member_credit_card(member=actor.owner, public_id=payload["card"])
        deferral = card_defer(
            card=card,
            purchases=payload["purchases"],
            installments=payload["installments"],
            key=key,
            user=actor.user,
            channel=actor.channel or Channel.WEB,
            quoted_installment=Decimal(payload["installment"]),
        )
        return deferral_result(deferral)


def _term(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def deferral_result(deferral: CardDeferral) -> dict:
    """What the done step shows: the receipt number, the deferral's figures and table,
    and the card's balances after it."""
    card = Card.objects.select_related("revolving_account", "deferred_account").get(
        pk=deferral.card_id
    )
    currency = card.revolving_account.currency
    rows = list(deferral.schedule.order_by("number"))
    return {
        "message": f"Comprobante N.º {deferral.journal_id}",
        "lines": [
            ("Tarjeta", f"{card.get_brand_display()} {card.masked_number}"),
            ("Total a diferir", format_money(deferral.amount, currency)),
            ("Número de cuotas", str(deferral.installments_count)),
            ("Valor interés", format_money(rows[0].interest, currency)),
            ("Valor cuota mensual", format_money(deferral.installment, currency)),
            ("Utilizado rotativo", format_money(card.revolving_used, currency)),
            ("Utilizado diferido", format_money(card.deferred_used, currency)),
        ],
        "schedule": schedule_table(rows, amount=deferral.amount, currency=currency),
    }


card_deferral = operation_kind_register(CardDefer())

"""The operations of Pago de Servicios: paying one biller's bills (or a top-up) from one
of the owner's accounts — "Consulta del servicio" → "Confirmar pago" → factor de
seguridad → "¡Pago exitoso!" (``accounts.operations``, ``docs/payments.md``)."""

from contextlib import suppress
from decimal import Decimal

from django.urls import reverse
from django.utils.http import urlencode

from accounts.operations import Actor, OperationKind, Prepared, operation_kind_register
from core.errors import DomainError
from core.masking import mask_number
from core.money import format_money
from ledger.exceptions import InsufficientFunds
from ledger.models import Channel
from payments.exceptions import PaymentError
from payments.forms import BillPayForm, biller_named
from payments.frequent import member_saved_service, saved_service_add
from payments.models import Biller, BillPayment
from payments.network import Bill
from payments.services import (
    BillOrder,
    bill_order_check,
    bill_pay,
    bill_quote,
    biller_inquire,
)
from products.receipts import receipt_result
from products.selectors import member_deposit_account, member_deposit_accounts

STATE_WORDS = {
    BillPayment.State.PAID: "Pagado",
    BillPayment.State.RESOLVING: "Por confirmar",
    BillPayment.State.HELD: "Por confirmar",
    BillPayment.State.REFUSED: "No realizado",
}


def bills_chosen(*, biller: Biller, reference: str, numbers: list[str]) -> list[Bill]:
    """The bills the member ticked, as the biller reports them now; refuses when one is
    no longer pending (paid elsewhere, or the biller changed it)."""
    pending = {bill.number: bill for bill in biller_inquire(biller=biller, reference=reference)}
    missing = [n for n in numbers if n not in pending]
    if missing:
        raise PaymentError(
            "Los valores a pagar cambiaron. Presiona «Consultar» para verlos de nuevo."
        )
    return [pending[n] for n in numbers]


class BillPay(OperationKind):
    """Pagar servicio: the bills ticked after «Consultar» (or the amount of a top-up),
    each with its commission, debited from the origin account; «Guardar servicio» keeps
    the biller and reference among the member's frequent payments."""

    purpose = "bill_payment"
    title = "Pago de Servicios"
    form_class = BillPayForm
    form_template = "payments/partials/pay_form.html"
    done_template = "payments/partials/pay_done.html"
    submit_label = "Pagar"
    review_title = "Confirmar pago"
    done_title = "¡Pago exitoso!"
    back_url_name = "payments:index"

    def form_kwargs(self, actor: Actor) -> dict:
        return {"accounts": member_deposit_accounts(member=actor.owner)}

    def action_url(self, request) -> str:
        biller = request.GET.get("servicio") or request.POST.get("servicio", "")
        return f"{request.path}?{urlencode({'servicio': biller})}" if biller else request.path

    def _submitted(self, request) -> dict:
        if request.method == "POST":
            return request.POST
        return request.GET

    def initial(self, request, actor: Actor) -> dict:
        """What the page starts with: the biller chosen (``?servicio=``), a saved service's
        reference (``?frecuente=``), or — after «Consultar» — what was typed."""
        source = self._submitted(request)
        initial = {
            name: source.get(name)
            for name in ("servicio", "origen", "referencia", "monto", "alias")
            if source.get(name)
        }
        if hasattr(source, "getlist") and source.getlist("recibos"):
            initial["recibos"] = source.getlist("recibos")
        if source.get("guardar"):
            initial["guardar"] = True
        saved = source.get("frecuente")
        if saved:
            service = member_saved_service(member=actor.owner, public_id=saved)
            initial.update(servicio=str(service.biller.public_id), referencia=service.reference)
        return initial

    def extra_context(self, request, actor: Actor) -> dict:
        """The biller the page is for and, once its reference is typed and «Consultar»
        pressed (or a saved service opened), the bills to choose from: "No de Recibo",
        "Comisión", "Total", "Seleccionar Pago"."""
        initial = self.initial(request, actor)
        biller = biller_named(initial.get("servicio"))
        context = {"biller": biller, "bills": None}
        reference = initial.get("referencia", "")
        wants_bills = "refresh" in request.POST or request.GET.get("frecuente")
        if biller is None or biller.mode != Biller.Mode.BILLS or not reference or not wants_bills:
            return context
        try:
            bills = biller_inquire(biller=biller, reference=" ".join(reference.split()))
        except DomainError as exc:
            context["inquiry_error"] = exc.message
            return context
        currency = biller.category.cooperative.currency
        rows = []
        for n, bill in enumerate(bills):
            quote = bill_quote(biller=biller, amount=bill.amount)
            rows.append(
                {
                    "number": bill.number,
                    "description": bill.description,
                    "commission": format_money(quote.commission + quote.iva, currency),
                    "amount": format_money(bill.amount, currency),
                    "total": format_money(quote.total, currency),
                    "checked": bill.number in initial["recibos"]
                    if "recibos" in initial
                    else n == 0,
                }
            )
        context["bills"] = rows
        return context

    def prepare(self, actor: Actor, form, context: dict) -> Prepared:
        data = form.cleaned_data
        biller, origin, reference = data["servicio"], data["origen"], data["referencia"]
        if biller.mode == Biller.Mode.AMOUNT:
            bills = [Bill(number="", description="", amount=data["monto"])]
        else:
            bills = bills_chosen(biller=biller, reference=reference, numbers=data["recibos"])
        quotes = [
            bill_order_check(
                member=actor.owner,
                order=BillOrder(
                    origin=origin,
                    biller=biller,
                    reference=reference,
                    amount=bill.amount,
                    bill_number=bill.number,
                    description=bill.description,
                ),
            )
            for bill in bills
        ]
        amount = sum((b.amount for b in bills), Decimal("0.00"))
        fee = sum((q.commission + q.iva for q in quotes), Decimal("0.00"))
        total = amount + fee
        if origin.ledger_account.available < total:
            raise InsufficientFunds
        currency = origin.ledger_account.currency
        review = [
            ("Monto a pagar", format_money(amount, currency)),
            ("Cuenta de origen", f"{origin.product_type.name} {mask_number(origin.number)}"),
            ("Servicio", f"{biller.category.name} {biller.name}"),
            (biller.reference_label, reference),
        ]
        if len(bills) > 1:
            review += [
                (f"Recibo N.º {bill.number}", format_money(bill.amount, currency)) for bill in bills
            ]
        review += [
            ("Comisión", format_money(fee, currency)),
            ("Total a debitar", format_money(total, currency)),
        ]
        return Prepared(
            payload={
                "origin": str(origin.public_id),
                "biller": biller.pk,
                "reference": reference,
                "bills": [
                    {"number": b.number, "description": b.description, "amount": str(b.amount)}
                    for b in bills
                ],
                "save": data["alias"] if data.get("guardar") else "",
            },
            review=review,
            summary=f"Pago de {biller.name} por {format_money(total, currency)}",
        )

    def execute(self, actor: Actor, payload: dict, key: str) -> dict:
        """Pays each bill under its own key (``key:n``): a replay finds every one already
        done. A refusal before anything was paid refuses the operation; after a first
        bill was paid, the rest is told and the operation is partially executed."""
        origin = member_deposit_account(member=actor.owner, public_id=payload["origin"])
        biller = Biller.objects.select_related("category__cooperative").get(pk=payload["biller"])
        payments, refusal = [], None
        for n, bill in enumerate(payload["bills"]):
            try:
                payments.append(
                    bill_pay(
                        member=actor.owner,
                        order=BillOrder(
                            origin=origin,
                            biller=biller,
                            reference=payload["reference"],
                            amount=Decimal(bill["amount"]),
                            bill_number=bill["number"],
                            description=bill["description"],
                        ),
                        key=f"{key}:{n}",
                        user=actor.user,
                        channel=actor.channel or Channel.WEB,
                    )
                )
            except DomainError as exc:
                if not payments:
                    raise
                refusal = exc.message
                break
        if payload.get("save"):
            self._save(actor, biller, payload["reference"], payload["save"])
        return bill_result(payments, viewer=actor.owner, refusal=refusal)

    def _save(self, actor: Actor, biller: Biller, reference: str, alias: str) -> None:
        with suppress(DomainError):  # already saved: the payment is what was asked for
            saved_service_add(
                member=actor.owner, biller=biller, reference=reference, alias=alias, by=actor
            )


def bill_result(payments: list[BillPayment], *, viewer, refusal: str | None = None) -> dict:
    """ "¡Pago exitoso!" with the receipt of the first bill paid, and each bill's state
    when there were several or one is still being confirmed."""
    paid = [p for p in payments if p.state == BillPayment.State.PAID]
    result = receipt_result(paid[0].journal, viewer=viewer) if paid else {}
    if paid:
        result["title"] = "¡Pago exitoso!"
        result["message"] = f"Comprobante N.º {paid[0].journal.reference}"
    if len(paid) < len(payments):
        result["title"] = "Pago en proceso"
        result["pending"] = (
            "La empresa de servicios aún no confirma el pago. Lo verás en «Historial de "
            "pagos»; si no se confirma, el valor vuelve a tu cuenta y te avisaremos."
        )
    if len(payments) > 1 or len(paid) < len(payments) or refusal:
        result["bills"] = [
            {
                "number": p.bill_number or "—",
                "total": format_money(p.total, p.currency),
                "state": STATE_WORDS[p.state],
            }
            for p in payments
        ]
    if refusal:
        result["partially_executed"] = True
        result["title"] = "Pago realizado en parte"
        result["refusal"] = refusal
    result["history_url"] = reverse("payments:index")
    return result


bill_payment = operation_kind_register(BillPay())

"""The operations of Pago de Servicios: paying one biller's bills (or a top-up) from one
of the owner's accounts — "Consulta del servicio" → "Confirmar pago" → factor de
seguridad → "¡Pago exitoso!" — and registering, changing and removing a scheduled payment
("Pagos programados": the terms accepted beside the code → "¡Pago programado con
éxito!") (``accounts.operations``, ``docs/payments.md``)."""

from contextlib import suppress
from datetime import date, datetime
from decimal import Decimal

from django import forms
from django.http import Http404
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.http import urlencode

from accounts.operations import (
    Acceptance,
    Actor,
    OperationKind,
    Prepared,
    operation_kind_register,
)
from core.errors import DomainError
from core.masking import mask_number
from core.money import format_money
from ledger.exceptions import InsufficientFunds
from ledger.models import Channel
from payments.exceptions import PaymentError
from payments.forms import (
    BillPayForm,
    ScheduleForm,
    SchedulePlanForm,
    biller_named,
)
from payments.frequent import member_saved_service, saved_service_add
from payments.models import Biller, BillPayment, PaymentSchedule
from payments.network import Bill
from payments.queries import order_read
from payments.receipts import service_lines
from payments.schedules import (
    TERMS_VERSION,
    ScheduleGone,
    SchedulePlan,
    member_schedule,
    member_schedules,
    schedule_check,
    schedule_create,
    schedule_delete,
    schedule_terms,
    schedule_update,
)
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
            ("Cuenta de origen", origin.masked_name),
            *service_lines(biller, reference),
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
        bill was paid, the rest is told and the operation is partially executed. The
        payload of a scheduled payment names its schedule (``payments.schedules``) and
        when the biller listed its bill (not asked again if that was moments ago)."""
        origin, biller = order_read(
            member_id=actor.owner.pk,
            origin_public_id=payload["origin"],
            biller_id=payload["biller"],
        )
        if biller is None:
            raise Biller.DoesNotExist
        if origin is None:  # not the owner's (any more): as the account's page answers
            raise Http404
        inquired_at = payload.get("inquired_at")
        inquired_at = datetime.fromisoformat(inquired_at) if inquired_at else None
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
                            inquired_at=inquired_at,
                        ),
                        key=f"{key}:{n}",
                        user=actor.user,
                        channel=actor.channel or Channel.WEB,
                        schedule_id=payload.get("schedule"),
                        # Read just above; after a first bill, its hold changed them.
                        refresh=n > 0,
                    )
                )
            except DomainError as exc:
                if not payments:
                    raise
                refusal = exc.message
                break
        if payload.get("save"):
            self._save(actor, biller, payload["reference"], payload["save"])
        return bill_result(
            payments, viewer=actor.owner, refusal=refusal, receipt=actor.user is not None
        )

    def _save(self, actor: Actor, biller: Biller, reference: str, alias: str) -> None:
        with suppress(DomainError):  # already saved: the payment is what was asked for
            saved_service_add(
                member=actor.owner, biller=biller, reference=reference, alias=alias, by=actor
            )


def bill_result(
    payments: list[BillPayment], *, viewer, refusal: str | None = None, receipt: bool = True
) -> dict:
    """ "¡Pago exitoso!" with the receipt of the first bill paid, and each bill's state
    when there were several or one is still being confirmed. Without ``receipt`` (a
    worker's run: nobody is looking) the receipt's lines are left out; ``payments`` says
    each payment's state, journal and total either way."""
    paid = [p for p in payments if p.state == BillPayment.State.PAID]
    result = receipt_result(paid[0].journal, viewer=viewer) if paid and receipt else {}
    if paid:
        result["title"] = "¡Pago exitoso!"
        result["message"] = f"Comprobante N.º {paid[0].journal_id}"
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
    result["payments"] = [
        {"key": p.key, "state": p.state, "journal": p.journal_id, "total": str(p.total)}
        for p in payments
    ]
    result["history_url"] = reverse("payments:index")
    return result


bill_payment = operation_kind_register(BillPay())


# --- Pagos programados ---------------------------------------------------------------------

FREQUENCY_WORDS = dict(PaymentSchedule.Frequency.choices)
OVER_MAX_NOTE = (
    "Recuerda que si la factura es mayor al valor establecido en el campo Monto máximo el "
    "pago no se realizará y te lo notificaremos por correo electrónico."
)


def _plan(data: dict) -> SchedulePlan:
    return SchedulePlan(
        origin=data["origen"],
        max_amount=data["monto_maximo"],
        frequency=data["frecuencia"],
        day_of_month=data.get("dia"),
        start_date=data["fecha_inicio"],
        end_date=data.get("fecha_fin"),
    )


def _plan_payload(plan: SchedulePlan) -> dict:
    return {
        "origin": str(plan.origin.public_id),
        "max_amount": str(plan.max_amount),
        "frequency": plan.frequency,
        "day_of_month": plan.day_of_month,
        "start_date": plan.start_date.isoformat(),
        "end_date": plan.end_date.isoformat() if plan.end_date else None,
    }


def _plan_from_payload(actor: Actor, payload: dict) -> SchedulePlan:
    return SchedulePlan(
        origin=member_deposit_account(member=actor.owner, public_id=payload["origin"]),
        max_amount=Decimal(payload["max_amount"]),
        frequency=payload["frequency"],
        day_of_month=payload["day_of_month"],
        start_date=date.fromisoformat(payload["start_date"]),
        end_date=date.fromisoformat(payload["end_date"]) if payload["end_date"] else None,
    )


def _frequency_words(plan: SchedulePlan | PaymentSchedule) -> str:
    if plan.frequency == PaymentSchedule.Frequency.MONTHLY:
        return f"Mensual, el día {plan.day_of_month}"
    return FREQUENCY_WORDS[plan.frequency]


def _plan_review(plan: SchedulePlan, currency: str) -> list[tuple[str, str]]:
    return [
        ("Cuenta de débito", f"{plan.origin.product_type.name} - N.º Cta. "
         f"{mask_number(plan.origin.number)}"),
        ("Monto máximo", format_money(plan.max_amount, currency)),
        ("Frecuencia", _frequency_words(plan)),
        ("Fecha de inicio", date_format(plan.start_date, "SHORT_DATE_FORMAT")),
        ("Fecha de finalización", date_format(plan.end_date, "SHORT_DATE_FORMAT")
         if plan.end_date else "Indefinida"),
    ]  # fmt: skip


def schedule_result(schedule: PaymentSchedule) -> dict:
    """What "¡Pago programado con éxito!" shows: "Información del pago programado",
    "Información de la cuenta de origen", "Información del servicio" (JSON)."""
    origin = schedule.origin
    currency = origin.ledger_account.currency
    return {
        "sections": [
            [
                "Información del pago programado",
                [
                    ["Monto máximo", format_money(schedule.max_amount, currency)],
                    ["Frecuencia", _frequency_words(schedule)],
                    [
                        "Fecha de finalización",
                        date_format(schedule.end_date, "SHORT_DATE_FORMAT")
                        if schedule.end_date
                        else "Indefinida",
                    ],
                ],
            ],
            [
                "Información de la cuenta de origen",
                [
                    ["Cuenta a debitar", schedule.member.greeting_name],
                    ["N.º Cta.", f"{origin.product_type.name} - {mask_number(origin.number)}"],
                ],
            ],
            [
                "Información del servicio",
                [
                    ["Categoría", schedule.biller.category.name],
                    ["Servicio", schedule.biller.name],
                    ["Referencia", schedule.reference],
                ],
            ],
        ],
        "list_url": reverse("payments:scheduled"),
    }


class ScheduleOperation(OperationKind):
    """What registering, changing and removing a schedule share: the member's accounts,
    the list they come back to, and the schedule a URL names (only the owner's)."""

    back_url_name = "payments:scheduled"
    form_template = "payments/partials/schedule_form.html"
    done_template = "payments/partials/schedule_done.html"

    def form_kwargs(self, actor: Actor) -> dict:
        return {"accounts": member_deposit_accounts(member=actor.owner)}

    def context(self, request) -> dict:
        public_id = request.resolver_match.kwargs.get("public_id")
        return {"schedule": str(public_id)} if public_id else {}

    def schedule(self, actor: Actor, public_id) -> PaymentSchedule:
        """The owner's schedule (404 for anyone else's, or a removed one)."""
        return member_schedule(member=actor.owner, public_id=public_id)

    def _owned(self, actor: Actor, public_id) -> PaymentSchedule | None:
        """The owner's schedule when the code arrives, or None once it was removed."""
        return (
            member_schedules(member=actor.owner)
            .select_related("origin__ledger_account", "member")
            .filter(public_id=public_id)
            .first()
        )


class ScheduleCreate(ScheduleOperation):
    """ "Programar pagos": the service chosen on the page before (``?servicio=``), the
    account, the reference and the maximum, the frequency and the dates; then the terms,
    accepted beside the code; then "¡Pago programado con éxito!"."""

    purpose = "payment_schedule_add"
    title = "Programar pagos"
    form_class = ScheduleForm
    submit_label = "Programar pago"
    review_title = "Confirmar pago programado"
    done_title = "¡Pago programado con éxito!"

    def action_url(self, request) -> str:
        biller = request.GET.get("servicio") or request.POST.get("servicio", "")
        return f"{request.path}?{urlencode({'servicio': biller})}" if biller else request.path

    def initial(self, request, actor: Actor) -> dict:
        return {"servicio": request.GET.get("servicio", "")}

    def extra_context(self, request, actor: Actor) -> dict:
        biller = biller_named(request.POST.get("servicio") or request.GET.get("servicio"))
        if biller is not None and biller.mode != Biller.Mode.BILLS:
            biller = None  # a top-up has no bills to pay by itself
        return {"biller": biller, "over_max_note": OVER_MAX_NOTE}

    def prepare(self, actor: Actor, form, context: dict) -> Prepared:
        data = form.cleaned_data
        biller, plan = data["servicio"], _plan(data)
        reference = schedule_check(
            member=actor.owner, biller=biller, reference=data["referencia"], plan=plan
        )
        currency = plan.origin.ledger_account.currency
        return Prepared(
            payload={
                "biller": biller.pk,
                "reference": reference,
                "terms_version": TERMS_VERSION,
                **_plan_payload(plan),
            },
            review=[*service_lines(biller, reference), *_plan_review(plan, currency)],
            notes=[OVER_MAX_NOTE],
            summary=f"Pago programado de {biller.name}",
        )

    def acceptance(self, payload: dict) -> Acceptance:
        return Acceptance(
            title="Términos y Condiciones", text=schedule_terms(payload["terms_version"])
        )

    def execute(self, actor: Actor, payload: dict, key: str) -> dict:
        biller = Biller.objects.select_related("category__cooperative").get(pk=payload["biller"])
        schedule = schedule_create(
            member=actor.owner,
            biller=biller,
            reference=payload["reference"],
            plan=_plan_from_payload(actor, payload),
            terms_version=payload["terms_version"],
            key=key,
            by=actor,
        )
        return schedule_result(schedule)


class ScheduleEdit(ScheduleOperation):
    """ "Editar": the account, the maximum, the frequency and the dates of a schedule."""

    purpose = "payment_schedule_edit"
    title = "Editar pago programado"
    form_class = SchedulePlanForm
    submit_label = "Guardar cambios"
    review_title = "Confirmar cambios"
    done_title = "Pago programado actualizado."

    def initial(self, request, actor: Actor) -> dict:
        s = self.schedule(actor, self.context(request)["schedule"])
        return {
            "origen": str(s.origin.public_id),
            "monto_maximo": f"{s.max_amount:.2f}",
            "frecuencia": s.frequency,
            "dia": s.day_of_month,
            "fecha_inicio": s.start_date,
            "fecha_fin": s.end_date,
            "indefinida": s.end_date is None,
        }

    def extra_context(self, request, actor: Actor) -> dict:
        s = self.schedule(actor, self.context(request)["schedule"])
        return {
            "schedule_lines": service_lines(s.biller, s.reference),
            "over_max_note": OVER_MAX_NOTE,
        }

    def prepare(self, actor: Actor, form, context: dict) -> Prepared:
        s = self.schedule(actor, context["schedule"])
        plan = _plan(form.cleaned_data)
        schedule_check(
            member=actor.owner, biller=s.biller, reference=s.reference, plan=plan, schedule=s
        )
        currency = plan.origin.ledger_account.currency
        return Prepared(
            payload={"schedule": str(s.public_id), **_plan_payload(plan)},
            review=[*service_lines(s.biller, s.reference), *_plan_review(plan, currency)],
            notes=[OVER_MAX_NOTE],
            summary=f"Cambio del pago programado de {s.biller.name}",
        )

    def execute(self, actor: Actor, payload: dict, key: str) -> dict:
        s = self._owned(actor, payload["schedule"])
        if s is None:  # removed in another window while the code was on its way
            return {"title": ScheduleGone.message, "list_url": reverse("payments:scheduled")}
        try:
            s = schedule_update(schedule=s, plan=_plan_from_payload(actor, payload), by=actor)
        except ScheduleGone:
            return {"title": ScheduleGone.message, "list_url": reverse("payments:scheduled")}
        return schedule_result(s)


class ScheduleDeleteForm(forms.Form):
    """Nothing to type: «Sí, eliminar» asks for the code."""


class ScheduleDelete(ScheduleOperation):
    """ "Eliminar": the beat stops paying it; what it already paid stays paid."""

    purpose = "payment_schedule_delete"
    title = "Eliminar pago programado"
    form_class = ScheduleDeleteForm
    form_template = "payments/partials/schedule_delete.html"
    submit_label = "Sí, eliminar"
    review_title = "Eliminar pago programado"
    done_title = "Pago programado eliminado."
    done_template = ""

    def form_kwargs(self, actor: Actor) -> dict:
        return {}

    def initial(self, request, actor: Actor) -> dict:
        self.schedule(actor, self.context(request)["schedule"])  # another's: 404
        return {}

    def extra_context(self, request, actor: Actor) -> dict:
        s = self.schedule(actor, self.context(request)["schedule"])
        return {
            "schedule_lines": service_lines(s.biller, s.reference),
            "question": "¿Deseas eliminar este pago programado? Los pagos que ya se hicieron "
            "no cambian.",
        }

    def prepare(self, actor: Actor, form, context: dict) -> Prepared:
        s = self.schedule(actor, context["schedule"])
        return Prepared(
            payload={"schedule": str(s.public_id)},
            review=service_lines(s.biller, s.reference),
            summary=f"Eliminación del pago programado de {s.biller.name}",
        )

    def execute(self, actor: Actor, payload: dict, key: str) -> dict:
        # Among all the owner's rows: a second tab that removed it finds it removed.
        s = PaymentSchedule.objects.filter(
            member=actor.owner, public_id=payload["schedule"]
        ).first()
        if s is not None:
            schedule_delete(schedule=s, by=actor)
        return {}


schedule_add = operation_kind_register(ScheduleCreate())
schedule_edit = operation_kind_register(ScheduleEdit())
schedule_remove = operation_kind_register(ScheduleDelete())

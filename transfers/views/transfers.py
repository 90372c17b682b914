"""Transferencias: the three kinds of transfer, each form → "Confirmar transferencia" →
factor de seguridad → "¡Transferencia exitosa!", and the transfers page with its
"Transacciones frecuentes" and latest transfers."""

import uuid
from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Max, OuterRef, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_safe

from accounts.confirm import Operation, Prepared, operation_view
from core.masking import mask_number
from core.money import format_money
from core.profile import cooperative_current
from ledger.models import Channel, Posting
from products.models import DepositAccount
from products.receipts import receipt_result
from products.selectors import member_deposit_accounts
from transfers.beneficiaries import member_beneficiaries
from transfers.forms import TransferForm
from transfers.models import Beneficiary, Transfer, TransferKind
from transfers.network import PayeeResult, network_get
from transfers.services import (
    DEFERRED_NOTE,
    TransferOrder,
    cooling_off_note,
    kind_label,
    transfer_execute,
    transfer_quote,
)

RECENT = 10
FREQUENT = 5


def _member(request):
    member = getattr(request.user, "member", None)
    if member is None:
        raise Http404
    return member


def transfer_url(beneficiary: Beneficiary) -> str:
    """The transfer form of the beneficiary's kind, with the beneficiary chosen."""
    name = (
        "transfers:internal"
        if beneficiary.kind == Beneficiary.Kind.INTERNAL
        else "transfers:interbank"
    )
    return f"{reverse(name)}?beneficiario={beneficiary.public_id}"


@login_required
@require_safe
def index(request):
    """The three transfer options, the member's most used destinations and the latest
    transfers with their state (an interbank one goes Por enviar → Enviada → Acreditada)."""
    member = _member(request)
    since = timezone.now() - timezone.timedelta(days=90)
    frequent_ids = (
        Transfer.objects.filter(member=member, created_at__gte=since, beneficiary__isnull=False)
        .values("beneficiary")
        .annotate(uses=Count("pk"), last=Max("created_at"))
        .order_by("-uses", "-last")[:FREQUENT]
    )
    ids = [row["beneficiary"] for row in frequent_ids]
    beneficiaries = {b.pk: b for b in member_beneficiaries(member=member).filter(pk__in=ids)}
    frequent = [
        {
            "beneficiary": b,
            "url": transfer_url(b),
            "account": mask_number(b.account_number),
        }
        for b in (beneficiaries[i] for i in ids if i in beneficiaries)
    ]
    debit = Posting.objects.filter(
        journal_id=OuterRef("journal_id"),
        account_id=OuterRef("origin__ledger_account_id"),
        amount_minor__gt=0,
    ).values("pk")[:1]
    recent = (
        Transfer.objects.filter(member=member)
        .select_related(
            "origin", "destination__product_type", "beneficiary__institution", "journal"
        )
        .annotate(debit_posting=Subquery(debit))
        .order_by("-created_at", "-pk")[:RECENT]
    )
    return render(
        request,
        "transfers/index.html",
        {
            "frequent": frequent,
            "recent": [
                (
                    t,
                    format_money(t.amount, t.currency),
                    reverse("products:receipt", args=[t.origin.public_id, t.debit_posting])
                    if t.debit_posting
                    else "",
                )
                for t in recent
            ],
        },
    )


class TransferOperation(Operation):
    """One kind of transfer; the form offers only the member's own accounts and
    beneficiaries, and ``prepare``/``execute`` check everything again server-side."""

    kind: str = ""
    purpose = "transfer"
    form_class = TransferForm
    form_template = "transfers/partials/transfer_form.html"
    done_template = "transfers/partials/transfer_done.html"
    submit_label = "Continuar"
    review_title = "Confirmar transferencia"
    back_url_name = "transfers:index"

    def _accounts(self, request) -> list[DepositAccount]:
        return member_deposit_accounts(member=_member(request))

    def _beneficiaries(self, request) -> list[Beneficiary]:
        if self.kind == TransferKind.OWN:
            return []
        kind = (
            Beneficiary.Kind.INTERNAL
            if self.kind == TransferKind.INTERNAL
            else Beneficiary.Kind.EXTERNAL
        )
        return list(member_beneficiaries(member=_member(request), kind=kind))

    def form_kwargs(self, request):
        coop = cooperative_current()
        return {
            "kind": self.kind,
            "accounts": self._accounts(request),
            "beneficiaries": self._beneficiaries(request),
            "ask_funds": coop.funds_origin_threshold is not None,
        }

    def initial(self, request):
        beneficiary = request.GET.get("beneficiario", "")
        return {"destino": beneficiary} if beneficiary else {}

    def extra_context(self, request):
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

    def prepare(self, request, form):
        member = _member(request)
        order = self._order(form)
        quote = transfer_quote(member=member, order=order)
        review = quote.review()
        notes = []
        payee_check = ""
        if self.kind == TransferKind.INTERBANK:
            beneficiary = order.beneficiary
            check = network_get().payee_check(
                institution_code=beneficiary.institution.code,
                account_type=beneficiary.account_type,
                account_number=beneficiary.account_number,
                name=beneficiary.name,
            )
            payee_check = check.result
            review.append(("Confirmación del beneficiario", check.label))
            if check.result == PayeeResult.UNAVAILABLE:
                notes.append(
                    "No pudimos confirmar el titular con su institución: verifica el número "
                    "de cuenta y el nombre antes de confirmar."
                )
            if check.result in (PayeeResult.NO_MATCH, PayeeResult.CLOSE):
                notes.append(
                    "Revisa el beneficiario antes de confirmar: el nombre registrado no coincide "
                    "con el titular que reporta su institución. Si continúas, el dinero podría "
                    "llegar a otra persona."
                )
            if not beneficiary.institution.immediate:
                notes.append(
                    f"{beneficiary.institution.name} acredita hasta en 24 horas laborables."
                )
        if note := cooling_off_note(order.beneficiary, order.currency):
            notes.append(note)
        if quote.deferred:
            notes.append(
                f"{DEFERRED_NOTE}: se procesará el {quote.value_date.strftime('%d/%m/%Y')}."
            )
        currency = order.currency
        to_account = (
            order.destination.number if order.destination else order.beneficiary.account_number
        )
        return Prepared(
            payload={
                "key": uuid.uuid4().hex,
                "origin": str(order.origin.public_id),
                "destination": str(order.destination.public_id) if order.destination else "",
                "beneficiary": str(order.beneficiary.public_id) if order.beneficiary else "",
                "amount": str(order.amount),
                "motive": order.motive,
                "funds_origin": order.funds_origin,
                "funds_destination": order.funds_destination,
                "payee_check": payee_check,
            },
            review=review,
            summary=f"Transferencia de {format_money(order.amount, currency)} a "
            f"{mask_number(to_account)}",
            notes=notes,
        )

    def execute(self, request, payload):
        member = _member(request)
        accounts = DepositAccount.objects.select_related("ledger_account", "product_type")
        origin = get_object_or_404(accounts, member=member, public_id=payload["origin"])
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
            destination = get_object_or_404(
                accounts, member=member, public_id=payload["destination"]
            )
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
            key=payload["key"],
            user=request.user,
            channel=Channel.WEB,
            payee_check=payload["payee_check"],
        )
        return self._result(request, transfer)

    def executed(self, request, payload):
        transfer = (
            Transfer.objects.select_related("journal", "member")
            .filter(key=payload["key"], member=_member(request))
            .first()
        )
        return self._result(request, transfer) if transfer else None

    def _result(self, request, transfer: Transfer) -> dict:
        result = receipt_result(transfer.journal, viewer=transfer.member)
        result["title"] = "¡Transferencia exitosa!"
        result["message"] = f"Comprobante N.º {transfer.journal.reference}"
        result["again_url"] = request.path
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


transfer_own = operation_view(OwnTransfer())
transfer_internal = operation_view(InternalTransfer())
transfer_interbank = operation_view(InterbankTransfer())

"""Personalización de Cupos: the member's own daily, weekly and monthly amounts per
transfer type, never above the cooperative's, confirmed with the security code."""

from decimal import Decimal

from accounts.audit import audit_log
from accounts.confirm import Operation, Prepared, operation_view
from accounts.notices import security_change_notify
from core.money import format_money
from core.profile import cooperative_current
from transfers.forms import LimitsForm
from transfers.limits import (
    PERIODS,
    LimitError,
    cooperative_limits,
    customizable_kinds,
    member_limits,
    member_limits_update,
)
from transfers.services import kind_label
from transfers.views.transfers import _member


class LimitsChange(Operation):
    purpose = "limits_change"
    title = "Personalización de Cupos"
    intro = "Personaliza los montos que puedes transferir a otras cuentas y hacia otros bancos."
    form_class = LimitsForm
    form_template = "transfers/limits_form.html"
    submit_label = "Guardar cambios"
    back_url_name = "products:services"

    def form_kwargs(self, request):
        coop = cooperative_current()
        kinds = customizable_kinds()
        return {
            "maximums": {kind: cooperative_limits(kind) for kind in kinds},
            "labels": {kind: kind_label(kind) for kind in kinds},
            "currency": coop.currency,
        }

    def initial(self, request):
        member = _member(request)
        values = {}
        for kind in customizable_kinds():
            limits = member_limits(member=member, kind=kind)
            for period, _ in PERIODS:
                values[f"{kind}_{period}"] = limits.get(period)
        return values

    def extra_context(self, request):
        return {"short_name": cooperative_current().short_name}

    def prepare(self, request, form):
        member = _member(request)
        currency = cooperative_current().currency
        values = form.values()
        if not values:
            raise LimitError(
                f"{cooperative_current().short_name} no tiene cupos de transferencias "
                "que puedas personalizar."
            )
        current = {}
        for kind in values:
            limits = member_limits(member=member, kind=kind)
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

    def execute(self, request, payload):
        member_limits_update(
            member=_member(request),
            values={
                kind: {period: Decimal(amount) for period, amount in amounts.items()}
                for kind, amounts in payload.items()
            },
        )
        audit_log(event="limits_changed", user=request.user, request=request)
        security_change_notify(
            user=request.user, what="se actualizaron tus cupos de transferencias"
        )
        return {}


limits_change = operation_view(LimitsChange())

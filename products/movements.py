"""The movement filter of an account ("Filtrar"): Hoy, Ayer, Mes anterior, Personalizado."""

from dataclasses import dataclass
from datetime import date, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ledger.models import Kind
from ledger.selectors import CREDITS, DEBITS, Movement

MAX_RANGE_DAYS = 365


class MovementFilterForm(forms.Form):
    PERIODS = [
        ("ultimos", _("Últimos movimientos")),
        ("hoy", _("Hoy")),
        ("ayer", _("Ayer")),
        ("mes_anterior", _("Mes anterior")),
        ("personalizado", _("Personalizado")),
    ]
    TYPES = [("todos", _("Todos")), ("debitos", _("Débitos")), ("creditos", _("Créditos"))]

    periodo = forms.ChoiceField(
        label=_("Período"), choices=PERIODS, required=False, widget=forms.RadioSelect
    )
    desde = forms.DateField(
        label=_("Fecha desde"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    hasta = forms.DateField(
        label=_("Fecha hasta"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    tipo = forms.ChoiceField(label=_("Tipo movimiento"), choices=TYPES, required=False)

    def clean(self):
        data = super().clean()
        if data.get("periodo") == "personalizado":
            start, end = data.get("desde"), data.get("hasta")
            if not start or not end:
                raise forms.ValidationError(_("Indica la fecha desde y la fecha hasta."))
            if start > end:
                raise forms.ValidationError(
                    _("La fecha desde no puede ser posterior a la fecha hasta.")
                )
            if end > timezone.localdate():
                raise forms.ValidationError(_("La fecha hasta no puede ser posterior a hoy."))
            if (end - start).days > MAX_RANGE_DAYS:
                raise forms.ValidationError(
                    _("Fecha máximo de consulta %(days)s día(s): elige un rango más corto.")
                    % {"days": MAX_RANGE_DAYS}
                )
        return data


@dataclass(frozen=True)
class MovementQuery:
    date_from: date | None
    date_to: date | None
    direction: str | None
    label: str

    @property
    def is_latest(self) -> bool:
        """ "Últimos movimientos": no date range, the newest ten (five on a phone)."""
        return self.date_from is None


def movement_query(form: MovementFilterForm) -> MovementQuery:
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    today = timezone.localdate()
    direction = {"debitos": DEBITS, "creditos": CREDITS}.get(data.get("tipo") or "todos")
    period = data.get("periodo") or "ultimos"
    if period == "hoy":
        return MovementQuery(today, today, direction, "Hoy")
    if period == "ayer":
        yesterday = today - timedelta(days=1)
        return MovementQuery(yesterday, yesterday, direction, "Ayer")
    if period == "mes_anterior":
        last = today.replace(day=1) - timedelta(days=1)
        return MovementQuery(last.replace(day=1), last, direction, "Mes anterior")
    if period == "personalizado":
        return MovementQuery(data["desde"], data["hasta"], direction, "Personalizado")
    return MovementQuery(None, None, direction, "Últimos movimientos")


def movement_type(movement: Movement) -> str:
    """What the manuals' "Tipo" column says."""
    if movement.kind == Kind.DEPOSIT and not movement.is_debit:
        return "DEPÓSITO"
    if movement.kind == Kind.WITHDRAWAL and movement.is_debit:
        return "RETIRO"
    return "NOTA DE DÉBITO" if movement.is_debit else "NOTA DE CRÉDITO"

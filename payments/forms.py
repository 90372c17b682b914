"""The shape of a service payment: the biller (chosen on the page before), the origin
account, the reference the biller asks for, the bills chosen or the amount of a top-up,
and "Guardar servicio" with its alias. What the bills are and cost is the service's.

And the shape of a scheduled payment ("Programar pagos"): the same service, account and
reference, the maximum of a bill, the frequency and the dates; whether they can be kept
is ``payments.schedules.schedule_check``'s."""

import re
import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from core.fields import AmountField, OriginAccountField
from core.profile import cooperative_current
from payments.models import Biller, PaymentSchedule
from products.forms import account_label
from products.models import DepositAccount


def billers_offered():
    """The active billers of the active cooperative's active categories."""
    return Biller.objects.select_related("category").filter(
        is_active=True,
        category__is_active=True,
        category__cooperative=cooperative_current(),
    )


def biller_named(public_id) -> Biller | None:
    """The offered biller with that public id (``?servicio=``), or None."""
    try:
        public_id = uuid.UUID(str(public_id))
    except ValueError:
        return None
    return billers_offered().filter(public_id=public_id).first()


BILL_NUMBER = re.compile(r"^[\w.-]{1,40}$")
MAX_AMOUNT = 100_000


class BillNumbersField(forms.MultipleChoiceField):
    """The bills the member ticked: numbers as the biller gave them. Which ones exist and
    what they cost is asked again of the biller when the payment is prepared."""

    def valid_value(self, value) -> bool:
        return bool(BILL_NUMBER.match(str(value)))


class BillPayForm(forms.Form):
    servicio = forms.ModelChoiceField(
        queryset=Biller.objects.none(),
        to_field_name="public_id",
        widget=forms.HiddenInput,
        error_messages={
            "required": _("Elige el servicio que deseas pagar."),
            "invalid_choice": _("El servicio no está disponible."),
        },
    )
    referencia = forms.CharField(max_length=40)
    recibos = BillNumbersField(
        label=_("Seleccionar Pago"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Vuelve a consultar los valores a pagar.")},
    )
    monto = AmountField(
        label=_("Monto"),
        required=False,
        max_value=MAX_AMOUNT,
        widget=forms.TextInput(
            attrs={"inputmode": "decimal", "autocomplete": "off", "placeholder": "Ej: $ 20.00"}
        ),
    )
    guardar = forms.BooleanField(
        label=_("Guardar servicio"),
        required=False,
        widget=forms.CheckboxInput(attrs={"data-reveals": ""}),
    )
    alias = forms.CharField(label=_("Alias"), max_length=30, required=False)

    def __init__(self, *args, accounts: list[DepositAccount], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["servicio"].queryset = billers_offered()
        self.fields = {
            "servicio": self.fields["servicio"],
            "origen": OriginAccountField(
                accounts=[a for a in accounts if a.can_transact], describe=account_label
            ),
            **{name: f for name, f in self.fields.items() if name != "servicio"},
        }
        self.biller = self._biller()
        reference = self.fields["referencia"]
        reference.label = self.biller.reference_label if self.biller else _("Referencia")
        reference.error_messages["required"] = f"Ingresa {reference.label}."
        reference.widget.attrs.update({"autocomplete": "off", "placeholder": reference.label})
        self.fields["recibos"].choices = [(v, v) for v in self._ticked()]

    def _biller(self) -> Biller | None:
        raw = self.data.get("servicio") if self.is_bound else self.initial.get("servicio")
        return biller_named(raw)

    def _ticked(self) -> list[str]:
        if self.is_bound and hasattr(self.data, "getlist"):
            return self.data.getlist("recibos")
        return list(self.initial.get("recibos", []))

    def clean_referencia(self):
        reference = " ".join(self.cleaned_data["referencia"].split())
        if self.biller is not None and (error := self.biller.reference_error(reference)):
            raise forms.ValidationError(error)
        return reference

    def clean(self):
        data = super().clean()
        biller = data.get("servicio")
        if biller is not None and biller.mode == Biller.Mode.AMOUNT:
            if data.get("monto") is None and "monto" not in self.errors:
                self.add_error("monto", _("Ingresa el monto a pagar."))
        elif biller is not None and not data.get("recibos") and "recibos" not in self.errors:
            self.add_error(
                "recibos", _("Presiona «Consultar» y selecciona al menos un valor a pagar.")
            )
        if data.get("guardar") and not data.get("alias"):
            self.add_error("alias", _("Escribe un alias para guardar el servicio."))
        return data


# --- Pagos programados -------------------------------------------------------------------


def billers_schedulable():
    """The offered billers whose bills can be paid by a schedule (not top-ups)."""
    return billers_offered().filter(mode=Biller.Mode.BILLS)


class FrequencySelect(forms.Select):
    """The frequency, its monthly option marked to reveal "Día del mes" (no script)."""

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        if str(value) == PaymentSchedule.Frequency.MONTHLY:
            option["attrs"]["data-reveals"] = ""
        return option


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class SchedulePlanForm(forms.Form):
    """What a schedule's owner sets and may change: "Cuenta de débito", "Monto máximo",
    and "Información de la programación" (Frecuencia, Fecha de inicio, Fecha de
    finalización or "Fecha indefinida")."""

    monto_maximo = AmountField(
        label=_("Monto máximo"),
        max_value=MAX_AMOUNT,
        widget=forms.TextInput(
            attrs={"inputmode": "decimal", "autocomplete": "off", "placeholder": "Ej: $ 20.00"}
        ),
        error_messages={"required": _("Ingresa el monto máximo.")},
    )
    frecuencia = forms.ChoiceField(
        label=_("Frecuencia"),
        choices=PaymentSchedule.Frequency.choices,
        initial=PaymentSchedule.Frequency.AVAILABLE,
        widget=FrequencySelect,
        error_messages={"required": _("Selecciona la frecuencia que deseas.")},
    )
    dia = forms.IntegerField(
        label=_("Día del mes"),
        min_value=1,
        max_value=31,
        required=False,
        help_text=_(
            "Del 1 al 31. Si ese día no es hábil, el pago se hace el siguiente día hábil; si "
            "el mes no tiene ese día, o ya no tiene días hábiles desde ese día, el último día "
            "hábil del mes."
        ),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    fecha_inicio = forms.DateField(
        label=_("Fecha de inicio"),
        widget=_date_input(),
        error_messages={"required": _("Selecciona la fecha de inicio.")},
    )
    fecha_fin = forms.DateField(
        label=_("Fecha de finalización"), required=False, widget=_date_input()
    )
    indefinida = forms.BooleanField(
        label=_("Fecha indefinida"),
        required=False,
        widget=forms.CheckboxInput(attrs={"data-conceals": ""}),
    )

    def __init__(self, *args, accounts: list[DepositAccount], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields = {
            "origen": OriginAccountField(
                accounts=[a for a in accounts if a.can_transact],
                describe=account_label,
                label=_("Cuenta de débito"),
            ),
            **self.fields,
        }

    def clean(self):
        data = super().clean()
        monthly = data.get("frecuencia") == PaymentSchedule.Frequency.MONTHLY
        if monthly and data.get("dia") is None and "dia" not in self.errors:
            self.add_error("dia", _("Elige el día del mes en que se hará el pago."))
        if not monthly:
            data["dia"] = None
        if data.get("indefinida"):
            data["fecha_fin"] = None
        elif data.get("fecha_fin") is None and "fecha_fin" not in self.errors:
            self.add_error(
                "fecha_fin", _("Selecciona la fecha de finalización o marca «Fecha indefinida».")
            )
        start, end = data.get("fecha_inicio"), data.get("fecha_fin")
        if start and end and end < start:
            self.add_error(
                "fecha_fin", _("La fecha de finalización debe ser posterior a la de inicio.")
            )
        return data


class ScheduleForm(SchedulePlanForm):
    """ "Programar pagos": "Información del servicio" — the service chosen on the page
    before, the account debited, the reference the biller asks for — and the plan."""

    servicio = forms.ModelChoiceField(
        queryset=Biller.objects.none(),
        to_field_name="public_id",
        widget=forms.HiddenInput,
        error_messages={
            "required": _("Elige el servicio que deseas programar."),
            "invalid_choice": _("El servicio no está disponible."),
        },
    )
    referencia = forms.CharField(max_length=40)

    def __init__(self, *args, accounts: list[DepositAccount], **kwargs):
        super().__init__(*args, accounts=accounts, **kwargs)
        self.fields["servicio"].queryset = billers_schedulable()
        raw = self.data.get("servicio") if self.is_bound else self.initial.get("servicio")
        self.biller = biller_named(raw)
        if self.biller is not None and self.biller.mode != Biller.Mode.BILLS:
            self.biller = None
        order = ["servicio", "origen", "referencia"]
        self.fields = {
            **{name: self.fields[name] for name in order},
            **{name: f for name, f in self.fields.items() if name not in order},
        }
        reference = self.fields["referencia"]
        reference.label = self.biller.reference_label if self.biller else _("Referencia")
        reference.error_messages["required"] = f"Ingresa {reference.label}."
        reference.widget.attrs.update({"autocomplete": "off", "placeholder": reference.label})

    def clean_referencia(self):
        reference = " ".join(self.cleaned_data["referencia"].split())
        if self.biller is not None and (error := self.biller.reference_error(reference)):
            raise forms.ValidationError(error)
        return reference

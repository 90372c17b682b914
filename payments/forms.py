"""The shape of a service payment: the biller (chosen on the page before), the origin
account, the reference the biller asks for, the bills chosen or the amount of a top-up,
and "Guardar servicio" with its alias. What the bills are and cost is the service's."""

import re
import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from core.fields import AmountField, OriginAccountField
from core.profile import cooperative_current
from payments.models import Biller
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

"""The transfer, beneficiary and limit forms: shapes only. Ownership of every id is
enforced by offering only the member's own accounts and beneficiaries as choices; the
rules live in the services."""

from decimal import Decimal

from django import forms

from accounts.identification import normalize_identification
from core.fields import AmountField, OriginAccountField
from core.masking import mask_number
from core.money import format_money
from products.forms import account_label
from products.models import DepositAccount
from transfers.beneficiaries import ACCOUNT_NUMBER
from transfers.limits import PERIODS
from transfers.models import Beneficiary, IdType, Institution, TransferKind

MAX_AMOUNT = Decimal("999999999999.99")


def beneficiary_label(b: Beneficiary) -> str:
    where = b.institution.name if b.kind == Beneficiary.Kind.EXTERNAL else ""
    name = f"{b.alias} — {b.name}" if b.alias else b.name
    return " · ".join(part for part in (name, where, mask_number(b.account_number)) if part)


class DestinationSelect(forms.Select):
    """The member's own accounts as destinations, the origin's among them but not
    selectable (``disabled hidden``): portal.js moves that mark when the member picks
    another origin (``data-distinct-from`` names the origin's field)."""

    def __init__(self, *args, origin_field: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.attrs["data-distinct-from"] = origin_field
        self.excluded = ""

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        if self.excluded and str(value) == self.excluded:
            option["selected"] = False
            option["attrs"].pop("selected", None)
            option["attrs"].update(disabled=True, hidden=True)
        return option


class TransferForm(forms.Form):
    monto = AmountField(
        label="Monto a transferir",
        max_value=MAX_AMOUNT,
        negative_message="El monto a transferir debe ser mayor a cero.",
        error_messages={"required": "Ingresa el monto a transferir."},
    )
    motivo = forms.CharField(label="Motivo (Opcional)", max_length=120, required=False)

    def __init__(
        self,
        *args,
        kind: str,
        accounts: list[DepositAccount],
        beneficiaries: list[Beneficiary],
        ask_funds: bool = False,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.kind = kind
        origin = OriginAccountField(
            accounts=[a for a in accounts if a.can_transact], describe=account_label
        )
        destination_error = {
            "required": "Selecciona la cuenta de destino.",
            "invalid_choice": "Selecciona una cuenta de destino de la lista.",
        }
        if kind == TransferKind.OWN:
            self.own_accounts = {
                str(a.public_id): a for a in accounts if a.status == DepositAccount.Status.ACTIVE
            }
            mine = [(k, account_label(a)) for k, a in self.own_accounts.items()]
            choices = [("", "Selecciona una cuenta"), ("Mis otras cuentas", mine)]
        else:
            self.own_beneficiaries = {str(b.public_id): b for b in beneficiaries}
            choices = [
                ("", "Selecciona un beneficiario"),
                *((k, beneficiary_label(b)) for k, b in self.own_beneficiaries.items()),
            ]
            destination_error = {
                "required": "Selecciona el beneficiario.",
                "invalid_choice": "Selecciona un beneficiario de tu lista.",
            }
        destination = forms.ChoiceField(
            label="Cuenta de destino",
            choices=choices,
            error_messages=destination_error,
            widget=DestinationSelect(origin_field="origen") if kind == TransferKind.OWN else None,
        )
        if kind == TransferKind.OWN:
            # The origin is not offered as the destination; it stays a valid choice so
            # that the transfer still refuses it with its own message (SameAccount).
            destination.widget.excluded = self._origin_key(origin)
        fields = {
            "origen": origin,
            "destino": destination,
            "monto": self.fields["monto"],
            "motivo": self.fields["motivo"],
        }
        if ask_funds:
            fields["origen_fondos"] = forms.CharField(
                label="Origen de fondos",
                max_length=120,
                required=False,
                help_text="Obligatorio cuando tus transferencias superan el umbral de la "
                "cooperativa.",
            )
            fields["destino_fondos"] = forms.CharField(
                label="Destino de fondos", max_length=120, required=False
            )
        self.fields = fields

    def _origin_key(self, origin: OriginAccountField) -> str:
        """The origin chosen (posted) or preselected (given, or the only account)."""
        if self.is_bound:
            key = self.data.get(self.add_prefix("origen"), "")
        else:
            key = self.initial.get("origen") or origin.initial or ""
        key = str(key)
        return key if key in origin.accounts else ""

    def clean(self):
        data = super().clean()
        key = data.get("destino")
        if key:
            if self.kind == TransferKind.OWN:
                data["destination"] = self.own_accounts[key]
            else:
                data["beneficiary"] = self.own_beneficiaries[key]
        return data


# --- Administración de Beneficiarios ---------------------------------------------------

ACCOUNT_NUMBER_FIELD = {
    "label": "Número de cuenta",
    "max_length": 20,
    "error_messages": {"required": "Ingresa el número de cuenta."},
}


def _account_number(value: str) -> str:
    number = value.strip().replace(" ", "").replace("-", "")
    if not ACCOUNT_NUMBER.match(number):
        raise forms.ValidationError("El número de cuenta debe tener entre 6 y 20 dígitos.")
    return number


class BeneficiaryContactForm(forms.Form):
    """What a member may change of a beneficiary: how to reach and how to call them."""

    correo = forms.EmailField(
        label="Correo electrónico (Opcional)",
        required=False,
        widget=forms.EmailInput(attrs={"placeholder": "Ej: dax@gmail.com"}),
        error_messages={"invalid": "Ingresa un correo electrónico válido."},
    )
    alias = forms.CharField(
        label="Alias (Opcional)",
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "Ej: dax"}),
    )


class InternalBeneficiaryForm(BeneficiaryContactForm):
    """ "Registrar cuenta interna": the account number; the holder's name comes from the coop."""

    numero_cuenta = forms.CharField(
        **ACCOUNT_NUMBER_FIELD,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "placeholder": "Ej: 44891821"}
        ),
    )
    field_order = ["numero_cuenta", "correo", "alias"]

    def clean_numero_cuenta(self):
        return _account_number(self.cleaned_data["numero_cuenta"])


class ExternalBeneficiaryForm(BeneficiaryContactForm):
    """ "Registrar cuenta interbancaria"."""

    entidad = forms.ModelChoiceField(
        label="Entidad financiera",
        queryset=Institution.objects.filter(is_active=True),
        empty_label="Selecciona la entidad financiera",
        error_messages={
            "required": "Selecciona la entidad financiera.",
            "invalid_choice": "Selecciona una entidad financiera de la lista.",
        },
    )
    tipo_cuenta = forms.ChoiceField(
        label="Tipo de cuenta",
        choices=[("", "Selecciona el tipo de cuenta"), *Beneficiary.AccountType.choices],
        error_messages={
            "required": "Selecciona si la cuenta es de Ahorros o Corriente.",
            "invalid_choice": "Selecciona si la cuenta es de Ahorros o Corriente.",
        },
    )
    numero_cuenta = forms.CharField(
        **ACCOUNT_NUMBER_FIELD,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    nombre = forms.CharField(
        label="Nombre del beneficiario",
        max_length=120,
        error_messages={"required": "Ingresa el nombre del beneficiario."},
    )
    tipo_identificacion = forms.ChoiceField(
        label="Tipo de identificación",
        choices=IdType.choices,
        error_messages={"invalid_choice": "Selecciona Cédula, RUC o Pasaporte."},
    )
    identificacion = forms.CharField(
        label="Identificación del beneficiario",
        max_length=20,
        widget=forms.TextInput(attrs={"placeholder": "Ej: 1300187211", "autocomplete": "off"}),
        error_messages={"required": "Ingresa la identificación del beneficiario."},
    )
    field_order = [
        "entidad",
        "tipo_cuenta",
        "numero_cuenta",
        "nombre",
        "tipo_identificacion",
        "identificacion",
        "correo",
        "alias",
    ]

    def clean_numero_cuenta(self):
        return _account_number(self.cleaned_data["numero_cuenta"])

    def clean_nombre(self):
        name = " ".join(self.cleaned_data["nombre"].upper().split())
        if len(name) < 3:
            raise forms.ValidationError("Ingresa el nombre completo del beneficiario.")
        return name

    def clean(self):
        data = super().clean()
        id_type, number = data.get("tipo_identificacion"), data.get("identificacion")
        if id_type and number:
            try:
                data["identificacion"] = normalize_identification(id_type, number)
            except forms.ValidationError as exc:
                self.add_error("identificacion", exc)
        return data


class DeleteForm(forms.Form):
    """ "Sí, eliminar" needs no fields: the page names what is removed."""


# --- Personalización de cupos ----------------------------------------------------------


class LimitsForm(forms.Form):
    """One amount per transfer kind and period, each at most the cooperative's."""

    def __init__(self, *args, maximums: dict, labels: dict, currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.kinds = []
        for kind, limits in maximums.items():
            names = []
            for period, word in PERIODS:
                maximum = limits.get(period)
                name = f"{kind}_{period}"
                self.fields[name] = AmountField(
                    label=f"Monto {word}",
                    allow_zero=True,
                    max_value=maximum,
                    max_message=f"El monto {word} no puede superar el límite máximo "
                    f"({format_money(maximum, currency) if maximum is not None else ''}).",
                    negative_message=f"El monto {word} no puede ser negativo.",
                    help_text=(
                        f"Máximo {format_money(maximum, currency)}" if maximum is not None else ""
                    ),
                    error_messages={"required": f"Ingresa el monto {word}."},
                )
                names.append(name)
            self.kinds.append((kind, labels[kind], names))

    def kind_fields(self):
        """(label, [bound fields]) per kind, for the template's fieldsets."""
        return [(label, [self[name] for name in names]) for _, label, names in self.kinds]

    def clean(self):
        data = super().clean()
        for _, _, names in self.kinds:
            daily, weekly, monthly = (data.get(name) for name in names)
            if None in (daily, weekly, monthly):
                continue
            if daily > weekly:
                self.add_error(names[0], "El monto diario no puede superar el semanal.")
            elif weekly > monthly:
                self.add_error(names[1], "El monto semanal no puede superar el mensual.")
        return data

    def values(self) -> dict[str, dict[str, Decimal]]:
        data = self.cleaned_data
        return {
            kind: {period: data[f"{kind}_{period}"] for period, _ in PERIODS}
            for kind, _, _ in self.kinds
        }

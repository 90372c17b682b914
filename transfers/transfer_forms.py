"""The transfer form: shapes only. Ownership of every id is enforced by offering only the
member's own accounts and beneficiaries as choices; the rules live in the services."""

from decimal import Decimal

from django import forms

from products.documents import mask_number
from products.forms import OriginAccountField, account_label
from products.models import DepositAccount
from transfers.models import Beneficiary, TransferKind

MAX_AMOUNT = Decimal("999999999999.99")


def beneficiary_label(b: Beneficiary) -> str:
    where = b.institution.name if b.kind == Beneficiary.Kind.EXTERNAL else ""
    name = f"{b.alias} — {b.name}" if b.alias else b.name
    return " · ".join(part for part in (name, where, mask_number(b.account_number)) if part)


class TransferForm(forms.Form):
    monto = forms.DecimalField(
        label="Monto a transferir",
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=MAX_AMOUNT,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        error_messages={
            "required": "Ingresa el monto a transferir.",
            "invalid": "Ingresa un monto válido, por ejemplo 25.50.",
            "min_value": "El monto a transferir debe ser mayor a cero.",
            "max_value": "El monto es demasiado alto.",
            "max_decimal_places": "El monto puede tener como máximo dos decimales.",
            "max_digits": "El monto es demasiado alto.",
            "max_whole_digits": "El monto es demasiado alto.",
        },
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
        origin = OriginAccountField(accounts=accounts)
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
        fields = {
            "origen": origin,
            "destino": forms.ChoiceField(
                label="Cuenta de destino", choices=choices, error_messages=destination_error
            ),
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

    def clean(self):
        data = super().clean()
        key = data.get("destino")
        if key:
            if self.kind == TransferKind.OWN:
                data["destination"] = self.own_accounts[key]
            else:
                data["beneficiary"] = self.own_beneficiaries[key]
        return data

"""Input shapes for the products pages (business rules live in the services)."""

import re
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.fields import OriginAccountField
from core.money import format_money
from products.models import DepositAccount, ProductRequest


def account_label(account: DepositAccount) -> str:
    """ "CUENTA DE AHORROS - N.º 410000001234 - $1,255.02", as the manuals list origins."""
    ledger = account.ledger_account
    return (
        f"{account.product_type.name} - N.º {account.number} - "
        f"{format_money(ledger.available, ledger.currency)}"
    )


class LoanPayForm(forms.Form):
    def __init__(self, *args, accounts: list[DepositAccount], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cuenta"] = OriginAccountField(
            accounts=[a for a in accounts if a.can_transact], describe=account_label
        )


class ProductRequestForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("¿Qué producto te interesa?"),
        choices=[("", _("Selecciona un producto")), *ProductRequest.Kind.choices],
        error_messages={"required": _("Selecciona el producto que te interesa.")},
    )
    amount = forms.DecimalField(
        label=_("Monto aproximado (opcional)"),
        required=False,
        min_value=Decimal("1"),
        max_value=Decimal("1000000"),
        max_digits=12,
        decimal_places=2,
        error_messages={
            "min_value": _("El monto debe ser mayor a cero."),
            "max_value": _("El monto no puede superar $1,000,000.00."),
            "invalid": _("Ingresa un monto válido, por ejemplo 1500.50."),
            "max_decimal_places": _("Escribe el monto con hasta dos decimales."),
        },
    )
    term = forms.IntegerField(
        label=_("Plazo en meses (opcional)"),
        required=False,
        min_value=1,
        max_value=360,
        error_messages={
            "min_value": _("El plazo debe ser de al menos un mes."),
            "max_value": _("El plazo no puede superar 360 meses."),
        },
    )
    comment = forms.CharField(
        label=_("Comentario (opcional)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class StatementForm(forms.Form):
    """ "Estado de cuenta": one of the member's accounts and a month (``<input
    type="month">``, ``2025-07``). Whether the month may be asked for is the service's
    rule (``products.statements.statement_build``)."""

    mes = forms.CharField(
        label=_("Mes"),
        error_messages={"required": _("Selecciona el mes.")},
    )

    def __init__(self, *args, accounts: list[DepositAccount], hide_amounts=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.accounts = {str(a.public_id): a for a in accounts}
        choices = []
        for key, account in self.accounts.items():
            label = f"{account.product_type.name} · Nro. Cta: {account.number}"
            if not hide_amounts:
                ledger = account.ledger_account
                label += f" · Saldo: {format_money(ledger.available, ledger.currency)}"
            choices.append((key, label))
        self.fields = {
            "cuenta": forms.ChoiceField(
                label=_("Selecciona la cuenta que deseas obtener el estado de cuenta."),
                choices=choices,
                widget=forms.RadioSelect,
                error_messages={
                    "required": _("Selecciona la cuenta."),
                    "invalid_choice": _("Selecciona una de tus cuentas."),
                },
            ),
            **self.fields,
        }
        today = timezone.localdate()
        self.fields["mes"].widget = forms.TextInput(
            attrs={"type": "month", "max": f"{today:%Y-%m}", "required": True}
        )

    def clean_cuenta(self) -> DepositAccount:
        return self.accounts[self.cleaned_data["cuenta"]]

    def clean_mes(self) -> tuple[int, int]:
        value = self.cleaned_data["mes"].strip()
        match = re.fullmatch(r"(\d{4})-(\d{2})", value)
        if not match or not 1 <= int(match[2]) <= 12 or int(match[1]) < 1900:
            raise forms.ValidationError(_("Elige un mes válido, por ejemplo 2025-07."))
        return int(match[1]), int(match[2])

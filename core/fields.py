"""Form fields every app's forms share: an amount as a person types it, and the account
a payment is debited from. Shapes only: what may be debited is the caller's rule."""

import re
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from core.money import AmountError, parse_amount

ZERO = re.compile(r"^\$?\s*0+(?:[.,]0{1,2})?$")
NEGATIVE = re.compile(r"^-\s*\$?\s*\d")


class AmountField(forms.CharField):
    """An amount as a person types it, parsed by ``core.money.parse_amount`` (``.`` or
    ``,`` as the decimal mark, at most two decimals; no exponents, signs, thousands
    separators or non-ASCII digits). ``allow_zero`` for limits, where 0 means "none";
    ``max_value`` with its own message."""

    widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})

    def run_validators(self, value):
        """The checks are ``to_python``'s; CharField's length validators do not apply to
        a Decimal."""

    def __init__(
        self,
        *,
        allow_zero: bool = False,
        max_value: Decimal | None = None,
        max_message: str = "",
        negative_message: str = "El monto debe ser mayor a cero.",
        **kwargs,
    ):
        self.allow_zero = allow_zero
        self.negative_message = negative_message
        self.max_value = max_value
        self.max_message = max_message or "El monto es demasiado alto."
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("maxlength", "24")

    def to_python(self, value):
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        if NEGATIVE.match(text.strip()):
            raise forms.ValidationError(self.negative_message, code="min_value")
        if self.allow_zero and ZERO.match(text.strip()):
            return Decimal("0.00")
        try:
            amount = parse_amount(text)
        except AmountError as exc:
            raise forms.ValidationError(str(exc), code="invalid") from exc
        if self.max_value is not None and amount > self.max_value:
            raise forms.ValidationError(self.max_message, code="max_value")
        return amount


class OriginAccountField(forms.ChoiceField):
    """One of ``accounts`` — those the caller offers to debit, each with a ``public_id``
    — chosen by its public id and shown as ``describe`` says; ``clean`` returns the
    account itself."""

    def __init__(self, *, accounts: Iterable, describe: Callable[[Any], str] = str, **kwargs):
        self.accounts = {str(a.public_id): a for a in accounts}
        if len(self.accounts) == 1:  # nothing to choose: it comes chosen
            kwargs.setdefault("initial", next(iter(self.accounts)))
        kwargs.setdefault("label", _("Cuenta de origen"))
        kwargs.setdefault(
            "error_messages",
            {
                "required": _("Selecciona la cuenta de origen."),
                "invalid_choice": _("Selecciona una de tus cuentas."),
            },
        )
        super().__init__(
            choices=[("", _("Selecciona una cuenta"))]
            + [(key, describe(a)) for key, a in self.accounts.items()],
            **kwargs,
        )

    def clean(self, value):
        return self.accounts[super().clean(value)]

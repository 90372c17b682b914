"""The forms of "Cambiar clave" and "Recuperar clave": shape only. The PIN fields never
render what was typed (a refused form comes back empty) and ask browsers not to keep it."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.credentials import validate_pin

FOUR_DIGITS = re.compile(r"[0-9]{4}")
PIN_FIELDS = ("clave_anterior", "nueva_clave", "confirmacion")


def _pin_input() -> forms.PasswordInput:
    return forms.PasswordInput(
        attrs={
            "inputmode": "numeric",
            "autocomplete": "off",
            "maxlength": "4",
            "pattern": "[0-9]{4}",
        }
    )


class PinField(forms.CharField):
    """Four digits (0–9 only: no other script's digits, no spaces kept)."""

    def __init__(self, **kwargs):
        super().__init__(max_length=4, widget=_pin_input(), **kwargs)

    def clean(self, value):
        value = super().clean(value)
        if value and not FOUR_DIGITS.fullmatch(value):
            raise ValidationError(_("La clave debe tener exactamente 4 dígitos."))
        return value


class CardPinChangeForm(forms.Form):
    """ "Clave anterior", "Nueva clave", "Confirmación nueva clave"."""

    clave_anterior = PinField(label=_("Clave anterior"))
    nueva_clave = PinField(label=_("Nueva clave"))
    confirmacion = PinField(label=_("Confirmación nueva clave"))

    def __init__(self, *args, birth_date=None, **kwargs):
        self.birth_date = birth_date
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        old, new, confirm = (data.get(name) for name in PIN_FIELDS)
        if new:
            try:
                validate_pin(new, birth_date=self.birth_date)
            except ValidationError as exc:
                self.add_error("nueva_clave", exc)
                return data
        if new and confirm and new != confirm:
            self.add_error("confirmacion", _("La confirmación no coincide con la nueva clave."))
        elif new and old and new == old:
            self.add_error("nueva_clave", _("La nueva clave debe ser distinta de la anterior."))
        return data


class CardPinRecoverForm(forms.Form):
    """Nothing to type: the card is the page's, the code confirms."""

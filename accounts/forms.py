from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    """Username and password, with one message for every failure (no enumeration)."""

    error_messages = {
        "invalid_login": _("Usuario o contraseña incorrectos."),
        "inactive": _("Usuario o contraseña incorrectos."),
    }

    username = forms.CharField(
        label=_("Usuario"),
        max_length=150,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "username",
                "autocapitalize": "none",
                "spellcheck": "false",
                "placeholder": _("Ingresa tu usuario"),
                "autofocus": True,
            }
        ),
    )
    password = forms.CharField(
        label=_("Contraseña"),
        strip=False,
        widget=forms.PasswordInput(
            attrs={"autocomplete": "current-password", "placeholder": _("Ingresa tu contraseña")}
        ),
    )

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts import credentials
from accounts.models import SecurityImage, SecurityQuestion, User
from core.ratelimit import hit_limit

MAX_SECRET = 128  # longer input is refused before it reaches a hasher


class UsernameForm(forms.Form):
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

    def clean_username(self):
        return self.cleaned_data["username"].strip().lower()


class PasswordForm(forms.Form):
    password = forms.CharField(
        label=_("Contraseña"),
        strip=False,
        max_length=MAX_SECRET,
        widget=forms.PasswordInput(
            attrs={
                "autocomplete": "current-password",
                "placeholder": _("Ingresa tu contraseña"),
                "autofocus": True,
            }
        ),
    )


class RevealingRadioSelect(forms.RadioSelect):
    """Radios whose option ``reveals`` shows the elements marked ``data-revealed`` in the
    same ``data-reveal-group`` only while it is chosen — a CSS ``:has()`` rule
    (static/css/portal.css), no script; a browser without ``:has()`` keeps them shown."""

    def __init__(self, *args, reveals: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.reveals = reveals

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        if str(value) == self.reveals:
            option["attrs"]["data-reveals"] = True
        return option


class DeviceForm(forms.Form):
    save = forms.ChoiceField(
        label=_("Estás ingresando desde un nuevo dispositivo, ¿Deseas registrarlo?"),
        choices=[("yes", _("Sí, guardar")), ("no", _("No"))],
        widget=RevealingRadioSelect(reveals="yes"),
        initial="no",
    )
    alias = forms.CharField(label=_("Alias del dispositivo"), max_length=40, required=False)

    def clean(self):
        data = super().clean()
        if data.get("save") == "yes" and not (data.get("alias") or "").strip():
            self.add_error("alias", _("Escribe un nombre para reconocer este dispositivo."))
        return data


class ChallengeForm(forms.Form):
    answer = forms.CharField(
        label=_("Código de seguridad"),
        max_length=64,
        strip=True,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autofocus": True,
            }
        ),
    )


class NewUsernameForm(forms.Form):
    username = forms.CharField(
        label=_("Nuevo nombre de usuario"),
        max_length=15,
        help_text=_("Ingresa tu nuevo nombre de usuario"),
        widget=forms.TextInput(attrs={"autocapitalize": "none", "autocomplete": "username"}),
    )

    def __init__(self, *args, user=None, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        credentials.validate_username(username, user=self.user)
        return username


class SecurityQuestionsForm(forms.Form):
    """At least three questions from the catalog, each with its answer."""

    COUNT = 3

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        questions = SecurityQuestion.objects.filter(is_active=True)
        for n in range(1, self.COUNT + 1):
            self.fields[f"question_{n}"] = forms.ModelChoiceField(
                queryset=questions, label=_("Pregunta %(n)s") % {"n": n}, empty_label=_("Elige")
            )
            self.fields[f"answer_{n}"] = forms.CharField(
                label=_("Respuesta %(n)s") % {"n": n}, max_length=60, min_length=2
            )

    def clean(self):
        data = super().clean()
        chosen = [data.get(f"question_{n}") for n in range(1, self.COUNT + 1)]
        if all(chosen) and len({q.pk for q in chosen}) < self.COUNT:
            raise forms.ValidationError(_("Elige tres preguntas distintas."))
        return data

    def pairs(self):
        return [
            (self.cleaned_data[f"question_{n}"], self.cleaned_data[f"answer_{n}"])
            for n in range(1, self.COUNT + 1)
        ]


class SecurityImageForm(forms.Form):
    image = forms.ModelChoiceField(
        queryset=SecurityImage.objects.all(),
        label=_("Imagen de seguridad"),
        widget=forms.RadioSelect,
        empty_label=None,
    )
    image_name = forms.CharField(label=_("Nombre de su imagen"), max_length=40, required=False)

    def __init__(self, *args, ask_name: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if ask_name:
            self.fields["image_name"].required = True
        else:
            del self.fields["image_name"]


class NewPasswordFields(forms.Form):
    """ "Nueva contraseña" and "Confirmar contraseña", checked against each other and the
    password rules; a subclass adds how the current one is asked and sets whose rules
    apply (``rules_user``, ``rules_id_number``) before calling this ``__init__``."""

    rules_user = None
    rules_id_number = ""

    new = forms.CharField(
        label=_("Nueva contraseña"),
        strip=False,
        max_length=MAX_SECRET,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    confirm = forms.CharField(
        label=_("Confirmar contraseña"),
        strip=False,
        max_length=MAX_SECRET,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        new, confirm = data.get("new"), data.get("confirm")
        if new and confirm and new != confirm:
            self.add_error("confirm", _("Las contraseñas no coinciden."))
        elif new:
            try:
                credentials.validate_password(
                    new, user=self.rules_user, id_number=self.rules_id_number
                )
            except forms.ValidationError as exc:
                self.add_error("new", exc)
        return data


class NewPasswordForm(NewPasswordFields):
    current = forms.CharField(
        label=_("Ingresa tu contraseña actual o temporal"),
        strip=False,
        max_length=MAX_SECRET,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    field_order = ["current", "new", "confirm"]

    def __init__(self, *args, user, username: str, id_number: str = "", **kwargs):
        self.user = user
        self.username = username
        self.id_number = id_number
        # The username the member is choosing in the same step counts for the rules.
        self.rules_user = type(user)(pk=user.pk, username=username, password=user.password)
        self.rules_id_number = id_number
        super().__init__(*args, **kwargs)

    def clean_current(self):
        current = self.cleaned_data["current"]
        if not self.user.check_password(current):
            raise forms.ValidationError(_("La contraseña actual no es correcta."))
        return current


# --- Mi perfil ------------------------------------------------------------------------


class PasswordChangeForm(NewPasswordFields):
    current = forms.CharField(
        label=_("Ingresa tu contraseña actual"),
        strip=False,
        max_length=MAX_SECRET,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    field_order = ["current", "new", "confirm"]

    def __init__(self, *args, user: User, **kwargs):
        self.user = user
        member = getattr(user, "member", None)
        self.rules_user = user
        self.rules_id_number = member.id_number if member else ""
        super().__init__(*args, **kwargs)

    def clean_current(self):
        if hit_limit(f"current-password:{self.user.pk}", 5, 900):
            raise forms.ValidationError(_("Demasiados intentos. Inténtalo en unos minutos."))
        if not self.user.check_password(self.cleaned_data["current"]):
            raise forms.ValidationError(_("La contraseña actual no es correcta."))
        return self.cleaned_data["current"]


class PersonalDataForm(forms.Form):
    email = forms.EmailField(label=_("Correo electrónico"), max_length=254)
    mobile_phone = forms.RegexField(
        label=_("Celular"),
        regex=r"^\+?\d{9,15}$",
        max_length=16,
        error_messages={
            "invalid": _("Escribe el número con 9 a 15 dígitos, por ejemplo 0991234567.")
        },
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    address = forms.CharField(label=_("Dirección"), max_length=255)


class PinForm(forms.Form):
    pin = forms.CharField(
        label=_("Nuevo PIN"),
        max_length=4,
        min_length=4,
        widget=forms.PasswordInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        help_text=_("Se recomienda no colocar tu número de carnet ni tu fecha de nacimiento."),
    )
    confirm = forms.CharField(
        label=_("Confirmar PIN"),
        max_length=4,
        widget=forms.PasswordInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    def __init__(self, *args, birth_date=None, **kwargs):
        self.birth_date = birth_date
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        pin, confirm = data.get("pin"), data.get("confirm")
        if pin and confirm and pin != confirm:
            self.add_error("confirm", _("Los PIN no coinciden."))
        elif pin:
            try:
                credentials.validate_pin(pin, birth_date=self.birth_date)
            except forms.ValidationError as exc:
                self.add_error("pin", exc)
        return data


class AuthenticatorCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Código que muestra tu app"),
        max_length=6,
        min_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class ConfirmForm(forms.Form):
    confirm = forms.BooleanField(label=_("Sí, deseo continuar"))


class DeviceRemoveForm(forms.Form):
    reason = forms.CharField(label=_("Motivo"), max_length=200)


class PasskeyNameForm(forms.Form):
    name = forms.CharField(label=_("Nombre de la passkey"), max_length=40, initial="Mi teléfono")

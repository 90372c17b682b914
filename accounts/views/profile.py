""" "Mi perfil": the member's own credentials, devices, data and preferences.

Everything that changes how the member signs in or is reached goes through the
confirmation dialog (``accounts.confirm``): form → factor de seguridad → done.
"""

import re

from django import forms
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.hashers import make_password
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_safe

from accounts import credentials, services
from accounts import login as sign_in
from accounts.audit import EVENTS
from accounts.authenticator import (
    authenticator_check_setup,
    authenticator_confirm,
    authenticator_pending,
    authenticator_qr,
    authenticator_remove,
)
from accounts.complaints import complaint_file, sniff_attachment
from accounts.confirm import operation_view
from accounts.exceptions import CredentialRuleError
from accounts.forms import (
    AuthenticatorCodeForm,
    ConfirmForm,
    DeviceRemoveForm,
    NewUsernameForm,
    PasswordChangeForm,
    PersonalDataForm,
    PinForm,
    SecurityImageForm,
    SecurityQuestionsForm,
)
from accounts.models import (
    AuditEvent,
    AuthenticatorApp,
    Device,
    FaqEntry,
    Member,
    TermsAcceptance,
    User,
)
from accounts.operations import OperationKind, Prepared
from accounts.recovery import password_set
from core.crypto import decrypt, encrypt
from core.models import Cooperative
from core.profile import cooperative_current


@login_required
@require_safe
def profile(request):
    return render(request, "accounts/profile/index.html")


# --- Cambiar contraseña ---------------------------------------------------------------


class PasswordChange(OperationKind):
    purpose = "password_change"
    keep_payload = False  # a secret's hash
    title = _("Actualizar contraseña")
    form_class = PasswordChangeForm
    form_template = "accounts/profile/password_form.html"
    review_first = False
    submit_label = _("Confirmar")
    done_title = _("Contraseña actualizada")
    back_url_name = "accounts:profile"

    def form_kwargs(self, actor):
        return {"user": actor.user}

    def prepare(self, actor, form, context):
        return Prepared(
            payload={"password_hash": encrypt(make_password(form.cleaned_data["new"]))},
            summary="Cambio de contraseña",
        )

    def execute(self, actor, payload, key):
        user = password_set(
            user=actor.user,
            password_hash=decrypt(payload["password_hash"]),
            keep_session=actor.request.session.session_key,
            request=actor.request,
        )
        update_session_auth_hash(actor.request, user)  # this session stays, with a new key
        return {"message": "Se ha cambiado la contraseña correctamente."}


# --- Personalizar usuario -------------------------------------------------------------


class UsernameChange(OperationKind):
    purpose = "username_change"
    title = _("Personalización de usuario")
    form_class = NewUsernameForm
    form_template = "accounts/profile/username_form.html"
    review_first = True
    submit_label = _("Aceptar")
    done_title = _("Usuario actualizado")
    back_url_name = "accounts:profile"

    def form_kwargs(self, actor):
        return {"user": actor.user}

    def prepare(self, actor, form, context):
        username = form.cleaned_data["username"]
        return Prepared(
            payload={"username": username},
            review=[("Usuario actual", actor.user.username), ("Nuevo usuario", username)],
            summary="Cambio de nombre de usuario",
        )

    def execute(self, actor, payload, key):
        credentials.username_change(
            user=actor.user, username=payload["username"], request=actor.request
        )
        return {"message": f"Tu nuevo usuario es {payload['username']}."}


# --- Preguntas de seguridad ----------------------------------------------------------


class QuestionsChange(OperationKind):
    purpose = "questions_change"
    keep_payload = False  # a secret's hash
    title = _("Preguntas de seguridad")
    intro = _("Elige tres preguntas y responde algo que solo tú sepas.")
    form_class = SecurityQuestionsForm
    form_template = "accounts/profile/fields_form.html"
    review_first = True
    back_url_name = "accounts:profile"

    def prepare(self, actor, form, context):
        pairs = form.pairs()
        return Prepared(
            payload={"answers": [[q.pk, credentials.hash_answer(a)] for q, a in pairs]},
            review=[(f"Pregunta {n}", q.text) for n, (q, _a) in enumerate(pairs, 1)],
            summary="Cambio de preguntas de seguridad",
        )

    def execute(self, actor, payload, key):
        credentials.security_questions_set(
            user=actor.user,
            answers=[(question, answer_hash) for question, answer_hash in payload["answers"]],
            request=actor.request,
        )
        return {}


# --- Imagen de seguridad ------------------------------------------------------------


class ImageChange(OperationKind):
    purpose = "image_change"
    title = _("Imagen de seguridad")
    intro = _("La imagen que verás cada vez que ingreses, antes de escribir tu contraseña.")
    form_class = SecurityImageForm
    form_template = "accounts/profile/image_form.html"
    back_url_name = "accounts:profile"

    def form_kwargs(self, actor):
        ask_name = (
            cooperative_current().confirmation_method
            == Cooperative.ConfirmationMethod.SECURITY_QUESTION
        )
        return {"ask_name": ask_name}

    def initial(self, request, actor):
        return {
            "image": request.user.security_image_id,
            "image_name": request.user.security_image_name,
        }

    def prepare(self, actor, form, context):
        image = form.cleaned_data["image"]
        name = form.cleaned_data.get("image_name", "")
        return Prepared(
            payload={"image": image.pk, "name": name},
            review=[("Nueva imagen", image.name)],
            summary="Cambio de imagen de seguridad",
        )

    def execute(self, actor, payload, key):
        credentials.security_image_set(
            user=actor.user,
            image_id=payload["image"],
            name=payload["name"],
            request=actor.request,
        )
        return {}


# --- Datos personales --------------------------------------------------------------------


class PersonalDataChange(OperationKind):
    purpose = "personal_data"
    title = _("Cambiar datos personales")
    intro = _("Te enviaremos un código a tus medios de notificación actuales para confirmar.")
    form_class = PersonalDataForm
    form_template = "accounts/profile/fields_form.html"
    back_url_name = "accounts:profile"

    def initial(self, request, actor):
        member = actor.owner
        return {
            "email": member.email,
            "mobile_phone": member.mobile_phone,
            "address": member.address,
        }

    def prepare(self, actor, form, context):
        data = {k: form.cleaned_data[k] for k in ("email", "mobile_phone", "address")}
        labels = {"email": "Correo electrónico", "mobile_phone": "Celular", "address": "Dirección"}
        return Prepared(
            payload=data,
            review=[(labels[k], v) for k, v in data.items()],
            summary="Cambio de datos personales",
        )

    def execute(self, actor, payload, key):
        services.personal_data_change(
            member=actor.owner,
            user=actor.user,
            email=payload["email"],
            mobile_phone=payload["mobile_phone"],
            address=payload["address"],
            request=actor.request,
        )
        return {"message": "Tus datos fueron actualizados."}


def _member(request) -> Member:
    member = getattr(request.user, "member", None)
    if member is None:
        from django.http import Http404

        raise Http404
    return member


# --- PIN transaccional (profiles that confirm operations with a PIN) -----------------------


class PinChange(OperationKind):
    purpose = "pin_change"
    keep_payload = False  # a secret's hash
    title = _("Cambiar PIN")
    intro = _("El PIN transaccional confirma tus transferencias y pagos.")
    form_class = PinForm
    form_template = "accounts/profile/fields_form.html"
    review_first = False
    submit_label = _("Confirmar")
    done_title = _("PIN actualizado")
    back_url_name = "accounts:profile"

    def form_kwargs(self, actor):
        member = actor.owner
        return {"birth_date": member.birth_date if member else None}

    def prepare(self, actor, form, context):
        return Prepared(
            payload={"pin_hash": encrypt(make_password(form.cleaned_data["pin"]))},
            summary="Cambio de PIN",
        )

    def execute(self, actor, payload, key):
        credentials.pin_set(
            user=actor.user, pin_hash=decrypt(payload["pin_hash"]), request=actor.request
        )
        return {"message": "¡Listo! Sus datos han sido modificados."}


# --- App de autenticación ---------------------------------------------------------------


class AuthenticatorAdd(OperationKind):
    purpose = "authenticator_add"
    title = _("App de autenticación")
    intro = _(
        "Escanea el código QR con tu app de autenticación (Google Authenticator, Microsoft "
        "Authenticator, FreeOTP…) y escribe el código de seis dígitos que te muestra. Después "
        "podrás usar esos códigos cuando te pidamos el factor de seguridad."
    )
    form_class = AuthenticatorCodeForm
    form_template = "accounts/profile/authenticator_form.html"
    review_first = False
    submit_label = _("Activar")
    done_title = _("App de autenticación activada")
    back_url_name = "accounts:profile"

    def extra_context(self, request, actor):
        if AuthenticatorApp.objects.filter(user=request.user, confirmed_at__isnull=False).exists():
            return {"already_active": True}
        qr, secret = authenticator_qr(authenticator_pending(user=request.user))
        return {"qr": qr, "secret": secret}

    def prepare(self, actor, form, context):
        app = AuthenticatorApp.objects.filter(user=actor.user, confirmed_at__isnull=True).first()
        if app is None or not authenticator_check_setup(app, form.cleaned_data["code"]):
            raise CredentialRuleError(
                "El código de la app no es correcto. Revisa la hora de tu teléfono."
            )
        return Prepared(payload={"app": app.pk}, summary="Activar app de autenticación")

    def execute(self, actor, payload, key):
        authenticator_confirm(user=actor.user, app_id=payload["app"], request=actor.request)
        return {}


class AuthenticatorRemove(OperationKind):
    purpose = "authenticator_remove"
    title = _("Desactivar app de autenticación")
    form_class = ConfirmForm
    form_template = "accounts/profile/fields_form.html"
    review_first = False
    submit_label = _("Desactivar")
    back_url_name = "accounts:profile"

    def prepare(self, actor, form, context):
        return Prepared(payload={"remove": True}, summary="Desactivar app de autenticación")

    def execute(self, actor, payload, key):
        authenticator_remove(user=actor.user, request=actor.request)
        return {}


# --- Dispositivos -------------------------------------------------------------------


@login_required
@require_safe
def devices(request):
    items = Device.objects.filter(user=request.user, removed_at__isnull=True)
    return render(request, "accounts/profile/devices.html", {"devices": items})


class DeviceRemove(OperationKind):
    purpose = "device_remove"
    title = _("Eliminar dispositivo")
    form_class = DeviceRemoveForm
    form_template = "accounts/profile/fields_form.html"
    submit_label = _("Sí, eliminar")
    done_title = _("El proceso se ha realizado con éxito.")
    back_url_name = "accounts:devices"

    def initial(self, request, actor):
        self.device(request)  # another member's device, or a removed one: 404
        return {}

    def device(self, request) -> Device:
        return get_object_or_404(
            Device,
            user=request.user,
            public_id=request.resolver_match.kwargs["public_id"],
            removed_at__isnull=True,
        )

    def prepare(self, actor, form, context):
        device = self.device(actor.request)
        return Prepared(
            payload={"device": str(device.public_id), "reason": form.cleaned_data["reason"]},
            review=[("Dispositivo", device.alias), ("Motivo", form.cleaned_data["reason"])],
            summary=f"Eliminar el dispositivo {device.alias}",
        )

    def execute(self, actor, payload, key):
        sign_in.device_remove(
            user=actor.user,
            public_id=payload["device"],
            reason=payload["reason"],
            request=actor.request,
        )
        return {}


# --- Notificaciones, tema, actividad -----------------------------------------------------


class SubscriptionsForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["subscribed_news", "subscribed_statement", "subscribed_card_statement"]
        labels = {
            "subscribed_news": _(
                "Publicidad de la Cooperativa: información de interés y promociones"
            ),
            "subscribed_statement": _(
                "Estado de Cuenta Cooperativa: recibirá un correo los primeros días del mes"
            ),
            "subscribed_card_statement": _(
                "Estado de Cuenta Tarjeta de Crédito: recibirá un correo posterior a la "
                "fecha de corte"
            ),
        }


@login_required
@require_http_methods(["GET", "POST"])
def subscriptions(request):
    form = SubscriptionsForm(
        request.POST if request.method == "POST" else None, instance=request.user
    )
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "El proceso se realizó correctamente.")
        return redirect("accounts:profile")
    return render(request, "accounts/profile/subscriptions.html", {"form": form})


@login_required
@require_http_methods(["POST"])
def theme(request):
    choice = request.POST.get("theme")
    if choice in User.Theme.values:
        User.objects.filter(pk=request.user.pk).update(theme=choice)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("accounts:profile")
    return redirect(target)


@login_required
@require_safe
def activity(request):
    events = AuditEvent.objects.filter(user=request.user).order_by("-seq")[:30]
    rows = [(e, EVENTS.get(e.event, e.event)) for e in events]
    return render(request, "accounts/profile/activity.html", {"rows": rows})


@login_required
@require_safe
def terms(request):
    """The contract texts the member accepted, with version and date."""
    member = getattr(request.user, "member", None)
    acceptances = (
        TermsAcceptance.objects.filter(member=member).select_related("document") if member else []
    )
    return render(request, "accounts/profile/terms.html", {"acceptances": acceptances})


@login_required
@require_safe
def support(request):
    return render(request, "accounts/profile/support.html")


class ComplaintForm(forms.Form):
    product = forms.ChoiceField(
        label=_("Producto (*)"),
        choices=[
            ("", _("Elige")),
            ("Cuenta de ahorros", _("Cuenta de ahorros")),
            ("Certificado de aportación", _("Certificado de aportación")),
            ("Crédito", _("Crédito")),
            ("Inversión", _("Inversión")),
            ("Tarjeta de débito", _("Tarjeta de débito")),
            ("Tarjeta de crédito", _("Tarjeta de crédito")),
            ("Banca en línea", _("Banca en línea")),
        ],
    )
    product_number = forms.CharField(
        label=_("Número de cuenta o tarjeta"), max_length=30, required=False
    )
    full_name = forms.CharField(label=_("Nombre y Apellido (*)"), max_length=120)
    id_number = forms.CharField(label=_("Número de cédula o Pasaporte (*)"), max_length=20)
    phone = forms.CharField(label=_("Celular (*)"), max_length=20)
    email = forms.EmailField(label=_("Correo (*)"))
    detail = forms.CharField(
        label=_("Detalle del reclamo (*)"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    claim_amount = forms.DecimalField(
        label=_("Monto del Reclamo (*)"), min_value=0, max_digits=18, decimal_places=2
    )
    returned_amount = forms.DecimalField(
        label=_("Monto Devuelto (*)"), min_value=0, max_digits=18, decimal_places=2
    )
    attachment = forms.FileField(label=_("¿Deseas adjuntar un archivo? (Opcional)"), required=False)
    data_consent = forms.BooleanField(
        label=_("Acepto las condiciones para el tratamiento de mis datos")
    )

    def clean_product_number(self):
        number = self.cleaned_data["product_number"]
        if re.search(r"\d{13,19}", number):
            raise forms.ValidationError(_("Escribe solo los últimos cuatro dígitos de la tarjeta."))
        return number

    def clean_attachment(self):
        upload = self.cleaned_data.get("attachment")
        if upload:
            sniff_attachment(upload)
        return upload


@login_required
@require_http_methods(["GET", "POST"])
def complaint(request):
    member = _member(request)
    initial = {
        "full_name": member.full_name,
        "id_number": member.id_number,
        "phone": member.mobile_phone,
        "email": member.email,
    }
    form = ComplaintForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "attachment"}
        filed = complaint_file(
            member=member, data=data, attachment=form.cleaned_data.get("attachment")
        )
        messages.success(
            request, f"Recibimos tu reclamo N.º {filed.pk}. Te enviamos la constancia a tu correo."
        )
        return redirect("accounts:support")
    return render(request, "accounts/profile/complaint.html", {"form": form})


@require_safe
def faq(request):
    return render(
        request, "accounts/faq.html", {"entries": FaqEntry.objects.filter(is_active=True)}
    )


password_change = operation_view(PasswordChange(), owner_required=False)
pin_change = operation_view(PinChange(), owner_required=False)
authenticator_add = operation_view(AuthenticatorAdd(), owner_required=False)
authenticator_remove_view = operation_view(AuthenticatorRemove(), owner_required=False)
username_change = operation_view(UsernameChange(), owner_required=False)
questions_change = operation_view(QuestionsChange(), owner_required=False)
image_change = operation_view(ImageChange(), owner_required=False)
personal_data_change = operation_view(PersonalDataChange())
device_remove = operation_view(DeviceRemove(), owner_required=False)

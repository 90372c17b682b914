""" "Mi perfil": the operations that change how a member signs in or is reached — the
password, username, security questions and image, personal data, PIN, the authenticator
app, registered devices and passkeys — each declared once: its form, its rules
(``prepare``) and its execution, done by a service of this app that writes the change,
its entry in the security log and the notice to the member in one transaction. The
dialog (``accounts.confirm``) drives them in a browser (``accounts.views.profile`` and
``accounts.views.passkeys``); ``accounts.operations`` stores and moves their rows.

Two of them act on the browser session itself and so need ``actor.request``: changing
the password keeps this session signed in, and authorizing a passkey grants this session
its registration.
"""

from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.hashers import make_password
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _

from accounts import authenticator, credentials, login, passkeys, services
from accounts.exceptions import CredentialRuleError
from accounts.forms import (
    AuthenticatorCodeForm,
    ConfirmForm,
    DeviceRemoveForm,
    NewUsernameForm,
    PasskeyNameForm,
    PasswordChangeForm,
    PersonalDataForm,
    PinForm,
    SecurityImageForm,
    SecurityQuestionsForm,
)
from accounts.models import AuthenticatorApp, Device, Passkey
from accounts.operations import Actor, OperationKind, Prepared, operation_kind_register
from accounts.recovery import password_set
from core.crypto import decrypt, encrypt
from core.models import Cooperative
from core.profile import cooperative_current

# --- Cambiar contraseña ---------------------------------------------------------------


class PasswordChange(OperationKind):
    """Cambiar contraseña. Needs ``actor.request``: every other session of the member ends
    and this one stays signed in, with a new key (``update_session_auth_hash``)."""

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
            "image": actor.user.security_image_id,
            "image_name": actor.user.security_image_name,
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
        if AuthenticatorApp.objects.filter(user=actor.user, confirmed_at__isnull=False).exists():
            return {"already_active": True}
        qr, secret = authenticator.authenticator_qr(
            authenticator.authenticator_pending(user=actor.user)
        )
        return {"qr": qr, "secret": secret}

    def prepare(self, actor, form, context):
        app = AuthenticatorApp.objects.filter(user=actor.user, confirmed_at__isnull=True).first()
        if app is None or not authenticator.authenticator_check_setup(
            app, form.cleaned_data["code"]
        ):
            raise CredentialRuleError(
                "El código de la app no es correcto. Revisa la hora de tu teléfono."
            )
        return Prepared(payload={"app": app.pk}, summary="Activar app de autenticación")

    def execute(self, actor, payload, key):
        authenticator.authenticator_confirm(
            user=actor.user, app_id=payload["app"], request=actor.request
        )
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
        authenticator.authenticator_remove(user=actor.user, request=actor.request)
        return {}


# --- Dispositivos -------------------------------------------------------------------


class DeviceRemove(OperationKind):
    purpose = "device_remove"
    title = _("Eliminar dispositivo")
    form_class = DeviceRemoveForm
    form_template = "accounts/profile/fields_form.html"
    submit_label = _("Sí, eliminar")
    done_title = _("El proceso se ha realizado con éxito.")
    back_url_name = "accounts:devices"

    def context(self, request) -> dict:
        return {"device": str(request.resolver_match.kwargs["public_id"])}

    def device(self, actor: Actor, public_id) -> Device:
        """The user's registered device (404 for another user's, or a removed one)."""
        return get_object_or_404(
            Device, user=actor.user, public_id=public_id, removed_at__isnull=True
        )

    def initial(self, request, actor):
        self.device(actor, self.context(request)["device"])
        return {}

    def extra_context(self, request, actor):
        """Every form step, a POST too, answers 404 for a device that is not the user's."""
        return {"device": self.device(actor, self.context(request)["device"])}

    def prepare(self, actor, form, context):
        device = self.device(actor, context["device"])
        return Prepared(
            payload={"device": str(device.public_id), "reason": form.cleaned_data["reason"]},
            review=[("Dispositivo", device.alias), ("Motivo", form.cleaned_data["reason"])],
            summary=f"Eliminar el dispositivo {device.alias}",
        )

    def execute(self, actor, payload, key):
        login.device_remove(
            user=actor.user,
            public_id=payload["device"],
            reason=payload["reason"],
            request=actor.request,
        )
        return {}


# --- Passkeys ---------------------------------------------------------------------


class PasskeyAuthorize(OperationKind):
    """Registro biométrico: the code authorizes the browser's ceremony that follows
    (``accounts.views.passkeys.register``). Needs ``actor.request``: the grant is written
    in this session (``passkeys.registration_grant``)."""

    purpose = "passkey_add"
    title = _("Registro biométrico")
    intro = _(
        "Con una passkey ingresas usando la huella, el rostro o el PIN de tu dispositivo, "
        "sin contraseña ni código. Primero confirma con el factor de seguridad."
    )
    form_class = PasskeyNameForm
    form_template = "accounts/profile/fields_form.html"
    done_template = "accounts/profile/passkey_register.html"
    review_first = False
    done_title = _("Ahora registra tu passkey")
    back_url_name = "accounts:passkeys"

    def prepare(self, actor, form, context):
        return Prepared(
            payload={"name": form.cleaned_data["name"]}, summary="Registrar una passkey"
        )

    def execute(self, actor, payload, key):
        passkeys.registration_grant(request=actor.request, name=payload["name"])
        return {"message": "Presiona el botón y sigue las indicaciones de tu dispositivo."}


class PasskeyRemove(OperationKind):
    purpose = "passkey_remove"
    title = _("Eliminar passkey")
    form_class = ConfirmForm
    form_template = "accounts/profile/fields_form.html"
    review_first = False
    submit_label = _("Sí, eliminar")
    done_title = _("El proceso se ha realizado con éxito.")
    back_url_name = "accounts:passkeys"

    def context(self, request) -> dict:
        return {"passkey": str(request.resolver_match.kwargs["public_id"])}

    def passkey(self, actor: Actor, public_id) -> Passkey:
        """The user's passkey (404 for another user's)."""
        return get_object_or_404(Passkey, user=actor.user, public_id=public_id)

    def initial(self, request, actor):
        self.passkey(actor, self.context(request)["passkey"])
        return {}

    def extra_context(self, request, actor):
        """Every form step, a POST too, answers 404 for a passkey that is not the user's."""
        return {"passkey": self.passkey(actor, self.context(request)["passkey"])}

    def prepare(self, actor, form, context):
        passkey = self.passkey(actor, context["passkey"])
        return Prepared(
            payload={"passkey": str(passkey.public_id)},
            summary=f"Eliminar la passkey {passkey.name}",
        )

    def execute(self, actor, payload, key):
        passkeys.passkey_remove(
            request=actor.request, user=actor.user, public_id=payload["passkey"]
        )
        return {}


password_change = operation_kind_register(PasswordChange())
username_change = operation_kind_register(UsernameChange())
questions_change = operation_kind_register(QuestionsChange())
image_change = operation_kind_register(ImageChange())
personal_data_change = operation_kind_register(PersonalDataChange())
pin_change = operation_kind_register(PinChange())
authenticator_add = operation_kind_register(AuthenticatorAdd())
authenticator_remove = operation_kind_register(AuthenticatorRemove())
device_remove = operation_kind_register(DeviceRemove())
passkey_authorize = operation_kind_register(PasskeyAuthorize())
passkey_remove = operation_kind_register(PasskeyRemove())

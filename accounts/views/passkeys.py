"""Passkeys: register from Mi perfil (after a code), sign in from the sign-in page."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST, require_safe

from accounts.confirm import operation_view
from accounts.forms import ConfirmForm, PasskeyNameForm
from accounts.models import Passkey
from accounts.operations import OperationKind, Prepared
from accounts.passkeys import (
    REGISTRATION_GRANT,
    PasskeyRefused,
    authentication_options,
    parse_json,
    passkey_authenticate,
    passkey_register,
    passkey_remove,
    registration_grant,
    registration_granted,
    registration_options,
)
from accounts.views.login import sign_in_user
from core.ratelimit import rate_limited


@login_required
@require_safe
def passkeys(request):
    items = Passkey.objects.filter(user=request.user)
    return render(request, "accounts/profile/passkeys.html", {"passkeys": items})


class PasskeyAuthorize(OperationKind):
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
        registration_grant(request=actor.request, name=payload["name"])
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

    def passkey(self, request) -> Passkey:
        from django.shortcuts import get_object_or_404

        return get_object_or_404(
            Passkey, user=request.user, public_id=request.resolver_match.kwargs["public_id"]
        )

    def initial(self, request, actor):
        self.passkey(request)
        return {}

    def prepare(self, actor, form, context):
        passkey = self.passkey(actor.request)
        return Prepared(
            payload={"passkey": str(passkey.public_id)},
            summary=f"Eliminar la passkey {passkey.name}",
        )

    def execute(self, actor, payload, key):
        passkey_remove(request=actor.request, user=actor.user, public_id=payload["passkey"])
        return {}


passkey_authorize = operation_view(PasskeyAuthorize(), owner_required=False)
passkey_remove_view = operation_view(PasskeyRemove(), owner_required=False)


@login_required
@require_POST
def register_options(request):
    if registration_granted(request) is None:
        return JsonResponse({"error": "Confirma primero con el factor de seguridad."}, status=403)
    return HttpResponse(
        registration_options(request=request, user=request.user), content_type="application/json"
    )


@login_required
@require_POST
def register(request):
    grant = registration_granted(request)
    if grant is None:
        return JsonResponse({"error": "Confirma primero con el factor de seguridad."}, status=403)
    try:
        passkey_register(
            request=request,
            user=request.user,
            credential=parse_json(request.body),
            name=grant["name"],
        )
    except PasskeyRefused as exc:
        return JsonResponse({"error": exc.message}, status=400)
    request.session.pop(REGISTRATION_GRANT, None)
    return JsonResponse(
        {"message": "Passkey registrada.", "redirect": reverse("accounts:passkeys")}
    )


@require_POST
def login_options(request):
    if rate_limited(request, "passkey", per_ip=30):
        return JsonResponse(
            {"error": "Demasiados intentos. Inténtalo en unos minutos."}, status=429
        )
    return HttpResponse(authentication_options(request=request), content_type="application/json")


@require_POST
def login(request):
    if rate_limited(request, "passkey", per_ip=30):
        return JsonResponse(
            {"error": "Demasiados intentos. Inténtalo en unos minutos."}, status=429
        )
    try:
        user = passkey_authenticate(request=request, credential=parse_json(request.body))
    except PasskeyRefused as exc:
        return JsonResponse({"error": exc.message}, status=400)
    sign_in_user(request, user, method="passkey")
    return JsonResponse({"redirect": reverse("products:position")})

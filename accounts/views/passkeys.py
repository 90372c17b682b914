"""Passkeys: register from Mi perfil (after a code), sign in from the sign-in page."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from accounts import profile as kinds
from accounts.confirm import operation_view
from accounts.models import Passkey
from accounts.passkeys import (
    REGISTRATION_GRANT,
    PasskeyRefused,
    authentication_options,
    parse_json,
    passkey_authenticate,
    passkey_register,
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


passkey_authorize = operation_view(kinds.passkey_authorize, owner_required=False)
passkey_remove_view = operation_view(kinds.passkey_remove, owner_required=False)


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

"""Signing in and out, and the first-login personalization.

Every step is a plain form POST (no JavaScript needed); the progress is kept in the
session under ``login`` and each view refuses to run out of order.
"""

import secrets

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from accounts import challenges
from accounts.audit import audit_log
from accounts.credentials import PASSWORD_HINTS, USERNAME_HINTS, hash_answer, remember_password
from accounts.devices import describe_device
from accounts.exceptions import (
    ChallengeError,
    ChallengeExhausted,
    CodeNotDelivered,
    LoginFailed,
    TooManyGuesses,
    TooManySends,
)
from accounts.forms import (
    ChallengeForm,
    DeviceForm,
    NewPasswordForm,
    NewUsernameForm,
    PasswordForm,
    SecurityImageForm,
    SecurityQuestionsForm,
    UsernameForm,
)
from accounts.login import (
    DEVICE_COOKIE_AGE,
    decoy_image,
    device_from_request,
    device_register,
    device_seen,
    login_check_password,
    user_for_username,
)
from accounts.models import SecurityAnswer, SecurityImage, User
from core.crypto import decrypt, encrypt
from core.models import Cooperative
from core.profile import cooperative_current
from core.ratelimit import rate_limited, too_many_requests

STATE = "login"


def _state(request) -> dict:
    return request.session.get(STATE) or {}


def _save_state(request, **changes) -> dict:
    state = {**_state(request), **changes}
    request.session[STATE] = state
    return state


def _restart(request, message: str | None = None):
    request.session.pop(STATE, None)
    if message:
        messages.error(request, message)
    return redirect("accounts:login")


def _pending_user(request, step: str) -> User | None:
    state = _state(request)
    if state.get("step") != step or not state.get("user_id"):
        return None
    return (
        User.objects.select_related("member", "security_image").filter(pk=state["user_id"]).first()
    )


def _safe_next(request, candidate: str | None) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("products:position")


# --- 1. username --------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def login_username(request):
    if request.user.is_authenticated:
        return redirect("products:position")
    form = UsernameForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if rate_limited(request, "login", per_ip=30, key=form.cleaned_data["username"], per_key=10):
            return too_many_requests(request)
        username = form.cleaned_data["username"]
        user = user_for_username(username)
        request.session.cycle_key()
        _save_state(
            request,
            step="password",
            username=username,
            user_id=user.pk if user else None,
            nonce=secrets.token_hex(8),
            next=_safe_next(request, request.POST.get("next") or request.GET.get("next")),
        )
        return redirect("accounts:login_password")
    return render(
        request, "accounts/login.html", {"form": form, "next": request.GET.get("next", "")}
    )


# --- 2. image and password --------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def login_password(request):
    state = _state(request)
    if state.get("step") != "password":
        return redirect("accounts:login")
    user = user_for_username(state["username"]) if state.get("user_id") else None
    image = user.security_image if user and user.security_image else decoy_image(state["username"])
    # The Panamanian profile names the image; an unknown username gets the image's name.
    image_name = (user.security_image_name if user else "") or (image.name if image else "")
    if (
        cooperative_current().confirmation_method
        != Cooperative.ConfirmationMethod.SECURITY_QUESTION
    ):
        image_name = ""
    form = PasswordForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if rate_limited(request, "password", per_ip=30, key=state["username"], per_key=10):
            return too_many_requests(request)
        try:
            user = login_check_password(
                username=state["username"], password=form.cleaned_data["password"], request=request
            )
        except LoginFailed as exc:
            form.add_error(None, exc.message)
        else:
            request.session.cycle_key()
            if user.must_personalize:
                _save_state(request, step="personalize", user_id=user.pk, personalize={})
                return redirect("accounts:personalize")
            device = device_from_request(request, user)
            if device is not None:
                device_seen(device, request)
                return _start_login_challenge(request, user)
            _save_state(request, step="device", user_id=user.pk)
            return redirect("accounts:login_device")
    return render(
        request,
        "accounts/login_password.html",
        {"form": form, "username": state["username"], "image": image, "image_name": image_name},
    )


# --- 3. new device ---------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def login_device(request):
    user = _pending_user(request, "device")
    if user is None:
        return redirect("accounts:login")
    form = DeviceForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        remember = form.cleaned_data["save"] == "yes"
        _save_state(request, remember=remember, alias=form.cleaned_data["alias"].strip())
        return _start_login_challenge(request, user)
    return render(request, "accounts/login_device.html", {"form": form})


def _login_payload(state: dict) -> dict:
    return {"user": state["user_id"], "nonce": state["nonce"]}


def _start_login_challenge(request, user: User):
    state = _save_state(request, step="challenge", user_id=user.pk)
    try:
        challenge = challenges.challenge_start(
            user=user,
            purpose="login",
            payload=_login_payload(state),
            summary="Ingreso a tu banca en línea",
            request=request,
        )
    except CodeNotDelivered as exc:
        # The code step, saying so, with «Reenviar» (the code was not counted).
        challenge = exc.context["challenge"]
        messages.error(request, exc.message)
    except TooManySends as exc:
        request.session.pop(STATE, None)
        return too_many_requests(request, message=exc.message)
    except ChallengeError as exc:
        return _restart(request, exc.message)
    _save_state(request, challenge=str(challenge.public_id))
    return redirect("accounts:login_challenge")


# --- 4. factor de seguridad --------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def login_challenge(request):
    user = _pending_user(request, "challenge")
    state = _state(request)
    if user is None or not state.get("challenge"):
        return redirect("accounts:login")
    challenge = challenges.challenge_get(user=user, public_id=state["challenge"])
    form = ChallengeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            challenges.challenge_verify(
                user=user,
                public_id=challenge.public_id,
                purpose="login",
                payload=_login_payload(state),
                answer=form.cleaned_data["answer"],
                request=request,
            )
        except TooManyGuesses as exc:
            return too_many_requests(request, message=exc.message)
        except ChallengeExhausted as exc:
            return _restart(request, exc.message)
        except ChallengeError as exc:
            form.add_error("answer", exc.message)
        else:
            return _complete_login(request, user, state)
    return _challenge_page(request, form, challenge)


def _challenge_page(request, form, challenge, *, status: int = 200):
    return render(
        request,
        "accounts/login_challenge.html",
        {"form": form, **challenge_context(challenge, resend_url=reverse("accounts:login_resend"))},
        status=status,
    )


@require_POST
def login_resend(request):
    user = _pending_user(request, "challenge")
    state = _state(request)
    if user is None or not state.get("challenge"):
        return redirect("accounts:login")
    try:
        challenges.challenge_resend(user=user, public_id=state["challenge"], request=request)
        messages.success(request, "Te enviamos un nuevo código.")
    except ChallengeExhausted as exc:
        return _restart(request, exc.message)
    except TooManySends as exc:
        # The sign-in send cap: 429, on the code step (the last code still works).
        form = ChallengeForm()
        form.errors["answer"] = form.error_class([exc.message])
        challenge = challenges.challenge_get(user=user, public_id=state["challenge"])
        return _challenge_page(request, form, challenge, status=429)
    except ChallengeError as exc:
        messages.error(request, exc.message)
    return redirect("accounts:login_challenge")


def challenge_context(challenge, *, resend_url: str, show_channels: bool = True) -> dict:
    """What the "Factor de seguridad" partial needs, for any operation. Before anybody
    is identified (recovery, enrollment) the channels are not named: a decoy step could
    not name any. A code that reached only one channel names only that one; one that
    reached nobody (``undelivered``) asks for «Reenviar» instead of the code."""
    channels = ""
    if show_channels:
        channels = challenges.masked_channels(
            challenge.user, only=challenges.delivered_channels(challenge)
        )
    return {
        "challenge": challenge,
        "channels": channels,
        "undelivered": not challenges.code_delivered(challenge),
        "expires_at": challenge.expires_at,
        "seconds_left": max(0, int((challenge.expires_at - timezone.now()).total_seconds())),
        "resend_url": resend_url,
    }


def sign_in_user(request, user: User, *, method: str) -> None:
    """The last step of every way in: rotate the session, remember the previous login."""
    previous = {
        "at": user.last_login.isoformat() if user.last_login else None,
        "device": user.last_login_device,
    }
    request.session.pop(STATE, None)
    auth_login(request, user)  # rotates the session key again
    request.session["previous_login"] = previous
    user.last_login_device = describe_device(request.headers.get("User-Agent", ""))
    user.save(update_fields=["last_login_device"])
    audit_log(event="login_ok", user=user, request=request, method=method)


def _complete_login(request, user: User, state: dict):
    cookie = None
    if state.get("remember"):
        _, cookie = device_register(
            user=user, request=request, alias=state.get("alias") or "Mi dispositivo"
        )
    next_url = state.get("next") or reverse("products:position")
    sign_in_user(request, user, method="password+code")
    response = HttpResponseRedirect(next_url)
    if cookie:
        response.set_cookie(
            settings.DEVICE_COOKIE_NAME,
            cookie,
            max_age=DEVICE_COOKIE_AGE,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
    return response


@require_POST
def login_cancel(request):
    return _restart(request)


@require_POST
def keepalive(request):
    """ "Continuar conectado": any request renews the idle timer (see the middleware)."""
    if not request.user.is_authenticated:
        return HttpResponse(status=401)
    return HttpResponse(status=204)


@require_POST
def logout(request):
    if request.user.is_authenticated:
        audit_log(event="logout", user=request.user, request=request)
    auth_logout(request)
    return redirect("accounts:login")


# --- first login: personalize the temporary credentials -------------------------------


PERSONALIZE_STEPS = ("username", "questions", "image", "password", "confirm")


@require_http_methods(["GET", "POST"])
def personalize(request):
    user = _pending_user(request, "personalize")
    if user is None:
        return redirect("accounts:login")
    progress = _state(request).get("personalize", {})
    step = next((s for s in PERSONALIZE_STEPS if s not in progress), "confirm")
    coop = cooperative_current()
    member = getattr(user, "member", None)
    context = {"step": step, "steps": PERSONALIZE_STEPS}

    if step == "username":
        form = NewUsernameForm(request.POST if request.method == "POST" else None, user=user)
        if request.method == "POST" and form.is_valid():
            return _personalize_next(request, progress, username=form.cleaned_data["username"])
        context.update(form=form, hints=USERNAME_HINTS, current_username=user.username)
    elif step == "questions":
        form = SecurityQuestionsForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            answers = [[q.pk, hash_answer(a)] for q, a in form.pairs()]
            return _personalize_next(request, progress, questions=answers)
        context.update(form=form)
    elif step == "image":
        ask_name = coop.confirmation_method == Cooperative.ConfirmationMethod.SECURITY_QUESTION
        form = SecurityImageForm(
            request.POST if request.method == "POST" else None, ask_name=ask_name
        )
        if request.method == "POST" and form.is_valid():
            return _personalize_next(
                request,
                progress,
                image=form.cleaned_data["image"].pk,
                image_name=form.cleaned_data.get("image_name", ""),
            )
        context.update(form=form, images=SecurityImage.objects.all())
    elif step == "password":
        form = NewPasswordForm(
            request.POST or None,
            user=user,
            username=progress["username"],
            id_number=member.id_number if member else "",
        )
        if request.method == "POST" and form.is_valid():
            return _personalize_next(
                request, progress, password=encrypt(make_password(form.cleaned_data["new"]))
            )
        context.update(form=form, hints=PASSWORD_HINTS)
    else:
        return _personalize_confirm(request, user, progress)
    return render(request, "accounts/personalize.html", context)


def _personalize_next(request, progress: dict, **values):
    _save_state(request, personalize={**progress, **values})
    return redirect("accounts:personalize")


def _personalize_payload(state: dict) -> dict:
    chosen = state["personalize"]
    return {
        "user": state["user_id"],
        "nonce": state["nonce"],
        "username": chosen["username"],
        "image": chosen["image"],
        "questions": [q for q, _ in chosen["questions"]],
    }


def _personalize_confirm(request, user: User, progress: dict):
    state = _state(request)
    if request.method == "GET" or "challenge" not in progress:
        if "challenge" not in progress:
            try:
                challenge = challenges.challenge_start(
                    user=user,
                    purpose="personalize",
                    payload=_personalize_payload(state),
                    summary="Configuración de tus credenciales",
                    request=request,
                )
            except CodeNotDelivered as exc:
                challenge = exc.context["challenge"]
                messages.error(request, exc.message)
            except TooManySends as exc:
                request.session.pop(STATE, None)
                return too_many_requests(request, message=exc.message)
            except ChallengeError as exc:
                return _restart(request, exc.message)
            progress = {**progress, "challenge": str(challenge.public_id)}
            _save_state(request, personalize=progress)
        challenge = challenges.challenge_get(user=user, public_id=progress["challenge"])
        form = ChallengeForm()
    else:
        challenge = challenges.challenge_get(user=user, public_id=progress["challenge"])
        form = ChallengeForm(request.POST)
        if form.is_valid():
            try:
                challenges.challenge_verify(
                    user=user,
                    public_id=challenge.public_id,
                    purpose="personalize",
                    payload=_personalize_payload(state),
                    answer=form.cleaned_data["answer"],
                    request=request,
                )
            except TooManyGuesses as exc:
                return too_many_requests(request, message=exc.message)
            except ChallengeExhausted as exc:
                return _restart(request, exc.message)
            except ChallengeError as exc:
                form.add_error("answer", exc.message)
            else:
                try:
                    _apply_personalization(request, user, progress)
                except IntegrityError:  # the username was taken meanwhile
                    return _restart(
                        request, "Ese nombre de usuario ya no está disponible. Vuelve a ingresar."
                    )
                request.session.pop(STATE, None)
                request.session.cycle_key()
                messages.success(
                    request,
                    "Credenciales configuradas con éxito. "
                    "Ingresa con tu nuevo usuario y contraseña.",
                )
                return redirect("accounts:login")
    return render(
        request,
        "accounts/personalize.html",
        {
            "step": "confirm",
            "steps": PERSONALIZE_STEPS,
            "form": form,
            **challenge_context(challenge, resend_url=reverse("accounts:personalize_resend")),
        },
    )


@require_POST
def personalize_resend(request):
    user = _pending_user(request, "personalize")
    progress = _state(request).get("personalize", {})
    if user is None or "challenge" not in progress:
        return redirect("accounts:login")
    try:
        challenges.challenge_resend(user=user, public_id=progress["challenge"], request=request)
        messages.success(request, "Te enviamos un nuevo código.")
    except ChallengeExhausted as exc:
        return _restart(request, exc.message)
    except ChallengeError as exc:
        messages.error(request, exc.message)
    return redirect("accounts:personalize")


def _apply_personalization(request, user: User, progress: dict) -> None:
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        remember_password(locked)
        old_username = locked.username
        locked.username = progress["username"]
        locked.password = decrypt(progress["password"])
        locked.security_image_id = progress["image"]
        locked.security_image_name = progress.get("image_name", "")
        locked.must_personalize = False
        locked.credentials_expire_at = None
        locked.password_changed_at = timezone.now()
        locked.save()
        SecurityAnswer.objects.filter(user=locked).delete()
        SecurityAnswer.objects.bulk_create(
            SecurityAnswer(user=locked, question_id=q, answer_hash=h)
            for q, h in progress["questions"]
        )
        audit_log(
            event="credentials_personalized",
            user=locked,
            request=request,
            old_username=old_username,
            new_username=locked.username,
        )

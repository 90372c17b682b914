"""The credential-support pages under the sign-in form (see accounts/recovery.py)."""

import re
import secrets
import time

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts import challenges
from accounts.credentials import PASSWORD_HINTS, validate_password
from accounts.exceptions import (
    ChallengeError,
    ChallengeExhausted,
    CodeNotDelivered,
    ResendTooSoon,
    TooManyGuesses,
    TooManySends,
    WrongAnswer,
)
from accounts.forms import MAX_SECRET, ChallengeForm, SecurityImageForm
from accounts.models import SecurityImage, User
from accounts.recovery import (
    password_set,
    recovery_subject,
    user_unlock,
    username_send,
)
from accounts.views.login import challenge_context
from core.notifications import channels_failing
from core.profile import cooperative_current
from core.ratelimit import rate_limited, too_many_requests

STATE = "recovery"
MAX_DECOY_ATTEMPTS = challenges.MAX_ATTEMPTS

TITLES = {
    "username": _("Olvidé mi usuario"),
    "unlock": _("Desbloquear tu usuario"),
    "password": _("Recuperar contraseña"),
}
PURPOSES = {"username": "forgot_username", "unlock": "unlock", "password": "forgot_password"}


class IdentificationForm(forms.Form):
    id_number = forms.CharField(
        label=_("Ingresa tu número de identificación"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "inputmode": "text", "autofocus": True}
        ),
    )


class IdentificationUsernameForm(IdentificationForm):
    username = forms.CharField(
        label=_("Ingresa tu usuario"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocapitalize": "none", "autocomplete": "username"}),
    )


class NewPasswordOnlyForm(forms.Form):
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

    def __init__(self, *args, user: User, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        new, confirm = data.get("new"), data.get("confirm")
        if new and confirm and new != confirm:
            self.add_error("confirm", _("Las contraseñas no coinciden."))
        elif new:
            member = getattr(self.user, "member", None)
            try:
                validate_password(new, user=self.user, id_number=member.id_number if member else "")
            except forms.ValidationError as exc:
                self.add_error("new", exc)
        return data


def _state(request) -> dict:
    return request.session.get(STATE) or {}


def _begin(request, kind: str, user: User | None, *, step: str = "challenge"):
    """Starts the code step for ``user`` — or, for ``None``, a decoy that sends nothing."""
    request.session.cycle_key()
    state = {"kind": kind, "user_id": user.pk if user else None, "nonce": secrets.token_hex(8)}
    request.session[STATE] = state
    if step == "image":
        request.session[STATE] = {**state, "step": "image"}
        return redirect("accounts:recovery_image")
    return _start_challenge(request)


def _start_challenge(request):
    state = _state(request)
    user = User.objects.filter(pk=state.get("user_id")).first() if state.get("user_id") else None
    state = {
        **state,
        "step": "challenge",
        "decoy_attempts": 0,
        "decoy_sent_at": time.time(),
        "decoy_sends": 0 if user is None and decoy_undelivered() else 1,
    }
    if user is not None:
        try:
            challenge = challenges.challenge_start(
                user=user,
                purpose=PURPOSES[state["kind"]],
                payload={"nonce": state["nonce"]},
                summary=str(TITLES[state["kind"]]),
                request=request,
            )
        except CodeNotDelivered as exc:
            challenge = exc.context["challenge"]
            messages.error(request, exc.message)
        except ChallengeError as exc:
            return _restart(request, exc.message)
        state["challenge"] = str(challenge.public_id)
    elif decoy_undelivered():
        messages.error(request, CodeNotDelivered.message)
    request.session[STATE] = state
    return redirect("accounts:recovery_challenge")


def decoy_undelivered() -> bool:
    """A decoy code step (unknown data) says the code could not be sent when a real one
    would: while every channel is failing."""
    return channels_failing()


def _restart(request, message: str | None = None, *, kind: str | None = None):
    kind = kind or _state(request).get("kind", "username")
    request.session.pop(STATE, None)
    if message:
        messages.error(request, message)
    return redirect(f"accounts:forgot_{kind}" if kind != "unlock" else "accounts:unlock")


def limited_by_identification(request, id_number: str) -> bool:
    """Recovery and enrollment share one budget per identification (as the lookup reads
    it) and per address: three starts per quarter hour, whichever flow."""
    return rate_limited(
        request, "recovery", per_ip=20, key=re.sub(r"[\s.-]", "", id_number).upper(), per_key=3
    )


@require_http_methods(["GET", "POST"])
def forgot_username(request):
    form = IdentificationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if limited_by_identification(request, form.cleaned_data["id_number"]):
            return too_many_requests(request)
        return _begin(
            request, "username", recovery_subject(id_number=form.cleaned_data["id_number"])
        )
    return render(request, "accounts/recovery.html", {"form": form, "title": TITLES["username"]})


@require_http_methods(["GET", "POST"])
def unlock(request):
    coop = cooperative_current()
    form = IdentificationUsernameForm(request.POST if request.method == "POST" else None)
    context = {"form": form, "title": TITLES["unlock"], "branch_only": not coop.self_service_unlock}
    if request.method == "POST" and form.is_valid() and coop.self_service_unlock:
        data = form.cleaned_data
        if limited_by_identification(request, data["id_number"]):
            return too_many_requests(request)
        # Locked or not, the same code step: the answer comes only after the code.
        user = recovery_subject(id_number=data["id_number"], username=data["username"])
        return _begin(request, "unlock", user)
    return render(request, "accounts/recovery.html", context)


@require_http_methods(["GET", "POST"])
def forgot_password(request):
    form = IdentificationUsernameForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if limited_by_identification(request, data["id_number"]):
            return too_many_requests(request)
        user = recovery_subject(id_number=data["id_number"], username=data["username"])
        return _begin(request, "password", user, step="image")
    return render(request, "accounts/recovery.html", {"form": form, "title": TITLES["password"]})


@require_http_methods(["GET", "POST"])
def recovery_image(request):
    """ "Selecciona la imagen que seleccionaste previamente": a wrong pick leads on to a
    decoy code step, the same as unknown data."""
    state = _state(request)
    if state.get("step") != "image":
        return redirect("accounts:forgot_password")
    form = SecurityImageForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        user = (
            User.objects.filter(pk=state.get("user_id")).first() if state.get("user_id") else None
        )
        if user is None or user.security_image_id != form.cleaned_data["image"].pk:
            request.session[STATE] = {**state, "user_id": None}
        return _start_challenge(request)
    return render(
        request,
        "accounts/recovery_image.html",
        {"form": form, "title": TITLES["password"], "images": SecurityImage.objects.all()},
    )


@require_http_methods(["GET", "POST"])
def recovery_challenge(request):
    state = _state(request)
    if state.get("step") != "challenge":
        return redirect("accounts:login")
    kind = state["kind"]
    user = User.objects.filter(pk=state.get("user_id")).first() if state.get("user_id") else None
    form = ChallengeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            if user is None:
                challenges.guess_claim(request=request, user=None)
                _decoy_verify(request, state)
            challenges.challenge_verify(
                user=user,
                public_id=state["challenge"],
                purpose=PURPOSES[kind],
                payload={"nonce": state["nonce"]},
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
            return _finish(request, kind, user)
    context = {"form": form, "title": TITLES[kind]}
    if user is not None:
        challenge = challenges.challenge_get(user=user, public_id=state["challenge"])
        context.update(
            challenge_context(
                challenge, resend_url=reverse("accounts:recovery_resend"), show_channels=False
            )
        )
    else:
        context.update(_decoy_context(state))
    return render(request, "accounts/recovery_challenge.html", context)


def _decoy_verify(request, state: dict) -> None:
    attempts = state.get("decoy_attempts", 0) + 1
    request.session[STATE] = {**state, "decoy_attempts": attempts}
    left = MAX_DECOY_ATTEMPTS - attempts
    if left <= 0:
        raise ChallengeExhausted
    tries = "Te queda 1 intento" if left == 1 else f"Te quedan {left} intentos"
    raise WrongAnswer(f"El código ingresado es incorrecto. {tries}.")


def _decoy_context(state: dict) -> dict:
    seconds = int(challenges.LIFETIME.total_seconds())

    class Decoy:
        method = "otp"

    return {
        "challenge": Decoy(),
        "channels": "",
        "undelivered": not state.get("decoy_sends"),
        "seconds_left": seconds,
        "resend_url": reverse("accounts:recovery_resend"),
    }


def _finish(request, kind: str, user: User):
    if kind == "username":
        username_send(user=user, request=request)
        request.session.pop(STATE, None)
        messages.success(request, "Te enviamos tu usuario a tu correo electrónico registrado.")
        return redirect("accounts:login")
    if kind == "unlock":
        request.session.pop(STATE, None)
        if not user.is_locked:
            messages.info(request, "Su usuario no se encuentra bloqueado.")
            return redirect("accounts:login")
        user_unlock(user=user, request=request)
        messages.success(request, "Tu usuario fue desbloqueado. Ya puedes ingresar.")
        return redirect("accounts:login")
    request.session[STATE] = {**_state(request), "step": "new_password"}
    return redirect("accounts:recovery_password")


@require_http_methods(["GET", "POST"])
def recovery_password(request):
    state = _state(request)
    if state.get("step") != "new_password" or not state.get("user_id"):
        return redirect("accounts:forgot_password")
    user = User.objects.select_related("member").get(pk=state["user_id"])
    form = NewPasswordOnlyForm(request.POST if request.method == "POST" else None, user=user)
    if request.method == "POST" and form.is_valid():
        password_set(user=user, password=form.cleaned_data["new"], request=request)
        request.session.pop(STATE, None)
        messages.success(request, "Se ha cambiado la contraseña correctamente.")
        return redirect("accounts:login")
    return render(
        request,
        "accounts/recovery_password.html",
        {"form": form, "title": TITLES["password"], "hints": PASSWORD_HINTS},
    )


@require_POST
def recovery_resend(request):
    state = _state(request)
    if state.get("step") != "challenge":
        return redirect("accounts:login")
    try:
        if state.get("user_id"):
            challenges.challenge_resend(
                user=User.objects.get(pk=state["user_id"]),
                public_id=state["challenge"],
                request=request,
            )
        else:
            request.session[STATE] = decoy_resend(state)
    except ChallengeExhausted as exc:
        return _restart(request, exc.message)
    except ChallengeError as exc:
        request.session[STATE] = exc.context.get("state", state)
        messages.error(request, exc.message)
        return redirect("accounts:recovery_challenge")
    messages.success(request, "Te enviamos un nuevo código.")
    return redirect("accounts:recovery_challenge")


def decoy_resend(state: dict) -> dict:
    """What "Reenviar" answers on a decoy step: the same cooldown, caps and outages as a
    real one (a code that reaches nobody is not counted; the cooldown still runs)."""
    if time.time() - state.get("decoy_sent_at", 0) < challenges.RESEND_COOLDOWN.total_seconds():
        raise ResendTooSoon
    sends = state.get("decoy_sends", 1)
    if sends >= challenges.MAX_SENDS_PER_CHALLENGE:
        raise TooManySends
    if decoy_undelivered():
        raise CodeNotDelivered(state={**state, "decoy_sent_at": time.time()})
    return {**state, "decoy_sent_at": time.time(), "decoy_sends": sends + 1}

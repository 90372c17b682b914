""" "Regístrate" (see accounts/enrollment.py): identification, legal texts, code, done."""

import secrets
import time

from django import forms
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from accounts import challenges
from accounts.enrollment import (
    current_documents,
    enrollment_complete,
    enrollment_explain,
    enrollment_find,
    enrollment_user,
)
from accounts.exceptions import (
    ChallengeError,
    ChallengeExhausted,
    CodeNotDelivered,
    TooManyGuesses,
    WrongAnswer,
)
from accounts.forms import ChallengeForm
from accounts.models import Member, TermsDocument
from accounts.views.login import challenge_context
from accounts.views.recovery import decoy_resend, decoy_undelivered, limited_by_identification
from core.models import Cooperative
from core.profile import cooperative_current
from core.ratelimit import too_many_requests

STATE = "enrollment"


class IdentificationForm(forms.Form):
    id_number = forms.CharField(
        label=_("Número de identificación"),
        help_text=_("Cédula o pasaporte"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True}),
    )


class MemberNumberForm(forms.Form):
    member_number = forms.CharField(label=_("Número de asociado"), max_length=20)
    birth_date = forms.DateField(
        label=_("Fecha de Nacimiento"), widget=forms.DateInput(attrs={"type": "date"})
    )
    id_number = forms.CharField(label=_("Cédula"), max_length=20)


class AcceptForm(forms.Form):
    accept = forms.BooleanField(label=_("Acepto"), required=True)


def _documents_for(coop) -> list[str]:
    if coop.registration_mode == Cooperative.RegistrationMode.MEMBER_NUMBER:
        return [TermsDocument.Kind.CONTRACT, TermsDocument.Kind.DATA]
    return [TermsDocument.Kind.TERMS, TermsDocument.Kind.DATA]


def _state(request) -> dict:
    return request.session.get(STATE) or {}


def _restart(request, message: str | None = None):
    from django.contrib import messages

    request.session.pop(STATE, None)
    if message:
        messages.error(request, message)
    return redirect("accounts:enroll")


@require_http_methods(["GET", "POST"])
def enroll(request):
    if request.user.is_authenticated:
        return redirect("products:position")
    coop = cooperative_current()
    by_member_number = coop.registration_mode == Cooperative.RegistrationMode.MEMBER_NUMBER
    form_class = MemberNumberForm if by_member_number else IdentificationForm
    form = form_class(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if limited_by_identification(request, data["id_number"]):
            return too_many_requests(request)
        found = enrollment_find(
            id_number=data["id_number"],
            member_number=data.get("member_number") if by_member_number else None,
            birth_date=data.get("birth_date") if by_member_number else None,
        )
        request.session.cycle_key()
        request.session[STATE] = {
            "member_id": found.member.pk if found.member else None,
            "eligible": found.ok,
            "nonce": secrets.token_hex(8),
            "documents": [d.pk for d in current_documents(_documents_for(coop))],
            "accepted": [],
        }
        return redirect("accounts:enroll_document", index=0)
    return render(
        request, "accounts/enroll.html", {"form": form, "by_member_number": by_member_number}
    )


@require_http_methods(["GET", "POST"])
def enroll_document(request, index: int):
    state = _state(request)
    documents = state.get("documents", [])
    if not state or index >= len(documents) or len(state["accepted"]) != index:
        return redirect("accounts:enroll")
    document = TermsDocument.objects.get(pk=documents[index])
    form = AcceptForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        state = {**state, "accepted": [*state["accepted"], document.pk]}
        request.session[STATE] = state
        if index + 1 < len(documents):
            return redirect("accounts:enroll_document", index=index + 1)
        return _start_code(request, state)
    return render(request, "accounts/enroll_document.html", {"form": form, "document": document})


def _start_code(request, state: dict):
    from django.contrib import messages

    member = (
        Member.objects.filter(pk=state.get("member_id")).first() if state.get("member_id") else None
    )
    decoy_sends = 1
    if member is not None and state["eligible"]:
        user = enrollment_user(member=member)
        try:
            challenge = challenges.challenge_start(
                user=user,
                purpose="enrollment",
                payload={"member": member.pk, "nonce": state["nonce"]},
                summary="Registro en tu banca en línea",
                request=request,
                method="otp",
            )
        except CodeNotDelivered as exc:
            challenge = exc.context["challenge"]
            messages.error(request, exc.message)
        except ChallengeError as exc:
            return _restart(request, exc.message)
        state = {**state, "user_id": user.pk, "challenge": str(challenge.public_id)}
    else:
        if member is not None:
            enrollment_explain(member=member)
        if decoy_undelivered():
            messages.error(request, CodeNotDelivered.message)
            decoy_sends = 0
    request.session[STATE] = {
        **state,
        "step": "code",
        "decoy_attempts": 0,
        "decoy_sent_at": time.time(),
        "decoy_sends": decoy_sends,
    }
    return redirect("accounts:enroll_code")


@require_http_methods(["GET", "POST"])
def enroll_code(request):
    state = _state(request)
    if state.get("step") != "code":
        return redirect("accounts:enroll")
    form = ChallengeForm(request.POST if request.method == "POST" else None)
    real = bool(state.get("challenge"))
    if request.method == "POST" and form.is_valid():
        try:
            if not real:
                challenges.guess_claim(request=request, user=None)
                _decoy(request, state)
            member = Member.objects.select_related("user").get(pk=state["member_id"])
            challenges.challenge_verify(
                user=member.user,
                public_id=state["challenge"],
                purpose="enrollment",
                payload={"member": member.pk, "nonce": state["nonce"]},
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
            message = enrollment_complete(
                member=member, document_ids=state["accepted"], request=request
            )
            request.session.pop(STATE, None)
            return render(request, "accounts/enroll_done.html", {"message": message})
    context = {"form": form}
    if real:
        member = Member.objects.select_related("user").get(pk=state["member_id"])
        challenge = challenges.challenge_get(user=member.user, public_id=state["challenge"])
        context.update(
            challenge_context(
                challenge, resend_url=reverse("accounts:enroll_resend"), show_channels=False
            )
        )
    else:
        context.update(
            {
                "challenge": type("Decoy", (), {"method": "otp"})(),
                "undelivered": not state.get("decoy_sends"),
                "seconds_left": int(challenges.LIFETIME.total_seconds()),
                "resend_url": reverse("accounts:enroll_resend"),
            }
        )
    return render(request, "accounts/enroll_code.html", context)


def _decoy(request, state: dict) -> None:
    attempts = state.get("decoy_attempts", 0) + 1
    request.session[STATE] = {**state, "decoy_attempts": attempts}
    left = challenges.MAX_ATTEMPTS - attempts
    if left <= 0:
        raise ChallengeExhausted
    tries = "Te queda 1 intento" if left == 1 else f"Te quedan {left} intentos"
    raise WrongAnswer(f"El código ingresado es incorrecto. {tries}.")


@require_http_methods(["POST"])
def enroll_resend(request):
    from django.contrib import messages

    state = _state(request)
    if state.get("step") != "code":
        return redirect("accounts:enroll")
    try:
        if state.get("challenge"):
            member = Member.objects.select_related("user").get(pk=state["member_id"])
            challenges.challenge_resend(
                user=member.user, public_id=state["challenge"], request=request
            )
        else:
            request.session[STATE] = decoy_resend(state)
    except ChallengeExhausted as exc:
        return _restart(request, exc.message)
    except ChallengeError as exc:
        request.session[STATE] = exc.context.get("state", state)
        messages.error(request, exc.message)
        return redirect("accounts:enroll_code")
    messages.success(request, "Te enviamos un nuevo código.")
    return redirect("accounts:enroll_code")

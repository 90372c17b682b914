"""The authenticator app: a second way to answer a code, each code used once."""

import re

import pyotp
import pytest
import time_machine
from django.utils import timezone

from accounts import challenges
from accounts.exceptions import WrongAnswer
from accounts.models import AuthenticatorApp
from core.crypto import decrypt
from tests.auth import last_code, op_id


def enroll_app(me) -> pyotp.TOTP:
    page = me.get("/perfil/autenticador/").content.decode()
    assert "data:image/svg+xml" in page
    secret = re.search(r"<code>([A-Z2-7]+)</code>", page).group(1)
    totp = pyotp.TOTP(secret)
    step = me.post("/perfil/autenticador/", {"step": "form", "code": totp.now()})
    me.post("/perfil/autenticador/", {"step": "confirm", "op": op_id(step), "answer": last_code()})
    return totp


def test_a_wrong_app_code_does_not_activate(me, member):
    me.get("/perfil/autenticador/")
    response = me.post("/perfil/autenticador/", {"step": "form", "code": "000000"})
    assert "El código de la app no es correcto" in response.content.decode()


def test_the_seed_is_stored_encrypted(me, member):
    totp = enroll_app(me)
    app = AuthenticatorApp.objects.get(user=member.user)
    assert app.confirmed_at is not None
    assert totp.secret not in app.secret_encrypted
    assert decrypt(app.secret_encrypted) == totp.secret


def test_an_app_code_answers_a_challenge_once(me, member):
    totp = enroll_app(me)
    challenge = challenges.challenge_start(
        user=member.user, purpose="transfer", payload={"a": 1}, method="otp"
    )
    code = totp.now()
    challenges.challenge_verify(
        user=member.user,
        public_id=challenge.public_id,
        purpose="transfer",
        payload={"a": 1},
        answer=code,
    )
    again = challenges.challenge_start(
        user=member.user, purpose="transfer", payload={"a": 2}, method="otp"
    )
    with pytest.raises(WrongAnswer):  # the same code cannot be replayed
        challenges.challenge_verify(
            user=member.user,
            public_id=again.public_id,
            purpose="transfer",
            payload={"a": 2},
            answer=code,
        )
    with time_machine.travel(timezone.now() + timezone.timedelta(seconds=31)):
        challenges.challenge_verify(
            user=member.user,
            public_id=again.public_id,
            purpose="transfer",
            payload={"a": 2},
            answer=totp.now(),
        )


def test_the_app_can_be_turned_off_with_a_code(me, member):
    enroll_app(me)
    step = me.post("/perfil/autenticador/desactivar/", {"step": "form", "confirm": "on"})
    me.post(
        "/perfil/autenticador/desactivar/",
        {"step": "confirm", "op": op_id(step), "answer": last_code()},
    )
    assert not AuthenticatorApp.objects.filter(user=member.user).exists()

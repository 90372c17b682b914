"""Guessing codes: wrong answers count per address and per user across challenges and
flows, and past a limit every code step answers HTTP 429 — as does the sign-in send cap.
A member who mistypes now and then never meets any of it."""

from datetime import timedelta

import pytest
import time_machine
from django.test import RequestFactory
from django.utils import timezone

from accounts import challenges
from accounts.exceptions import ChallengeError, TooManyGuesses
from accounts.models import Member
from tests.auth import last_code, op_id
from tests.conftest import CommittingClient
from tests.factories import MemberFactory

WRONG = "000000"


def at_the_code_step(client, username, password):
    client.post("/ingresar/", {"username": username})
    client.post("/ingresar/clave/", {"password": password})
    return client.post("/ingresar/dispositivo/", {"save": "no"})


def guess(client, answer=WRONG):
    return client.post("/ingresar/verificacion/", {"answer": answer})


def wrong_code() -> str:
    return WRONG if last_code() != WRONG else "111111"


def use_up_this_address():
    """Another browser behind the same address has made every wrong guess allowed."""
    request = RequestFactory().post("/", REMOTE_ADDR="127.0.0.1")
    for _ in range(challenges.MAX_GUESSES_PER_IP):
        challenges.guess_claim(request=request, user=None)


def test_thirty_wrong_codes_for_ten_users_from_one_address_meet_429(db, password):
    users = [
        MemberFactory(
            user__username=f"socio{n:04d}", id_type=Member.IdType.PASSPORT, id_number=f"P{n:07d}"
        ).user
        for n in range(10)
    ]
    statuses = []
    for user in users:
        browser = CommittingClient()
        at_the_code_step(browser, user.username, password)
        for _ in range(3):
            statuses.append(guess(browser, wrong_code()).status_code)
    limit = challenges.MAX_GUESSES_PER_IP
    assert 429 not in statuses[:limit]
    assert set(statuses[limit:]) == {429}


def test_the_429_page_is_the_spanish_one(client, member, password):
    use_up_this_address()
    at_the_code_step(client, "mariaperez", password)
    response = guess(client, last_code())
    assert response.status_code == 429
    assert "Demasiados intentos" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_wrong_codes_for_one_user_count_across_challenges(client, member, password):
    statuses = []
    for _ in range(4):  # each challenge ends after three wrong codes; the member starts over
        at_the_code_step(client, "mariaperez", password)
        for _ in range(3):
            statuses.append(guess(client, wrong_code()).status_code)
            if statuses[-1] == 429:
                break
    limit = challenges.MAX_GUESSES_PER_USER
    assert 429 not in statuses[:limit] and statuses[limit] == 429


def test_the_per_user_count_follows_the_user_to_another_address(client, member, password):
    for _ in range(challenges.MAX_GUESSES_PER_USER):
        with pytest.raises(ChallengeError):
            challenges.challenge_verify(
                user=member.user, public_id="0" * 32, purpose="login", payload={}, answer="1"
            )
    at_the_code_step(client, "mariaperez", password)
    elsewhere = client.post(
        "/ingresar/verificacion/", {"answer": last_code()}, REMOTE_ADDR="10.9.8.7"
    )
    assert elsewhere.status_code == 429


def test_a_member_who_mistypes_now_and_then_is_never_stopped(client, member, password):
    for _ in range(5):  # five sign-ins in a quarter hour, each with a typo first
        at_the_code_step(client, "mariaperez", password)
        assert guess(client, wrong_code()).status_code == 200
        assert guess(client, last_code()).status_code == 302
        assert "_auth_user_id" in client.session
        client.post("/salir/")
    for _ in range(3):  # and a few operations, each with a typo
        client.force_login(member.user)
        step = client.post("/perfil/usuario/", {"step": "form", "username": "mariafer26"})
        data = {"step": "confirm", "op": op_id(step)}
        assert client.post("/perfil/usuario/", {**data, "answer": wrong_code()}).status_code == 200
        assert client.post("/perfil/usuario/", {**data, "answer": last_code()}).status_code == 200


def test_the_operation_dialog_answers_429_past_the_limit(member_client, member):
    statuses = []
    for _ in range(4):
        step = member_client.post(
            "/perfil/usuario/", {"step": "form", "username": "mariafer26"}, HTTP_HX_REQUEST="true"
        )
        for _ in range(3):
            response = member_client.post(
                "/perfil/usuario/",
                {"step": "confirm", "op": op_id(step), "answer": wrong_code()},
                HTTP_HX_REQUEST="true",
            )
            statuses.append(response.status_code)
            if response.status_code == 429:
                break
    limit = challenges.MAX_GUESSES_PER_USER
    assert 429 not in statuses[:limit] and statuses[limit] == 429


def test_recovery_and_enrollment_code_steps_answer_429_too(client, member, new_member):
    use_up_this_address()
    client.post("/ingresar/olvide-usuario/", {"id_number": member.id_number})
    real = client.post("/ingresar/recuperar/verificacion/", {"answer": last_code()})
    client.post("/ingresar/olvide-usuario/", {"id_number": "1909538934"})
    decoy = client.post("/ingresar/recuperar/verificacion/", {"answer": "123456"})
    client.post("/registro/", {"id_number": new_member.id_number})
    client.post("/registro/documento/0/", {"accept": "on"})
    client.post("/registro/documento/1/", {"accept": "on"})
    enrolling = client.post("/registro/verificacion/", {"answer": last_code()})
    client.post("/registro/", {"id_number": "0926687856"})
    client.post("/registro/documento/0/", {"accept": "on"})
    client.post("/registro/documento/1/", {"accept": "on"})
    unknown = client.post("/registro/verificacion/", {"answer": "123456"})
    assert [r.status_code for r in (real, decoy, enrolling, unknown)] == [429] * 4


def test_decoy_code_steps_count_against_the_address(client, db):
    """Spraying codes over unknown identifications is stopped like over real ones."""
    statuses = []
    for n in range(7):
        client.post("/ingresar/olvide-usuario/", {"id_number": f"17100340{n:02d}"})
        for _ in range(3):
            response = client.post("/ingresar/recuperar/verificacion/", {"answer": WRONG})
            statuses.append(response.status_code)
    limit = challenges.MAX_GUESSES_PER_IP
    assert 429 not in statuses[:limit] and statuses[limit] == 429


def test_a_right_answer_is_not_counted():
    request = RequestFactory().post("/")
    for _ in range(3 * challenges.MAX_GUESSES_PER_IP):
        at = challenges.guess_claim(request=request, user=None)
        challenges._guess_return(request=request, user=None, at=at)
    challenges.guess_claim(request=request, user=None)  # not refused


def test_the_limits_leave_room_for_a_member_and_not_for_a_spray():
    assert challenges.MAX_ATTEMPTS * 3 <= challenges.MAX_GUESSES_PER_USER
    assert challenges.MAX_GUESSES_PER_USER < challenges.MAX_GUESSES_PER_IP <= 30
    with pytest.raises(TooManyGuesses):
        request = RequestFactory().post("/", REMOTE_ADDR="10.0.0.1")
        for _ in range(challenges.MAX_GUESSES_PER_IP + 1):
            challenges.guess_claim(request=request, user=None)


# --- the sign-in send cap ---------------------------------------------------------------


def test_the_sign_in_send_cap_answers_429(client, member, password):
    for _ in range(challenges.MAX_SENDS_PER_WINDOW["signin"]):
        assert at_the_code_step(client, "mariaperez", password).status_code == 302
        client.post("/ingresar/cancelar/")
    response = at_the_code_step(client, "mariaperez", password)
    assert response.status_code == 429
    assert "Demasiados intentos" in response.content.decode()


def test_a_resend_over_the_cap_answers_429_on_the_code_step(client, member, password):
    at_the_code_step(client, "mariaperez", password)
    code = last_code()
    with time_machine.travel(timezone.now() + timedelta(seconds=31)):
        client.post("/ingresar/verificacion/reenviar/")
        code = last_code()
    with time_machine.travel(timezone.now() + timedelta(seconds=62)):
        response = client.post("/ingresar/verificacion/reenviar/")
        assert response.status_code == 429
        html = response.content.decode()
        assert "Enviamos demasiados códigos" in html and "Factor de seguridad" in html
        assert guess(client, code).status_code == 302  # the last code still signs in

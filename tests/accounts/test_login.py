"""Signing in: username → image → password → device → factor de seguridad → home."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core import mail
from django.utils import timezone

from accounts.audit import audit_verify
from accounts.login import decoy_image
from accounts.models import AuditEvent, Device, User
from tests.auth import last_code, sign_in

LOCK_MESSAGE = "Usuario o contraseña incorrectos."


def events(user) -> list[str]:
    return list(
        AuditEvent.objects.filter(user=user).order_by("seq").values_list("event", flat=True)
    )


def test_a_member_signs_in_step_by_step(client, member, password):
    response = sign_in(client, "mariaperez", password)
    assert response.redirect_chain[-1][0] == "/posicion-consolidada/"
    assert "Posición consolidada" in response.content.decode()
    assert events(member.user) == ["otp_sent", "otp_ok", "login_ok"]


def test_the_password_step_shows_the_members_security_image(client, member):
    client.post("/ingresar/", {"username": "mariaperez"})
    html = client.get("/ingresar/clave/").content.decode()
    assert "img/security/estrella.svg" in html


def test_an_unknown_username_sees_a_stable_decoy_image_and_the_same_refusal(client, member):
    client.post("/ingresar/", {"username": "nadie12345"})
    first = client.get("/ingresar/clave/").content.decode()
    client.post("/ingresar/", {"username": "nadie12345"})
    second = client.get("/ingresar/clave/").content.decode()
    image = re.search(r"img/security/(\w+)\.svg", first).group(1)
    assert image == re.search(r"img/security/(\w+)\.svg", second).group(1)
    assert image == decoy_image("nadie12345").slug
    unknown = client.post("/ingresar/clave/", {"password": "Clave#Mala2026"})
    client.post("/ingresar/", {"username": "mariaperez"})
    wrong = client.post("/ingresar/clave/", {"password": "Clave#Mala2026"})
    assert unknown.status_code == wrong.status_code == 200
    assert LOCK_MESSAGE in unknown.content.decode()
    assert LOCK_MESSAGE in wrong.content.decode()


def test_unknown_and_known_usernames_cost_one_password_hash_each(client, member, monkeypatch):
    """Comparable timing: both paths run the password hasher exactly once."""
    from django.contrib.auth import hashers

    calls = []
    original = hashers.Argon2PasswordHasher.encode

    def counting(self, *args, **kwargs):
        calls.append(1)
        return original(self, *args, **kwargs)

    original_verify = hashers.Argon2PasswordHasher.verify

    def counting_verify(self, *args, **kwargs):
        calls.append(1)
        return original_verify(self, *args, **kwargs)

    monkeypatch.setattr(hashers.Argon2PasswordHasher, "encode", counting)
    monkeypatch.setattr(hashers.Argon2PasswordHasher, "verify", counting_verify)
    for username in ("nadie12345", "mariaperez"):
        calls.clear()
        client.post("/ingresar/", {"username": username})
        client.post("/ingresar/clave/", {"password": "Clave#Mala2026"})
        assert len(calls) == 1, username


def test_the_third_wrong_password_locks_the_user(client, member, password):
    for _ in range(3):
        response = sign_in(client, "mariaperez", "Clave#Mala2026")
        assert LOCK_MESSAGE in response.content.decode()
    member.user.refresh_from_db()
    assert member.user.is_locked
    # Even the right password is refused now, with the same words.
    response = sign_in(client, "mariaperez", password)
    assert LOCK_MESSAGE in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert "bloqueado" in mail.outbox[-1].subject
    assert events(member.user).count("locked") == 1


def test_a_success_resets_the_count_of_wrong_passwords(client, member, password):
    sign_in(client, "mariaperez", "Clave#Mala2026")
    sign_in(client, "mariaperez", "Clave#Mala2026")
    sign_in(client, "mariaperez", password)
    client.post("/salir/")
    sign_in(client, "mariaperez", "Clave#Mala2026")
    member.user.refresh_from_db()
    assert member.user.failed_login_count == 1
    assert not member.user.is_locked


def test_inactive_users_get_the_same_answer(client, member, password):
    User.objects.filter(pk=member.user.pk).update(is_active=False)
    assert LOCK_MESSAGE in sign_in(client, "mariaperez", password).content.decode()


def test_expired_temporary_credentials_get_the_same_answer(client, member, password):
    User.objects.filter(pk=member.user.pk).update(
        must_personalize=True, credentials_expire_at=timezone.now() - timedelta(minutes=1)
    )
    assert LOCK_MESSAGE in sign_in(client, "mariaperez", password).content.decode()


def test_before_the_code_nothing_but_the_code_step_is_reachable(client, member, password):
    client.post("/ingresar/", {"username": "mariaperez"})
    client.post("/ingresar/clave/", {"password": password})
    client.post("/ingresar/dispositivo/", {"save": "no"})
    assert client.get("/posicion-consolidada/").status_code == 302
    assert client.get("/ingresar/verificacion/").status_code == 200


def test_steps_out_of_order_start_over(client, member):
    for path in ("/ingresar/clave/", "/ingresar/dispositivo/", "/ingresar/verificacion/"):
        assert client.get(path)["Location"] == "/ingresar/"


def test_the_session_key_rotates_after_the_password_and_after_the_code(client, member, password):
    client.post("/ingresar/", {"username": "mariaperez"})
    first = client.session.session_key
    client.post("/ingresar/clave/", {"password": password})
    second = client.session.session_key
    client.post("/ingresar/dispositivo/", {"save": "no"})
    client.post("/ingresar/verificacion/", {"answer": last_code()})
    third = client.session.session_key
    assert len({first, second, third}) == 3


def test_a_wrong_code_three_times_ends_the_attempt(client, member, password):
    client.post("/ingresar/", {"username": "mariaperez"})
    client.post("/ingresar/clave/", {"password": password})
    client.post("/ingresar/dispositivo/", {"save": "no"})
    first = client.post("/ingresar/verificacion/", {"answer": "000000"})
    assert "Te quedan 2 intentos" in first.content.decode()
    client.post("/ingresar/verificacion/", {"answer": "000001"})
    third = client.post("/ingresar/verificacion/", {"answer": "000002"}, follow=True)
    assert third.redirect_chain[-1][0] == "/ingresar/"
    assert "Superaste el número de intentos" in third.content.decode()
    assert "_auth_user_id" not in client.session


def test_an_expired_code_is_refused(client, member, password):
    client.post("/ingresar/", {"username": "mariaperez"})
    client.post("/ingresar/clave/", {"password": password})
    client.post("/ingresar/dispositivo/", {"save": "no"})
    code = last_code()
    with time_machine.travel(timezone.now() + timedelta(minutes=3, seconds=1)):
        response = client.post("/ingresar/verificacion/", {"answer": code})
    assert "El código expiró" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_resending_replaces_the_code_after_a_cooldown(client, member, password):
    client.post("/ingresar/", {"username": "mariaperez"})
    client.post("/ingresar/clave/", {"password": password})
    client.post("/ingresar/dispositivo/", {"save": "no"})
    old = last_code()
    too_soon = client.post("/ingresar/verificacion/reenviar/", follow=True)
    assert "Espera unos segundos" in too_soon.content.decode()
    with time_machine.travel(timezone.now() + timedelta(seconds=31)):
        client.post("/ingresar/verificacion/reenviar/")
        new = last_code()
        assert new != old or pytest.skip("the random codes collided")
        stale = client.post("/ingresar/verificacion/", {"answer": old})
        assert "El código ingresado es incorrecto" in stale.content.decode()
        response = client.post("/ingresar/verificacion/", {"answer": new}, follow=True)
    assert response.redirect_chain[-1][0] == "/posicion-consolidada/"


def test_a_registered_device_is_remembered(client, member, password):
    sign_in(client, "mariaperez", password, remember=True)
    device = Device.objects.get(user=member.user)
    assert device.alias == "Mi laptop"
    assert client.cookies[settings.DEVICE_COOKIE_NAME]["httponly"]
    client.post("/salir/")
    client.post("/ingresar/", {"username": "mariaperez"})
    response = client.post("/ingresar/clave/", {"password": password})
    assert response["Location"] == "/ingresar/verificacion/"  # no device question this time


def test_a_removed_device_is_asked_about_again(client, member, password):
    sign_in(client, "mariaperez", password, remember=True)
    Device.objects.filter(user=member.user).update(removed_at=timezone.now())
    client.post("/salir/")
    client.post("/ingresar/", {"username": "mariaperez"})
    response = client.post("/ingresar/clave/", {"password": password})
    assert response["Location"] == "/ingresar/dispositivo/"


def test_the_device_alias_shows_only_when_saving_the_device(client, member, password):
    client.post("/ingresar/", {"username": "mariaperez"})
    client.post("/ingresar/clave/", {"password": password})
    html = client.get("/ingresar/dispositivo/").content.decode()
    form = re.search(r"<form[^>]*>", html).group(0)
    assert "data-reveal-group" in form
    assert re.search(r'<input type="radio" name="save" value="yes"[^>]*data-reveals', html)
    assert not re.search(r'<input type="radio" name="save" value="no"[^>]*data-reveals', html)
    assert re.search(r"<div data-revealed>\s*<div class=\"field\">\s*<label for=\"id_alias\"", html)
    assert "<script>" not in html and " style=" not in html
    css = (settings.BASE_DIR / "static" / "css" / "portal.css").read_text()
    assert (
        "[data-reveal-group]:not(:has([data-reveals]:checked)) [data-revealed] "
        "{ display: none; }" in css
    )


def test_saving_a_device_needs_an_alias(client, member, password):
    client.post("/ingresar/", {"username": "mariaperez"})
    client.post("/ingresar/clave/", {"password": password})
    response = client.post("/ingresar/dispositivo/", {"save": "yes", "alias": ""})
    assert "Escribe un nombre" in response.content.decode()


def test_logout_ends_the_session_and_is_recorded(client, member, password):
    sign_in(client, "mariaperez", password)
    client.post("/salir/")
    assert client.get("/posicion-consolidada/").status_code == 302
    assert events(member.user)[-1] == "logout"


def test_an_idle_session_expires_after_five_minutes(client, member, password):
    sign_in(client, "mariaperez", password)
    with time_machine.travel(timezone.now() + timedelta(minutes=4)):
        assert client.get("/posicion-consolidada/").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(minutes=9, seconds=30)):
        response = client.get("/posicion-consolidada/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/ingresar/")
    assert "Tu sesión expiró por inactividad" in response.content.decode()
    assert events(member.user)[-1] == "session_expired"


def test_continuar_conectado_renews_the_session(client, member, password):
    sign_in(client, "mariaperez", password)
    with time_machine.travel(timezone.now() + timedelta(minutes=4, seconds=30)):
        assert client.post("/sesion/extender/").status_code == 204
    with time_machine.travel(timezone.now() + timedelta(minutes=8)):
        assert client.get("/posicion-consolidada/").status_code == 200


def test_signed_in_pages_carry_the_idle_timer(client, member, password):
    html = sign_in(client, "mariaperez", password).content.decode()
    assert 'data-idle-seconds="300"' in html
    assert "Tu sesión está por expirar" in html


def test_too_many_attempts_for_one_username_answer_429(client, member):
    for _ in range(10):
        client.post("/ingresar/", {"username": "mariaperez"})
        client.post("/ingresar/clave/", {"password": "Clave#Mala2026"})
    response = client.post("/ingresar/", {"username": "mariaperez"})
    assert response.status_code == 429
    assert "Demasiados intentos" in response.content.decode()


def test_the_next_parameter_only_goes_to_this_site(client, member, password):
    client.post("/ingresar/?next=https://evil.example/", {"username": "mariaperez"})
    client.post("/ingresar/clave/", {"password": password})
    client.post("/ingresar/dispositivo/", {"save": "no"})
    response = client.post("/ingresar/verificacion/", {"answer": last_code()})
    assert response["Location"] == "/posicion-consolidada/"


def test_every_sign_in_is_in_the_tamper_evident_log(client, member, password):
    sign_in(client, "mariaperez", "Clave#Mala2026")
    sign_in(client, "mariaperez", password)
    assert audit_verify().ok
    failed = AuditEvent.objects.get(event="login_failed")
    assert failed.ip == "127.0.0.1"
    assert "Clave#Mala2026" not in str(failed.data)


@pytest.fixture
def temporary_member(member):
    user = member.user
    user.username = "tmpab12cd3"
    user.password = make_password("Temp#Clave1")
    user.must_personalize = True
    user.security_image = None
    user.credentials_expire_at = timezone.now() + timedelta(days=3)
    user.save()
    return member


def test_temporary_credentials_lead_to_personalization(client, temporary_member):
    from accounts.models import SecurityQuestion

    client.post("/ingresar/", {"username": "tmpab12cd3"})
    response = client.post("/ingresar/clave/", {"password": "Temp#Clave1"})
    assert response["Location"] == "/ingresar/personalizar/"
    assert (
        "Personaliza tu nombre de usuario" in client.get("/ingresar/personalizar/").content.decode()
    )
    bad = client.post("/ingresar/personalizar/", {"username": "Maria_Perez"})
    assert "entre 8 y 15 letras minúsculas" in bad.content.decode()
    client.post("/ingresar/personalizar/", {"username": "mariafer01"})
    questions = list(SecurityQuestion.objects.values_list("pk", flat=True)[:3])
    same = client.post(
        "/ingresar/personalizar/",
        {
            "question_1": questions[0],
            "answer_1": "Bombero",
            "question_2": questions[0],
            "answer_2": "Fútbol",
            "question_3": questions[2],
            "answer_3": "Mayo",
        },
    )
    assert "tres preguntas distintas" in same.content.decode()
    client.post(
        "/ingresar/personalizar/",
        {
            "question_1": questions[0],
            "answer_1": "Bombero",
            "question_2": questions[1],
            "answer_2": "Fútbol",
            "question_3": questions[2],
            "answer_3": "Mayo",
        },
    )
    from accounts.models import SecurityImage

    client.post("/ingresar/personalizar/", {"image": SecurityImage.objects.get(slug="cafe").pk})
    weak = client.post(
        "/ingresar/personalizar/",
        {"current": "Temp#Clave1", "new": "mariafer01A$", "confirm": "mariafer01A$"},
    )
    assert "No puede contener tu nombre de usuario" in weak.content.decode()
    too_long = client.post(
        "/ingresar/personalizar/",
        {"current": "Temp#Clave1", "new": "Abcdefgh1234567$", "confirm": "Abcdefgh1234567$"},
    )
    assert "8 a 15 caracteres" in too_long.content.decode()
    client.post(
        "/ingresar/personalizar/",
        {"current": "Temp#Clave1", "new": "Nueva#Clave26", "confirm": "Nueva#Clave26"},
    )
    confirm = client.get("/ingresar/personalizar/")
    assert "Factor de seguridad" in confirm.content.decode()
    done = client.post("/ingresar/personalizar/", {"answer": last_code()}, follow=True)
    assert "Credenciales configuradas con éxito" in done.content.decode()
    user = User.objects.get(pk=temporary_member.user.pk)
    assert (user.username, user.security_image.slug, user.must_personalize) == (
        "mariafer01",
        "cafe",
        False,
    )
    assert user.security_answers.count() == 3
    assert "_auth_user_id" not in client.session
    # Then the member signs in with the new credentials.
    final = sign_in(client, "mariafer01", "Nueva#Clave26")
    assert final.redirect_chain[-1][0] == "/posicion-consolidada/"
    assert sign_in(client, "tmpab12cd3", "Temp#Clave1").status_code == 200


def test_security_answers_are_stored_hashed_and_compare_loosely(temporary_member):
    from django.contrib.auth.hashers import check_password

    from accounts.credentials import hash_answer, normalize_answer

    stored = hash_answer("  Bombéro ")
    assert "ombero" not in stored
    assert check_password(normalize_answer("BOMBERO"), stored)

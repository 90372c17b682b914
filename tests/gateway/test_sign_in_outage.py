"""Signing in while the SMS gateway fails, hangs and recovers (a real HTTP gateway in
another process): the e-mail copy still goes, nobody sees a 500, a code that reached
nobody is not counted, and staff see the failures in the log and in /healthz."""

import logging
import time
from datetime import timedelta

import time_machine
from django.core import mail
from django.utils import timezone

from tests.auth import last_code

DEVICE_STEP = "/ingresar/dispositivo/"


def to_the_code_step(client, password, **headers):
    client.post("/ingresar/", {"username": "mariaperez"}, **headers)
    client.post("/ingresar/clave/", {"password": password}, **headers)
    return client.post(DEVICE_STEP, {"save": "no"}, follow=True, **headers)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_a_failing_gateway_still_sends_the_code_by_email(client, member, password, sms_gateway):
    sms_gateway.fail()
    response = to_the_code_step(client, password)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Factor de seguridad" in html
    assert "tu correo m***@example.com" in html and "tu celular" not in html
    assert "código de seguridad es" in mail.outbox[-1].body
    final = client.post("/ingresar/verificacion/", {"answer": last_code()}, follow=True)
    assert final.redirect_chain[-1][0] == "/posicion-consolidada/" and signed_in(client)


def test_a_working_gateway_gets_the_sms(client, member, password, sms_gateway):
    to_the_code_step(client, password)
    [sms] = sms_gateway.accepted()
    assert sms["to"] == "+593991234567" and sms["authorization"] == "Bearer gateway-token"
    assert last_code() in sms["text"]


def test_when_no_channel_delivers_the_member_is_told_and_retries(
    client, member, password, sms_gateway, mail_relay_down
):
    sms_gateway.fail()
    response = to_the_code_step(client, password)
    assert response.status_code == 200
    html = response.content.decode()
    assert "No pudimos enviar tu código de seguridad" in html and "Reenviar" in html
    assert response.redirect_chain[-1][0] == "/ingresar/verificacion/"
    assert mail.outbox == [] and sms_gateway.accepted() == []

    sms_gateway.recover()
    mail_relay_down.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with time_machine.travel(timezone.now() + timedelta(seconds=31)):
        retried = client.post("/ingresar/verificacion/reenviar/", follow=True)
        assert "Te enviamos un nuevo código." in retried.content.decode()
        client.post("/ingresar/verificacion/", {"answer": last_code()})
    assert signed_in(client)


def test_the_retry_while_still_failing_says_so_again(
    client, member, password, sms_gateway, mail_relay_down
):
    sms_gateway.fail()
    to_the_code_step(client, password)
    with time_machine.travel(timezone.now() + timedelta(seconds=31)):
        retried = client.post("/ingresar/verificacion/reenviar/", follow=True)
    assert retried.status_code == 200
    assert "No pudimos enviar tu código de seguridad" in retried.content.decode()


def test_codes_that_reached_nobody_do_not_use_up_the_budget(
    client, member, password, sms_gateway, mail_relay_down
):
    sms_gateway.fail()
    for _ in range(6):  # more than the five sign-in codes a quarter hour
        response = to_the_code_step(client, password)
        assert response.status_code == 200
        assert "No pudimos enviar tu código" in response.content.decode()
        client.post("/ingresar/cancelar/")
    sms_gateway.recover()
    mail_relay_down.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    response = to_the_code_step(client, password)
    assert "Enviamos demasiados códigos" not in response.content.decode()
    client.post("/ingresar/verificacion/", {"answer": last_code()})
    assert signed_in(client)


def test_a_hanging_gateway_is_given_up_after_the_timeout(
    client, member, password, sms_gateway, settings
):
    assert settings.SMS_GATEWAY_TIMEOUT <= 3
    sms_gateway.hang()
    client.post("/ingresar/", {"username": "mariaperez"})
    client.post("/ingresar/clave/", {"password": password})
    started = time.monotonic()
    response = client.post(DEVICE_STEP, {"save": "no"})
    waited = time.monotonic() - started
    assert settings.SMS_GATEWAY_TIMEOUT <= waited < settings.SMS_GATEWAY_TIMEOUT + 2
    assert response.status_code == 302
    assert "código de seguridad es" in mail.outbox[-1].body  # the e-mail copy went out
    client.post("/ingresar/verificacion/", {"answer": last_code()})
    assert signed_in(client)


def test_staff_see_gateway_failures_in_the_log_and_healthz(
    client, member, password, sms_gateway, caplog
):
    assert client.get("/healthz").json()["sms_gateway"]["status"] == "unknown"
    sms_gateway.fail()
    with caplog.at_level(logging.INFO):
        to_the_code_step(client, password)
    [failure] = [r for r in caplog.records if r.getMessage() == "notification not delivered"]
    assert (failure.levelname, failure.channel, failure.status) == ("WARNING", "sms", 500)
    assert failure.error == "HTTPError" and failure.consecutive_failures == 1
    assert last_code() not in caplog.text and "código de seguridad es" not in caplog.text

    health = client.get("/healthz")
    assert health.status_code == 200  # a degraded channel does not fail the check
    state = health.json()["sms_gateway"]
    assert state["status"] == "failing" and state["consecutive_failures"] == 1
    assert state["last_failure"] and state["last_success"] is None
    assert health.json()["email"]["status"] == "ok"

    sms_gateway.recover()
    client.post("/ingresar/cancelar/")
    to_the_code_step(client, password)
    state = client.get("/healthz").json()["sms_gateway"]
    assert state["status"] == "ok" and state["consecutive_failures"] == 0
    assert state["last_success"] > state["last_failure"]

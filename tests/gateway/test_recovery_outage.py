"""Recovering credentials and enrolling while no channel delivers: the member is told
and retries; an unknown identification's decoy step says the same, so an outage does not
reveal who is a member."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.models import User
from tests.auth import last_code

UNDELIVERED = "No pudimos enviar tu código de seguridad"


@pytest.fixture
def locked_member(member):
    User.objects.filter(pk=member.user.pk).update(locked_at=timezone.now(), failed_login_count=3)
    return member


def strip(html: str) -> str:
    return re.sub(
        r'value="[^"]+"|nonce="[^"]+"|"X-CSRFToken": "[^"]+"|data-countdown="\d+"'
        r"|data-countdown-value>[^<]*",
        "",
        html,
    )


def test_known_and_unknown_data_look_alike_during_an_outage(
    client, member, sms_gateway, mail_relay_down
):
    sms_gateway.fail()
    pages = []
    for id_number, username in ((member.id_number, "mariaperez"), ("1909538934", "nadie12345")):
        response = client.post(
            "/ingresar/desbloquear/", {"id_number": id_number, "username": username}, follow=True
        )
        assert response.status_code == 200
        assert UNDELIVERED in response.content.decode()
        with time_machine.travel(timezone.now() + timedelta(seconds=31)):
            retried = client.post("/ingresar/recuperar/reenviar/", follow=True)
            too_soon = client.post("/ingresar/recuperar/reenviar/", follow=True)
        pages.append(
            (
                strip(response.content.decode()),
                strip(retried.content.decode()),
                "Espera unos segundos" in too_soon.content.decode(),
            )
        )
    assert pages[0] == pages[1]


def test_unlock_goes_through_once_the_channels_recover(
    client, locked_member, sms_gateway, mail_relay_down
):
    sms_gateway.fail()
    client.post(
        "/ingresar/desbloquear/", {"id_number": locked_member.id_number, "username": "mariaperez"}
    )
    sms_gateway.recover()
    with time_machine.travel(timezone.now() + timedelta(seconds=31)):
        client.post("/ingresar/recuperar/reenviar/")
        done = client.post(
            "/ingresar/recuperar/verificacion/", {"answer": sms_gateway.last_code()}, follow=True
        )
    assert "Tu usuario fue desbloqueado" in done.content.decode()


def test_enrollment_says_so_and_resends(client, new_member, sms_gateway, mail_relay_down):
    sms_gateway.fail()
    client.post("/registro/", {"id_number": new_member.id_number})
    client.post("/registro/documento/0/", {"accept": "on"})
    step = client.post("/registro/documento/1/", {"accept": "on"}, follow=True)
    assert step.status_code == 200 and UNDELIVERED in step.content.decode()
    sms_gateway.recover()
    mail_relay_down.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with time_machine.travel(timezone.now() + timedelta(seconds=31)):
        client.post("/registro/verificacion/reenviar/")
        done = client.post("/registro/verificacion/", {"answer": last_code()})
    assert "te enviamos tu usuario y contraseña temporal" in done.content.decode()

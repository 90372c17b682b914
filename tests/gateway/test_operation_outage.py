"""A transfer's confirmation dialog and a profile change while the SMS gateway fails:
the code still goes by e-mail; when it reaches nobody the dialog says so and «Reenviar»
recovers; the notices after a change never turn into a 500."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from ledger.books import books_open
from products.catalog import product_types_load
from tests.auth import last_code, op_id
from tests.transfers.conftest import open_funded
from transfers.catalog import transfer_catalog_load
from transfers.models import Transfer

URL = "/transferencias/mis-cuentas/"
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def accounts(member):
    books_open(currency="USD")
    product_types_load(cooperative_slug="cooprogreso")
    transfer_catalog_load(cooperative_slug="cooprogreso")
    return open_funded(member), open_funded(member, code="CER", amount="0")


def review(client, accounts):
    savings, certificates = accounts
    data = {
        "step": "form",
        "origen": savings.public_id,
        "destino": certificates.public_id,
        "monto": "25.00",
    }
    return client.post(URL, data, **HTMX)


def test_a_failing_gateway_still_confirms_a_transfer_by_email(member_client, accounts, sms_gateway):
    sms_gateway.fail()
    step = review(member_client, accounts)
    assert step.status_code == 200
    html = step.content.decode()
    assert "Confirmar transferencia" in html and "tu correo" in html and "tu celular" not in html
    done = member_client.post(
        URL, {"step": "confirm", "op": op_id(step), "answer": last_code()}, **HTMX
    )
    assert "¡Transferencia exitosa!" in done.content.decode()


def test_a_code_that_reached_nobody_is_said_in_the_dialog_and_resent(
    member_client, accounts, sms_gateway, mail_relay_down
):
    sms_gateway.fail()
    step = review(member_client, accounts)
    assert step.status_code == 200
    html = step.content.decode()
    assert "<html" not in html  # still the dialog
    assert "No pudimos enviar tu código de seguridad" in html and "Reenviar" in html
    assert "Confirmar transferencia" in html  # the review stays on screen
    op = op_id(step)

    sms_gateway.recover()
    mail_relay_down.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with time_machine.travel(timezone.now() + timedelta(seconds=31)):
        resent = member_client.post(URL, {"step": "resend", "op": op}, **HTMX)
        assert "Te enviamos un nuevo código." in resent.content.decode()
        done = member_client.post(URL, {"step": "confirm", "op": op, "answer": last_code()}, **HTMX)
    assert "¡Transferencia exitosa!" in done.content.decode()
    assert Transfer.objects.get().amount == Decimal("25.00")


def test_a_resend_that_reaches_nobody_keeps_the_code_already_sent(
    member_client, accounts, sms_gateway, mail_relay_down
):
    mail_relay_down.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    step = review(member_client, accounts)
    code, op = last_code(), op_id(step)
    sms_gateway.fail()
    mail_relay_down.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    with time_machine.travel(timezone.now() + timedelta(seconds=31)):
        resent = member_client.post(URL, {"step": "resend", "op": op}, **HTMX)
        assert resent.status_code == 200
        assert "No pudimos enviar tu código de seguridad" in resent.content.decode()
        done = member_client.post(URL, {"step": "confirm", "op": op, "answer": code}, **HTMX)
    assert "¡Transferencia exitosa!" in done.content.decode()


def test_a_security_notice_during_an_outage_is_no_500(member_client, member, sms_gateway):
    sms_gateway.fail()
    step = member_client.post("/perfil/usuario/", {"step": "form", "username": "mariafer26"})
    done = member_client.post(
        "/perfil/usuario/", {"step": "confirm", "op": op_id(step), "answer": last_code()}
    )
    assert done.status_code == 200
    assert "Tu nuevo usuario es mariafer26." in done.content.decode()
    assert "cambio en tu seguridad" in mail.outbox[-1].subject

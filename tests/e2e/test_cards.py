"""Tarjetas in a real browser, at phone and desktop widths: recover a credit card's PIN
and read the e-mail, change it, defer a purchase and see the deferred balance, then pay
the card's minimum with the code from the outbox."""

import re
from decimal import Decimal

import pytest
from django.core import mail

from cards.models import Card
from cards.services import card_purchase
from tests.auth import last_code
from tests.cards.conftest import *  # noqa: F403 - the cards fixtures
from tests.cards.conftest import MARIA_CREDIT_PAN, issue_credit
from tests.e2e.conftest import screenshot
from tests.e2e.test_profile import sign_in


@pytest.fixture
def card(member, savings):
    card = issue_credit(member, pan=MARIA_CREDIT_PAN)
    card_purchase(
        card=card, amount=Decimal("13.24"), description="SANA SANA N59 ANGEL LUDENA", key="p1"
    )
    card_purchase(card=card, amount=Decimal("60.00"), description="SUPERMAXI", key="p2")
    return card


def with_code(page, heading):
    field = page.get_by_label("Código de seguridad")
    field.wait_for()  # the code is sent by then
    field.fill(last_code())
    page.get_by_role("button", name="Validar").click()
    page.get_by_role("heading", name=heading).wait_for()


@pytest.mark.parametrize("width", [360, 1280])
def test_recover_and_change_a_pin_defer_a_purchase_and_pay_the_minimum(
    open_page, member, password, card, width
):
    page = open_page(width=width)
    sign_in(page, password)
    page.goto(f"{page.base}/tarjetas/{card.public_id}/")
    page.get_by_text("513744XXXXXX0395").first.wait_for()

    page.get_by_role("link", name="Recuperar clave").click()
    page.get_by_role("button", name="Continuar").click()
    with_code(page, "Clave temporal enviada")
    body = mail.outbox[-1].body
    assert "Se ha generado su clave temporal" in body and "513744XXXXXX0395" in body
    temporary = re.search(r"CLAVE TEMPORAL:\s*(\d{4})", body).group(1)
    assert MARIA_CREDIT_PAN not in body

    page.goto(f"{page.base}/tarjetas/{card.public_id}/cambiar-clave/")
    page.get_by_label("Clave anterior").fill(temporary)
    page.get_by_label("Nueva clave", exact=True).fill("2580")
    page.get_by_label("Confirmación nueva clave").fill("2580")
    page.get_by_role("button", name="Continuar").click()
    with_code(page, "Clave actualizada")

    page.goto(f"{page.base}/tarjetas/{card.public_id}/diferir/")
    page.get_by_label("SANA SANA N59 ANGEL LUDENA").check()
    page.get_by_label("3 Meses").check()
    page.get_by_role("button", name="Simular").click()
    page.get_by_text("$4.53").first.wait_for()  # the manual's installment
    screenshot(page, f"card-deferral-{width}")
    page.get_by_role("button", name="Confirmar").click()
    with_code(page, "¡Diferido exitoso!")
    card.refresh_from_db()
    assert Card.objects.get(pk=card.pk).deferred_account.balance == Decimal("13.24")

    page.goto(f"{page.base}/pago-tarjetas/?tarjeta={card.public_id}")
    page.get_by_label("Total").check()
    page.get_by_role("button", name="Pagar").click()
    page.get_by_role("heading", name="Confirmar pago").wait_for()
    with_code(page, "¡Pago exitoso!")
    screenshot(page, f"card-payment-{width}")
    assert Card.objects.get(pk=card.pk).revolving_account.balance == Decimal("0.00")
    assert page.console_errors == []

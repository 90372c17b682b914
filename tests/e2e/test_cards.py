"""Tarjetas in a real browser, at phone and desktop widths, as a new member would:

- change a debit card's PIN;
- recover a credit card's PIN and read the e-mail, change it, defer a purchase and see the
  deferred balance, let the beat close the next statement and see it bill the first
  installment, then pay the card's minimum with the code from the outbox;
- register another bank's card, pay it, and see the payment settled once the beat's
  settlement task ran.

The clock is a business morning (``time_machine``, ticking): before the 15:00 cut-off, on
a day that is neither a weekend nor a holiday, so the interbank payment is processed the
same day and its settlement does not depend on when the suite runs."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from cards.models import Card, CardPayment
from cards.processor import SimulatedCardProcessor
from cards.services import card_purchase
from cards.tasks import close_card_statements
from ledger.models import Tariff
from tests.auth import last_code
from tests.cards.conftest import *  # noqa: F403 - the cards fixtures
from tests.cards.conftest import MARIA_CREDIT_PAN, business_morning, issue_credit, refreshed
from tests.documents import pdf_text
from tests.e2e.conftest import screenshot
from tests.e2e.test_profile import sign_in
from transfers.catalog import transfer_catalog_load
from transfers.tasks import settle_interbank_transfers

D = Decimal
OTHER_PAN = "4111111111111111"  # Ana's VISA at Banco Pichincha (a test number)
OTHER_MASKED = "411111XXXXXX1111"


def with_code(page, heading):
    field = page.get_by_label("Código de seguridad")
    field.wait_for()  # the code is sent by then
    field.fill(last_code())
    page.get_by_role("button", name="Validar").click()
    page.get_by_role("heading", name=heading).wait_for()


def figure(page, label: str) -> str:
    """What the card page's figure ``label`` shows."""
    return (
        page.locator("dl.review div")
        .filter(has=page.locator("dt", has_text=re.compile(f"^{label}$")))
        .locator("dd")
        .inner_text()
    )


@pytest.mark.parametrize("width", [360, 1280])
def test_change_a_debit_cards_pin(open_page, member, password, debit_card, width):
    SimulatedCardProcessor().pin_issue(card=debit_card, pin="4829")  # delivered with the card
    page = open_page(width=width)
    sign_in(page, password)
    page.goto(f"{page.base}/tarjetas/?ver=debito")
    page.get_by_text("550975XXXXXX7023").first.wait_for()
    page.goto(f"{page.base}/tarjetas/{debit_card.public_id}/")
    page.get_by_role("link", name="Cambiar clave").click()
    page.get_by_text("Crea una nueva clave de 4 dígitos para tu tarjeta de débito").wait_for()
    page.get_by_label("Clave anterior").fill("4829")
    page.get_by_label("Nueva clave", exact=True).fill("1234")  # consecutive: refused
    page.get_by_label("Confirmación nueva clave").fill("1234")
    page.get_by_role("button", name="Continuar").click()
    page.get_by_text("Evita utilizar dígitos consecutivos.").wait_for()  # the error, not a tip
    assert page.get_by_label("Código de seguridad").count() == 0  # no code for a weak PIN
    page.get_by_label("Clave anterior").fill("4829")
    page.get_by_label("Nueva clave", exact=True).fill("7316")
    page.get_by_label("Confirmación nueva clave").fill("7316")
    page.get_by_role("button", name="Continuar").click()
    with_code(page, "Clave actualizada")
    screenshot(page, f"card-debit-pin-{width}")
    SimulatedCardProcessor().pin_verify(card=debit_card, pin="7316")  # the processor has it
    assert any("550975XXXXXX7023 fue cambiada" in m.body for m in mail.outbox)
    assert page.console_errors == []


@pytest.mark.parametrize("width", [360, 1280])
def test_recover_and_change_a_pin_defer_a_purchase_see_the_next_statement_and_pay_the_minimum(
    open_page, member, password, savings, width
):
    start = business_morning()
    with time_machine.travel(start) as clock:
        # Issued today, closing tomorrow: the beat closes its first statement tomorrow night.
        card = issue_credit(member, pan=MARIA_CREDIT_PAN)
        Card.objects.filter(pk=card.pk).update(statement_day=(start + timedelta(days=1)).day)
        card_purchase(
            card=card, amount=D("13.24"), description="SANA SANA N59 ANGEL LUDENA", key="p1"
        )
        card_purchase(card=card, amount=D("60.00"), description="SUPERMAXI", key="p2")

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
        page.goto(f"{page.base}/tarjetas/{card.public_id}/")
        assert figure(page, "Utilizado diferido") == "$13.24"
        assert figure(page, "Utilizado rotativo") == "$60.00"
        page.get_by_text("Tu primer extracto estará disponible").wait_for()

        # Tomorrow night the beat closes the statement: it bills the first installment
        # (capital $4.36 + interest $0.17) and adds it whole to the minimum.
        clock.move_to(start.replace(hour=23, minute=45) + timedelta(days=1))
        assert close_card_statements.apply().get()["closed"] == 1
        clock.move_to(start.replace(hour=9) + timedelta(days=2))
        sign_in(page, password)  # a new day, a new session
        page.goto(f"{page.base}/tarjetas/{card.public_id}/")
        page.get_by_role("heading", name="Extracto de tarjeta").wait_for()
        assert figure(page, "Utilizado diferido") == "$8.88"
        assert figure(page, "Utilizado rotativo") == "$64.53"
        assert figure(page, "Pago mínimo") == "$10.53"  # 10 % of $60.00 + the $4.53 installment
        screenshot(page, f"card-statement-{width}")
        with page.expect_download() as download:
            page.get_by_role(
                "link", name=re.compile("Descargar PDF del extracto con corte")
            ).click()
        text = " ".join(pdf_text(download.value.path()).split())
        assert "CUOTA 1/3 DIFERIDO" in text and "$10.53" in text
        assert MARIA_CREDIT_PAN not in text

        page.get_by_role("link", name="Pagar tarjeta").click()
        page.get_by_label("Cuenta de origen").select_option(str(savings.public_id))
        page.get_by_label("Pago mínimo").check()
        page.get_by_role("button", name="Pagar").click()
        page.get_by_role("heading", name="Confirmar pago").wait_for()
        assert page.get_by_text("$10.53").first.is_visible()
        with_code(page, "¡Pago exitoso!")
        screenshot(page, f"card-payment-{width}")
    card = refreshed(card)
    assert card.revolving_used == D("54.00") and card.deferred_used == D("8.88")
    assert CardPayment.objects.get().amount == D("10.53")
    assert page.console_errors == []


@pytest.fixture
def interbank(catalog):
    """The network's institutions and the dated tariff "PAGO TARJETAS SPI"."""
    transfer_catalog_load(cooperative_slug="cooprogreso")
    Tariff.objects.create(
        code=Tariff.Code.CARD_PAYMENT_INTERBANK,
        valid_from=timezone.localdate() - timedelta(days=365),
        commission=D("0.36"),
        iva_rate=D("0.15"),
        commission_description="COSTO TRANSFERENCIA / PAGO TARJETAS SPI",
        iva_description="IVA TRANSFERENCIA / PAGO TARJETAS SPI",
    )


@pytest.mark.parametrize("width", [360, 1280])
def test_register_another_banks_card_pay_it_and_see_it_settled(
    open_page, member, password, savings, interbank, width
):
    with time_machine.travel(business_morning()):
        page = open_page(width=width)
        sign_in(page, password)
        page.goto(f"{page.base}/pago-tarjetas/")
        page.get_by_role("link", name="Agregar nueva tarjeta").click()
        page.get_by_label("Entidad financiera").select_option(label="BANCO PICHINCHA")
        page.get_by_label("Número de tarjeta").fill("4111 1111 1111 1112")  # fails Luhn
        page.get_by_label("Tipo de identificación").select_option(label="Cédula")
        page.get_by_label("Identificación del beneficiario").fill("1710034065")
        page.get_by_label("Nombre del beneficiario").fill("Ana Lucía Torres")
        page.get_by_label("Alias (Opcional)").fill("Ana")
        page.get_by_label("Correo electrónico (Opcional)").fill("ana@example.com")
        page.get_by_role("button", name="Guardar tarjeta").click()
        page.get_by_text("El número de tarjeta no es válido; revisa los dígitos.").wait_for()
        assert page.get_by_label("Número de tarjeta").input_value() == ""  # never echoed
        page.get_by_label("Número de tarjeta").fill("4111 1111 1111 1111")
        screenshot(page, f"card-payee-add-{width}")
        page.get_by_role("button", name="Guardar tarjeta").click()
        page.get_by_role("heading", name="Confirmar tarjeta").wait_for()
        assert page.get_by_text(OTHER_MASKED).first.is_visible()
        with_code(page, "Tarjeta registrada exitosamente.")

        page.get_by_role("link", name="Pagar esta tarjeta").click()
        page.get_by_label("Cuenta de origen").select_option(str(savings.public_id))
        page.get_by_text("Nota importante").first.wait_for()  # the 15:00 / holiday note
        page.get_by_label("Ingresa el monto a pagar").fill("20.00")
        page.get_by_label("Motivo (Opcional)").fill("Pago compras")
        page.get_by_role("button", name="Pagar").click()
        page.get_by_role("heading", name="Confirmar pago").wait_for()
        for text in ("$20.00", "$0.36", "$0.05", "$20.41", "BANCO PICHINCHA", OTHER_MASKED):
            assert page.get_by_text(text).first.is_visible(), text
        screenshot(page, f"card-payment-interbank-review-{width}")
        with_code(page, "¡Pago exitoso!")
        page.get_by_text("Por enviar").first.wait_for()
        reference = page.get_by_text("Comprobante N.º").first.inner_text().split()[-1]
        payment = CardPayment.objects.get()
        assert payment.status == CardPayment.Status.PENDING
        assert payment.value_date == timezone.localdate()  # before 15:00 on a business day

        # The beat's settlement task, a few minutes later: sent and accepted.
        assert settle_interbank_transfers.apply().get() == {"prepared": 1, "sent": 1, "closed": 1}
        payment.refresh_from_db()
        assert payment.status == CardPayment.Status.SETTLED

        page.goto(f"{page.base}/cuentas/{savings.public_id}/")
        page.get_by_role("row").filter(
            has_text=f"PAGO TARJETA BANCO PICHINCHA {OTHER_MASKED}"
        ).get_by_role("link", name=f"Ver comprobante {reference}").click()
        page.get_by_text("Acreditado").first.wait_for()
        assert page.get_by_text(OTHER_MASKED).first.is_visible()
        screenshot(page, f"card-payment-interbank-settled-{width}")
        html = page.content()
    assert OTHER_PAN not in html
    assert [m.body for m in mail.outbox if OTHER_PAN in m.body] == []
    assert page.console_errors == []

"""Pago de Servicios in a real browser, at phone and desktop widths: pay one of two water
bills with the code from the outbox and save the service, pay it again from "Pagos
frecuentes", top up a phone, schedule a payment and let the beat pay it, then find the
four payments in "Historial de pagos" and open a receipt."""

import pytest
from django.utils import timezone

from payments.catalog import payment_catalog_load
from payments.models import Biller, BillPayment, PaymentSchedule
from payments.tasks import run_schedule
from tests.auth import last_code
from tests.e2e.conftest import screenshot
from tests.e2e.test_profile import sign_in
from tests.transfers.conftest import *  # noqa: F403 - the transfer fixtures
from tests.transfers.conftest import open_funded

TWO_BILLS = "00033090"  # the simulator's two bills: $7.13 and $57.78
ONE_BILL = "00003995"  # one bill of $7.13


@pytest.fixture
def catalog(transfer_catalog):
    payment_catalog_load(cooperative_slug="cooprogreso")


def confirm_with_code(page, done="¡Pago exitoso!"):
    page.get_by_role("heading", name="Confirmar pago").wait_for()
    page.get_by_label("Código de seguridad").fill(last_code())
    page.get_by_role("button", name="Validar").click()
    page.get_by_role("heading", name=done).wait_for()


@pytest.mark.parametrize("width", [360, 1280])
def test_pay_a_bill_save_it_pay_again_top_up_and_find_them(
    open_page, member, password, catalog, width
):
    account = open_funded(member)
    page = open_page(width=width)
    sign_in(page, password)
    if width < 700:
        page.get_by_role("button", name="Menú").click()
    page.get_by_role("link", name="Pago de Servicios").first.click()
    page.get_by_role("link", name="AGUA", exact=True).click()
    page.get_by_role("link", name="Pagar AGUA EPMAPA PEDERNALES").click()
    page.get_by_label("Cuenta de origen").select_option(str(account.public_id))
    page.locator("#id_referencia").fill(TWO_BILLS)
    page.get_by_role("button", name="Consultar").click()
    boxes = page.locator("input[name=recibos]")
    boxes.nth(1).wait_for()
    assert boxes.count() == 2
    boxes.nth(0).uncheck()
    boxes.nth(1).check()  # the newer bill only
    page.get_by_label("Guardar servicio").check()
    page.get_by_label("Alias").fill("Agua de la casa")
    screenshot(page, f"payment-bills-{width}")
    page.get_by_role("button", name="Pagar").click()
    confirm_with_code(page)
    screenshot(page, f"payment-done-{width}")
    assert page.get_by_text("$57.78").first.is_visible()

    page.goto(f"{page.base}/pagos/frecuentes/")
    page.get_by_role("link", name="Pagar Agua de la casa").click()
    page.locator("input[name=recibos]").first.wait_for()  # consulted at once
    page.get_by_role("button", name="Pagar").click()
    confirm_with_code(page)

    page.goto(f"{page.base}/pagos/?q=recargas cnt")
    page.get_by_role("link", name="Pagar RECARGAS CNT PAQUETE").click()
    page.locator("#id_referencia").fill("0991234567")
    page.get_by_label("Monto").fill("5")
    page.get_by_role("button", name="Pagar").click()
    confirm_with_code(page)

    assert BillPayment.objects.filter(state=BillPayment.State.PAID).count() == 3

    water = Biller.objects.get(name="AGUA EPMAPA PEDERNALES", category__cooperative__is_active=True)
    page.goto(f"{page.base}/pagos/programados/nuevo/?servicio={water.public_id}")
    page.get_by_label("Cuenta de débito").select_option(str(account.public_id))
    page.locator("#id_referencia").fill(ONE_BILL)
    page.get_by_label("Monto máximo").fill("20")
    page.get_by_label("Fecha de inicio").fill(timezone.localdate().isoformat())
    page.get_by_label("Fecha indefinida").check()
    page.get_by_role("button", name="Programar pago").click()
    page.get_by_label("Acepto los términos y condiciones").check()
    field = page.get_by_label("Código de seguridad")
    field.wait_for()
    field.fill(last_code())
    page.get_by_role("button", name="Validar").click()
    page.get_by_role("heading", name="¡Pago programado con éxito!").wait_for()
    # The beat's run on a business day queues this task for the schedule.
    run_schedule.delay(PaymentSchedule.objects.get(member=member).pk)
    assert BillPayment.objects.filter(state=BillPayment.State.PAID).count() == 4

    page.goto(f"{page.base}/pagos/historial/")
    services = page.locator("td[data-label=Servicio]")
    services.filter(has_text="RECARGAS CNT PAQUETE").wait_for()
    screenshot(page, f"payment-history-{width}")
    assert services.filter(has_text="AGUA EPMAPA PEDERNALES").count() == 3
    assert page.get_by_text("Programado").first.is_visible()
    page.get_by_role("link", name="Comprobante").first.click()
    page.get_by_text("Comprobante N.º").first.wait_for()
    assert page.console_errors == []

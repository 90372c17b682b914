"""Error pages in a real browser: a failure inside a dialog shows in the dialog."""

from tests.e2e.conftest import screenshot
from tests.e2e.test_profile import sign_in
from tests.transfers.conftest import *  # noqa: F403 - the transfer fixtures


def test_an_error_inside_a_dialog_shows_there_with_its_reference(
    open_page, member, password, savings, gabriel
):
    page = open_page(width=390)
    sign_in(page, password)
    page.goto(f"{page.base}/transferencias/cooprogreso/")
    page.get_by_label("Cuenta de destino").select_option(str(gabriel.public_id))
    page.get_by_label("Monto a transferir").fill("5")
    page.get_by_role("button", name="Continuar").click()
    page.get_by_role("heading", name="Confirmar transferencia").wait_for()
    # The operation is gone from the server (another tab cancelled it): a 404.
    page.eval_on_selector_all(
        "[data-flow] input[name=op]", "els => els.forEach(e => e.value = 'f'.repeat(32))"
    )
    page.get_by_label("Código de seguridad").fill("123456")
    page.get_by_role("button", name="Validar").click()

    card = page.locator("[data-flow] [data-error-page]")
    card.get_by_role("heading", name="No encontramos esta página").wait_for()
    assert card.get_by_text("Código de referencia").is_visible()
    assert page.locator("[data-flow] header, [data-flow] nav").count() == 0  # not a page
    assert page.get_by_role("heading", name="Transferencias Cooprogreso").first.is_visible()
    screenshot(page, "error-in-dialog-390")
    card.get_by_role("link", name="Volver a la página").click()
    page.get_by_label("Monto a transferir").wait_for()  # the dialog starts again


def test_a_missing_page_is_the_spanish_404_in_the_shell(open_page, member, password):
    page = open_page()
    sign_in(page, password)
    response = page.goto(f"{page.base}/no-existe/")
    assert response.status == 404
    page.get_by_role("heading", name="No encontramos esta página").wait_for()
    assert page.get_by_role("navigation", name="Menú principal").is_visible()
    assert response.headers["x-request-id"] in page.get_by_text("Código de referencia").inner_text()
    screenshot(page, "error-404-1280")
    assert page.console_errors == [  # the page's own status, nothing else
        "Failed to load resource: the server responded with a status of 404 (Not Found)"
    ]


def test_a_failure_is_the_spanish_500_page_even_without_the_shell(open_page, db, monkeypatch):
    def fail():
        raise RuntimeError("fallo inesperado")

    monkeypatch.setattr("cooprogreso.views.health_report", fail)
    page = open_page(width=390, theme="dark")
    response = page.goto(f"{page.base}/healthz")
    assert response.status == 500
    page.get_by_role("heading", name="Algo salió mal").wait_for()
    assert response.headers["x-request-id"] in page.get_by_text("Código de referencia").inner_text()
    assert "fallo inesperado" not in page.content()
    screenshot(page, "error-500-390-dark")

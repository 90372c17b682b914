"""Error pages in production (DEBUG off): Spanish, in the portal's shell, with the request
id to quote to the call centre; for an HTMX request, a card the size of a dialog."""

from unittest import mock

import pytest
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import Client

REQUEST_ID = "soporte-20261201-0001"
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_CURRENT_URL": "http://testserver/transferencias/"}


@pytest.fixture
def browser(db):
    """An anonymous browser that sees the 500 page instead of the test's exception."""
    return Client(raise_request_exception=False, HTTP_X_REQUEST_ID=REQUEST_ID)


@pytest.fixture
def too_many(monkeypatch):
    monkeypatch.setattr(
        "core.ratelimit.hits_over", lambda limits, *args, **kwargs: [n for n, _ in limits]
    )


@pytest.fixture
def failing_view(monkeypatch):
    def boom():
        raise RuntimeError("fallo inesperado")

    monkeypatch.setattr("cooprogreso.views.health_report", boom)


def request_for(status, browser, staff_user=None):
    if status == 400:
        return lambda **extra: browser.get("/beneficiarios/?q=%00", **extra)
    if status == 403:
        browser.force_login(staff_user)
        return lambda **extra: browser.get("/admin/ledger/posting/add/", **extra)
    if status == 404:
        return lambda **extra: browser.get("/no-existe/", **extra)
    if status == 429:
        return lambda **extra: browser.post("/ingresar/", {"username": "mariaperez"}, **extra)
    return lambda **extra: browser.get("/healthz", **extra)


PAGES = {
    400: "Solicitud no válida",
    403: "Acceso no permitido",
    404: "No encontramos esta página",
    429: "Demasiados intentos",
    500: "Algo salió mal",
}


@pytest.mark.parametrize("status", PAGES)
def test_each_error_is_a_spanish_page_with_the_request_id(
    status, browser, staff_user, too_many, failing_view, cooperative
):
    response = request_for(status, browser, staff_user)()
    html = response.content.decode()
    assert response.status_code == status
    assert response["X-Request-ID"] == REQUEST_ID
    assert '<html lang="es"' in html
    assert f'<h1 id="error-title">{PAGES[status]}</h1>' in html
    assert f"Código de referencia: <code>{REQUEST_ID}</code>" in html
    assert cooperative.call_center_phone in html
    for english in ("Not Found", "Server Error", "Bad Request", "Forbidden", "Traceback"):
        assert english not in html
    assert "fallo inesperado" not in html


@pytest.mark.parametrize("status", PAGES)
def test_an_htmx_request_gets_a_dialog_sized_error(
    status, browser, staff_user, too_many, failing_view, cooperative
):
    response = request_for(status, browser, staff_user)(**HTMX)
    html = response.content.decode()
    assert response.status_code == status
    assert html.lstrip().startswith('<div class="error-card"')
    assert "<html" not in html and "<header" not in html and "<nav" not in html
    assert "data-error-page" in html  # portal.js swaps it into the dialog that asked
    assert f'<h2 id="error-title">{PAGES[status]}</h2>' in html
    assert f"<code>{REQUEST_ID}</code>" in html
    assert 'href="/transferencias/"' in html  # "Volver a la página" reloads the page
    assert "HX-Request" in response["Vary"] or status == 429


def test_a_signed_in_member_keeps_the_menu_on_an_error_page(browser, member):
    browser.force_login(member.user)
    html = browser.get("/cuentas/no-es-un-id/").content.decode()
    assert "No encontramos esta página" in html
    assert 'aria-label="Menú principal"' in html


def test_a_failed_csrf_check_is_the_spanish_403_page(db):
    browser = Client(enforce_csrf_checks=True, HTTP_X_REQUEST_ID=REQUEST_ID)
    response = browser.post("/ingresar/", {"username": "mariaperez"})
    html = response.content.decode()
    assert response.status_code == 403
    assert "La página caducó" in html
    assert f"<code>{REQUEST_ID}</code>" in html
    assert "CSRF cookie" not in html and "Forbidden" not in html


def test_the_500_page_shows_when_a_context_processor_fails(browser):
    with mock.patch(
        "cooprogreso.context_processors.cooperative_current", side_effect=RuntimeError("cache")
    ):
        response = browser.get("/no-existe/")
    html = response.content.decode()
    assert response.status_code == 500
    assert "Algo salió mal" in html
    assert f"<code>{REQUEST_ID}</code>" in html


def test_the_500_page_shows_when_the_database_is_down(browser):
    down = OperationalError("the database is down")
    with mock.patch.object(BaseDatabaseWrapper, "cursor", side_effect=down):
        response = browser.get("/ingresar/")
    html = response.content.decode()
    assert response.status_code == 500
    assert "Algo salió mal" in html
    assert f"<code>{REQUEST_ID}</code>" in html
    assert "comunícate con tu cooperativa y menciona este código" in html  # no phone to read
    assert "the database is down" not in html


def test_the_error_pages_are_in_spanish_without_a_request_id_header(browser):
    response = Client().get("/no-existe/")
    assert response.status_code == 404
    assert f"<code>{response['X-Request-ID']}</code>" in response.content.decode()


def test_the_429_page_names_the_limit_when_a_view_says_which(rf, cooperative):
    from django.template.loader import render_to_string

    request = rf.get("/ingresar/verificacion/")
    request.request_id = REQUEST_ID
    message = "Superaste el número de intentos permitidos. Inténtalo en unos minutos."
    html = render_to_string("429.html", {"message": message}, request=request)
    assert "Demasiados intentos" in html and message in html
    assert f"<code>{REQUEST_ID}</code>" in html

"""The confirmation dialog in a real browser: HTMX swaps each step in place."""

from tests.auth import last_code
from tests.e2e.conftest import screenshot


def sign_in(page, password):
    page.goto(f"{page.base}/ingresar/")
    page.get_by_label("Usuario").fill("mariaperez")
    page.get_by_role("button", name="Continuar").click()
    page.get_by_label("Contraseña", exact=True).fill(password)
    page.get_by_role("button", name="Iniciar Sesión").click()
    page.get_by_label("No").check()
    page.get_by_role("button", name="Continuar").click()
    page.wait_for_url("**/ingresar/verificacion/")
    page.get_by_label("Código de seguridad").fill(last_code())
    page.get_by_role("button", name="Validar").click()
    page.wait_for_url("**/posicion-consolidada/")


def test_personalizing_the_username_in_the_dialog(open_page, member, password):
    page = open_page(width=360)
    sign_in(page, password)
    page.goto(f"{page.base}/perfil/")
    page.get_by_role("link", name="Personalizar usuario").click()
    page.get_by_label("Nuevo nombre de usuario").fill("mariafer26")
    requests = []
    page.on("request", lambda r: requests.append(r.headers.get("hx-request")))
    page.get_by_role("button", name="Aceptar").click()
    page.get_by_text("Verifica que todos los datos estén correctos").wait_for()
    assert page.url.endswith("/perfil/usuario/")
    assert "true" in requests  # HTMX swapped the dialog, no full page load
    screenshot(page, "profile-username-confirm-360")
    page.get_by_label("Código de seguridad").wait_for()
    page.get_by_label("Código de seguridad").fill(last_code())
    page.get_by_role("button", name="Validar").click()
    page.get_by_text("Tu nuevo usuario es mariafer26.").wait_for()
    screenshot(page, "profile-username-done-360")
    assert page.console_errors == []

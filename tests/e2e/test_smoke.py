import pytest

from tests.auth import last_code
from tests.e2e.conftest import screenshot


@pytest.mark.parametrize("width", [360, 1280])
@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_login_page_loads_at_phone_and_desktop_widths_in_both_themes(open_page, width, theme):
    page = open_page(width=width, theme=theme)
    page.goto(f"{page.base}/ingresar/")
    assert page.locator("html").get_attribute("lang") == "es"
    assert page.get_by_role("heading", name="Cooprogreso en Línea").is_visible()
    assert page.get_by_label("Usuario").is_visible()
    assert page.get_by_role("button", name="Continuar").is_visible()
    # no horizontal scrolling on a 360 px phone
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == ("rgb(15, 21, 19)" if theme == "dark" else "rgb(244, 246, 245)")
    assert page.console_errors == []
    screenshot(page, f"login-{width}-{theme}")


def test_the_theme_toggle_is_remembered(open_page):
    page = open_page(theme="light")
    page.goto(f"{page.base}/ingresar/")
    page.get_by_role("button", name="Cambiar a tema oscuro").click()
    page.reload()
    assert page.locator("html").get_attribute("data-theme") == "dark"
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(15, 21, 19)"


def test_a_member_signs_in_with_the_keyboard_and_signs_out(open_page, member, password):
    page = open_page(width=360)
    page.goto(f"{page.base}/ingresar/")
    page.keyboard.type("mariaperez")  # the username field has focus on arrival
    page.keyboard.press("Enter")
    page.wait_for_url("**/ingresar/clave/")
    assert page.locator("img[src$='estrella.svg']").is_visible()
    page.keyboard.type(password)  # focus is on the password field
    page.keyboard.press("Enter")
    page.wait_for_url("**/ingresar/dispositivo/")
    page.get_by_label("No").check()
    page.get_by_role("button", name="Continuar").click()
    page.wait_for_url("**/ingresar/verificacion/")
    assert page.get_by_text("El código expira en 02:").is_visible()
    page.get_by_label("Código de seguridad").fill(last_code())
    page.get_by_role("button", name="Validar").click()
    page.wait_for_url("**/posicion-consolidada/")
    assert page.get_by_role("heading", name="Posición consolidada").is_visible()
    page.get_by_role("button", name="Menú").click()
    assert page.get_by_role("link", name="Posición consolidada").is_visible()
    screenshot(page, "position-360-light")
    page.get_by_role("navigation").get_by_role("button", name="Salir").click()
    page.wait_for_url("**/ingresar/")
    assert page.console_errors == []

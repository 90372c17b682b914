"""Enroll → temporary credentials → personalize → sign in on a new device; and recover a
forgotten password — in a real browser, reading codes and e-mails from the outbox."""

from decimal import Decimal

from django.core import mail

from accounts.models import Device
from ledger.books import books_open
from products.catalog import product_types_load
from products.models import ProductType
from products.services import cash_deposit, deposit_account_open
from tests.auth import last_code
from tests.e2e.conftest import screenshot
from tests.factories import MemberFactory


def test_enroll_personalize_and_sign_in_on_a_new_device(open_page, db):
    member = MemberFactory(
        user=None, first_names="Ana Lucía", last_names="Mora Vera", email="ana.mora@example.com"
    )
    books_open(currency="USD")
    product_types_load(cooperative_slug="cooprogreso")
    account = deposit_account_open(member=member, product_type=ProductType.objects.get(code="AHO"))
    cash_deposit(account=account, amount=Decimal("50.00"), key="e2e-open")

    page = open_page(width=360)
    page.goto(f"{page.base}/ingresar/")
    page.get_by_role("link", name="Regístrate aquí").click()
    page.get_by_label("Número de identificación").fill(member.id_number)
    page.get_by_role("button", name="Continuar").click()
    page.get_by_label("Aceptar términos y condiciones").check()
    page.get_by_role("button", name="Continuar").click()
    page.get_by_label("Aceptar tratamiento de datos").check()
    page.get_by_role("button", name="Continuar").click()
    page.wait_for_url("**/registro/verificacion/")
    page.get_by_label("Código de seguridad").fill(last_code())
    page.get_by_role("button", name="Continuar").click()
    page.get_by_text("te enviamos tu usuario y contraseña temporal").wait_for()

    body = mail.outbox[-1].body
    username = body.split("es: ")[1].split()[0]
    temporary = body.split("Tu contraseña temporal es: ")[1].split()[0]
    page.get_by_role("link", name="Ir a iniciar sesión").click()
    page.get_by_label("Usuario").fill(username)
    page.get_by_role("button", name="Continuar").click()
    page.get_by_label("Contraseña", exact=True).fill(temporary)
    page.get_by_role("button", name="Iniciar Sesión").click()

    page.wait_for_url("**/ingresar/personalizar/")
    page.get_by_label("Nuevo nombre de usuario").fill("anamora01")
    page.get_by_role("button", name="Continuar").click()
    for n, answer in enumerate(["Bombero", "Fútbol", "Mayo"], 1):
        page.get_by_label(f"Pregunta {n}").select_option(index=n)
        page.get_by_label(f"Respuesta {n}").fill(answer)
    page.get_by_role("button", name="Continuar").click()
    page.get_by_text("Guitarra").click()
    screenshot(page, "personalize-image-360")
    page.get_by_role("button", name="Continuar").click()
    page.get_by_label("Ingresa tu contraseña actual o temporal").fill(temporary)
    page.get_by_label("Nueva contraseña").fill("Nueva#Clave26")
    page.get_by_label("Confirmar contraseña").fill("Nueva#Clave26")
    page.get_by_role("button", name="Continuar").click()
    page.get_by_label("Código de seguridad").fill(last_code())
    page.get_by_role("button", name="Validar").click()
    page.wait_for_url("**/ingresar/")
    assert page.get_by_text("Credenciales configuradas con éxito").is_visible()

    page.get_by_label("Usuario").fill("anamora01")
    page.get_by_role("button", name="Continuar").click()
    page.wait_for_url("**/ingresar/clave/")
    assert page.locator("img[src$='guitarra.svg']").is_visible()
    page.get_by_label("Contraseña", exact=True).fill("Nueva#Clave26")
    page.get_by_role("button", name="Iniciar Sesión").click()
    alias = page.get_by_label("Alias del dispositivo")
    assert page.get_by_label("No").is_checked() and alias.is_hidden()  # asked only on "Sí"
    page.get_by_label("Sí, guardar").check()
    assert alias.is_visible()
    screenshot(page, "device-alias-360")
    page.get_by_label("No").check()
    assert alias.is_hidden()
    page.get_by_label("Sí, guardar").check()
    alias.fill("Teléfono de Ana")
    page.get_by_role("button", name="Continuar").click()
    page.wait_for_url("**/ingresar/verificacion/")
    page.get_by_label("Código de seguridad").fill(last_code())
    page.get_by_role("button", name="Validar").click()
    page.wait_for_url("**/posicion-consolidada/")
    assert page.get_by_text("$50.00").first.is_visible()
    assert Device.objects.get(user__member=member).alias == "Teléfono de Ana"
    assert page.console_errors == []


def test_recover_a_forgotten_password(open_page, member):
    page = open_page(width=1280)
    page.goto(f"{page.base}/ingresar/")
    page.get_by_role("link", name="Olvidé mi contraseña").click()
    page.get_by_label("Ingresa tu número de identificación").fill(member.id_number)
    page.get_by_label("Ingresa tu usuario").fill("mariaperez")
    page.get_by_role("button", name="Continuar").click()
    page.get_by_text("Estrella").click()
    page.get_by_role("button", name="Continuar").click()
    page.wait_for_url("**/ingresar/recuperar/verificacion/")
    page.get_by_label("Código de seguridad").fill(last_code())
    page.get_by_role("button", name="Continuar").click()
    page.get_by_label("Nueva contraseña").fill("Otra#Clave2027")
    page.get_by_label("Confirmar contraseña").fill("Otra#Clave2027")
    page.get_by_role("button", name="Confirmar").click()
    page.get_by_text("Se ha cambiado la contraseña correctamente.").wait_for()
    page.get_by_label("Usuario").fill("mariaperez")
    page.get_by_role("button", name="Continuar").click()
    page.get_by_label("Contraseña", exact=True).fill("Otra#Clave2027")
    page.get_by_role("button", name="Iniciar Sesión").click()
    page.get_by_label("No").check()
    page.get_by_role("button", name="Continuar").click()
    page.wait_for_url("**/ingresar/verificacion/")
    page.get_by_label("Código de seguridad").fill(last_code())
    page.get_by_role("button", name="Validar").click()
    page.wait_for_url("**/posicion-consolidada/")
    assert page.console_errors == []

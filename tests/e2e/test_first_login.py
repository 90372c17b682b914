"""Temporary credentials → personalize → sign in on a new device with the code."""

from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from accounts.models import Device, SecurityQuestion
from tests.auth import last_code
from tests.e2e.conftest import screenshot


def test_first_login_personalizes_and_registers_the_device(open_page, member):
    user = member.user
    user.username = "tmpx7k2m9q"
    user.password = make_password("Temp#Clave1")
    user.must_personalize = True
    user.security_image = None
    user.credentials_expire_at = timezone.now() + timedelta(days=3)
    user.save()

    page = open_page(width=1280)
    page.goto(f"{page.base}/ingresar/")
    page.get_by_label("Usuario").fill("tmpx7k2m9q")
    page.get_by_role("button", name="Continuar").click()
    page.get_by_label("Contraseña", exact=True).fill("Temp#Clave1")
    page.get_by_role("button", name="Iniciar Sesión").click()

    page.wait_for_url("**/ingresar/personalizar/")
    page.get_by_label("Nuevo nombre de usuario").fill("mariafer01")
    page.get_by_role("button", name="Continuar").click()

    questions = list(SecurityQuestion.objects.values_list("text", flat=True)[:3])
    for n, (question, answer) in enumerate(
        zip(questions, ["Bombero", "Fútbol", "Mayo"], strict=True), 1
    ):
        page.get_by_label(f"Pregunta {n}").select_option(label=question)
        page.get_by_label(f"Respuesta {n}").fill(answer)
    page.get_by_role("button", name="Continuar").click()

    page.get_by_text("Guitarra").click()
    screenshot(page, "personalize-image-1280")
    page.get_by_role("button", name="Continuar").click()

    page.get_by_label("Ingresa tu contraseña actual o temporal").fill("Temp#Clave1")
    page.get_by_label("Nueva contraseña").fill("Nueva#Clave26")
    page.get_by_label("Confirmar contraseña").fill("Nueva#Clave26")
    page.get_by_role("button", name="Continuar").click()

    page.get_by_label("Código de seguridad").fill(last_code())
    page.get_by_role("button", name="Validar").click()
    page.wait_for_url("**/ingresar/")
    assert page.get_by_text("Credenciales configuradas con éxito").is_visible()

    page.get_by_label("Usuario").fill("mariafer01")
    page.get_by_role("button", name="Continuar").click()
    page.wait_for_url("**/ingresar/clave/")
    assert page.locator("img[src$='guitarra.svg']").is_visible()
    page.get_by_label("Contraseña", exact=True).fill("Nueva#Clave26")
    page.get_by_role("button", name="Iniciar Sesión").click()
    page.get_by_label("Sí, guardar").check()
    page.get_by_label("Alias del dispositivo").fill("Laptop de casa")
    page.get_by_role("button", name="Continuar").click()
    page.get_by_label("Código de seguridad").fill(last_code())
    page.get_by_role("button", name="Validar").click()
    page.wait_for_url("**/posicion-consolidada/")
    assert Device.objects.get(user=user).alias == "Laptop de casa"
    assert page.console_errors == []

"""Passkeys end to end, with Chromium's virtual authenticator standing in for a phone."""

from accounts.models import AuditEvent, Passkey
from tests.auth import last_code
from tests.e2e.conftest import screenshot
from tests.e2e.test_profile import sign_in


def virtual_authenticator(page):
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )


def test_register_a_passkey_then_sign_in_with_it(open_page, member, password):
    page = open_page(width=1280)
    virtual_authenticator(page)
    sign_in(page, password)
    page.goto(f"{page.base}/perfil/passkeys/")
    page.get_by_role("link", name="Registrar una passkey").click()
    page.get_by_label("Nombre de la passkey").fill("Laptop con huella")
    page.get_by_role("button", name="Continuar").click()
    page.get_by_label("Código de seguridad").wait_for()  # the dialog swapped in: code sent
    page.get_by_label("Código de seguridad").fill(last_code())
    page.get_by_role("button", name="Validar").click()
    page.get_by_role("button", name="Registrar passkey en este dispositivo").click()
    page.wait_for_url("**/perfil/passkeys/")
    assert page.get_by_role("cell", name="Laptop con huella").is_visible()
    assert Passkey.objects.get(user=member.user).name == "Laptop con huella"
    screenshot(page, "passkeys-1280")

    page.get_by_role("navigation").get_by_role("button", name="Salir").click()
    page.wait_for_url("**/ingresar/")
    page.get_by_role("button", name="Ingresar con passkey (huella o rostro)").click()
    page.wait_for_url("**/posicion-consolidada/")
    assert AuditEvent.objects.filter(event="login_ok", data__method="passkey").exists()
    assert page.console_errors == []

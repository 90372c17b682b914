"""Transfers in a real browser: register a beneficiary, transfer to it with the code from
the outbox, then find the movement in the account and open its receipt."""

from tests.auth import last_code
from tests.e2e.conftest import screenshot
from tests.e2e.test_profile import sign_in
from tests.transfers.conftest import *  # noqa: F403 - the transfer fixtures
from tests.transfers.conftest import open_funded


def confirm_with_code(page):
    page.get_by_role("heading", name="Confirmar transferencia").wait_for()
    page.get_by_label("Código de seguridad").fill(last_code())
    page.get_by_role("button", name="Validar").click()
    page.get_by_role("heading", name="¡Transferencia exitosa!").wait_for()


def test_transfer_to_a_new_beneficiary_then_find_its_receipt(
    open_page, member, password, savings, gabriel_savings
):
    page = open_page()
    sign_in(page, password)
    page.get_by_role("link", name="Transferencias", exact=True).first.click()
    page.get_by_role("link", name="Transferencias Cooprogreso").click()
    page.get_by_role("link", name="Agregar nuevo beneficiario").click()
    page.get_by_label("Número de cuenta").fill(gabriel_savings.number)
    page.get_by_role("button", name="Validar").click()
    page.get_by_text("GABRIEL S***").wait_for()
    page.get_by_label("Alias").fill("Gabo")
    screenshot(page, "beneficiary-add-1280")
    page.get_by_role("button", name="Guardar beneficiario").click()
    page.get_by_role("heading", name="Confirmar beneficiario").wait_for()  # the code is sent
    page.get_by_label("Código de seguridad").fill(last_code())
    page.get_by_role("button", name="Validar").click()
    page.get_by_role("heading", name="Beneficiario registrado exitosamente.").wait_for()
    page.get_by_role("link", name="Continuar con la transferencia").click()

    page.get_by_label("Cuenta de origen").select_option(str(savings.public_id))
    page.get_by_label("Cuenta de destino").select_option(
        label="Gabo — GABRIEL S*** · *****" + gabriel_savings.number[-4:]
    )
    page.get_by_label("Monto a transferir").fill("42.50")
    page.get_by_label("Motivo (Opcional)").fill("Almuerzo")
    page.get_by_role("button", name="Continuar").click()
    page.get_by_role("heading", name="Confirmar transferencia").wait_for()
    assert page.get_by_text("Total a debitar").is_visible()
    screenshot(page, "transfer-review-1280")
    confirm_with_code(page)
    screenshot(page, "transfer-done-1280")
    reference = page.get_by_text("Comprobante N.º").first.inner_text().split()[-1]

    page.goto(f"{page.base}/cuentas/{savings.public_id}/")
    page.get_by_role("cell", name="TRANSFERENCIA A CUENTA TERCEROS").first.wait_for()
    page.get_by_role("link", name=f"Ver comprobante {reference}").click()
    page.get_by_text("Comprobante NOTA DE DÉBITO").wait_for()
    assert page.get_by_text("$42.50").first.is_visible()
    assert page.get_by_text("Almuerzo").first.is_visible()
    assert page.console_errors == []


def test_an_own_transfer_never_offers_the_origin_as_destination(
    open_page, member, password, savings, certificates
):
    progresar = open_funded(member, code="CPC", amount="80.00")
    page = open_page(width=390)
    sign_in(page, password)
    page.goto(f"{page.base}/transferencias/mis-cuentas/")
    origin, destination = (
        page.get_by_label("Cuenta de origen"),
        page.get_by_label("Cuenta de destino"),
    )

    def offered() -> set[str]:
        return set(
            destination.locator("option:not([disabled]):not([hidden])").evaluate_all(
                "options => options.map(o => o.value).filter(Boolean)"
            )
        )

    everything = {str(a.public_id) for a in (savings, certificates, progresar)}
    assert offered() == everything  # two accounts to debit: no origin chosen yet
    origin.select_option(str(savings.public_id))
    assert offered() == everything - {str(savings.public_id)}
    destination.select_option(str(progresar.public_id))
    origin.select_option(str(progresar.public_id))  # the chosen destination becomes the origin
    assert offered() == everything - {str(progresar.public_id)}
    assert destination.input_value() == ""
    screenshot(page, "transfer-own-390")
    destination.select_option(str(certificates.public_id))
    page.get_by_label("Monto a transferir").fill("25")
    page.get_by_role("button", name="Continuar").click()
    confirm_with_code(page)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{page.base}/transferencias/mis-cuentas/")
    page.get_by_label("Cuenta de origen").select_option(str(savings.public_id))
    assert offered() == everything - {str(savings.public_id)}
    screenshot(page, "transfer-own-1280")
    assert page.console_errors == []


def test_an_interbank_transfer_on_a_phone(open_page, member, password, savings, carlos):
    page = open_page(width=390)
    sign_in(page, password)
    page.goto(f"{page.base}/transferencias/interbancarias/")
    page.get_by_label("Cuenta de origen").select_option(str(savings.public_id))
    page.get_by_label("Cuenta de destino").select_option(str(carlos.public_id))
    page.get_by_label("Monto a transferir").fill("6")
    page.get_by_role("button", name="Continuar").click()
    page.get_by_text("El nombre coincide con el titular de la cuenta.").wait_for()
    assert page.get_by_text("$6.41").is_visible()
    screenshot(page, "transfer-interbank-review-390")
    confirm_with_code(page)
    screenshot(page, "transfer-interbank-done-390")
    page.goto(f"{page.base}/transferencias/")
    page.get_by_text("Por enviar").wait_for()
    screenshot(page, "transfers-index-390")
    assert page.console_errors == []


def test_manage_beneficiaries_and_limits_on_a_phone(
    open_page, member, password, savings, gabriel, carlos
):
    page = open_page(width=390)
    sign_in(page, password)
    page.goto(f"{page.base}/beneficiarios/?tab=otros-bancos")
    page.get_by_text("BANCO PICHINCHA", exact=True).wait_for()
    screenshot(page, "beneficiaries-390")
    page.get_by_role("link", name="Editar Carlos").click()
    page.get_by_label("Alias").fill("Carlos arriendo")
    page.get_by_role("button", name="Confirmar").click()
    page.get_by_role("heading", name="Confirmar actualización").wait_for()
    page.get_by_label("Código de seguridad").fill(last_code())
    page.get_by_role("button", name="Validar").click()
    page.get_by_role("heading", name="Datos guardados exitosamente.").wait_for()
    page.get_by_role("link", name="Cerrar").click()  # back on the "Otros Bancos" tab
    page.get_by_role("link", name="Editar Carlos arriendo").wait_for()

    page.get_by_role("link", name="Beneficiario Cooprogreso", exact=True).click()
    page.get_by_role("link", name=f"Eliminar {gabriel.name}").click()
    page.get_by_role("button", name="Sí, eliminar").click()
    page.get_by_label("Código de seguridad").wait_for()
    page.get_by_label("Código de seguridad").fill(last_code())
    page.get_by_role("button", name="Validar").click()
    page.get_by_role("heading", name="Beneficiario eliminado.").wait_for()

    page.goto(f"{page.base}/servicios/")
    page.get_by_role("link", name="Personalización de Cupos").click()
    page.wait_for_url("**/cupos/")
    services = page.locator("#menu-list a").get_by_text(
        "Servicios", exact=True
    )  # folded away on a phone
    assert services.get_attribute("aria-current") == "true"
    page.get_by_role("group", name="Transferencias Interbancarias").get_by_label(
        "Monto diario"
    ).fill("300")
    screenshot(page, "limits-390")
    page.get_by_role("button", name="Guardar cambios").click()
    page.get_by_label("Código de seguridad").wait_for()
    page.get_by_label("Código de seguridad").fill(last_code())
    page.get_by_role("button", name="Validar").click()
    page.get_by_role("heading", name="El proceso se realizó correctamente.").wait_for()

    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{page.base}/beneficiarios/?tab=otros-bancos")
    actions = page.get_by_role("link", name="Eliminar Carlos arriendo")
    box = actions.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 1280  # no sideways scrolling
    screenshot(page, "beneficiaries-1280")
    assert page.console_errors == []

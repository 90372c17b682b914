"""Pago de Servicios as a browser drives it: choose a service, «Consultar» its bills, tick
one, "Confirmar pago", the code, "¡Pago exitoso!"; a top-up by amount; every refusal says
why and moves nothing; another member's account or saved service is refused."""

from decimal import Decimal

import pytest

from accounts.models import Operation
from ledger.models import Hold, Journal
from payments.models import BillPayment
from tests.auth import last_code, op_id
from tests.payments.conftest import open_funded

D = Decimal
URL = "/pagos/nuevo/"


@pytest.fixture
def funded(savings):
    return savings


def balance(account):
    account.ledger_account.refresh_from_db()
    return account.ledger_account.balance


def consult(client, biller, account, reference):
    return client.post(
        f"{URL}?servicio={biller.public_id}",
        {
            "step": "form",
            "refresh": "1",
            "servicio": biller.public_id,
            "origen": account.public_id,
            "referencia": reference,
        },
    )


def pay(client, biller, account, reference, **fields):
    return client.post(
        f"{URL}?servicio={biller.public_id}",
        {
            "step": "form",
            "servicio": biller.public_id,
            "origen": account.public_id,
            "referencia": reference,
            **fields,
        },
    )


def confirm(client, biller, step):
    return client.post(
        f"{URL}?servicio={biller.public_id}",
        {"step": "confirm", "op": op_id(step), "answer": last_code()},
    )


def test_the_services_page_lists_categories_and_searches(member_client, water, topup, funded):
    html = member_client.get("/pagos/").content.decode()
    assert "Pago de Servicios" in html and "AGUA" in html and "Recargas" in html
    listed = member_client.get(f"/pagos/?categoria={water.category.pk}").content.decode()
    assert "AGUA EPMAPA PEDERNALES" in listed and "RECARGAS CNT PAQUETE" not in listed
    found = member_client.get("/pagos/?q=recargas").content.decode()
    assert "RECARGAS CNT PAQUETE" in found


def test_a_water_bill_is_consulted_chosen_and_paid_with_a_code(member_client, water, funded):
    form = member_client.get(f"{URL}?servicio={water.public_id}").content.decode()
    assert "Consulta del servicio" in form and "CONTRATO/CÉDULA/RUC" in form
    listed = consult(member_client, water, funded, "41515162").content.decode()
    for text in ("No de Recibo", "Comisión", "Total", "Seleccionar Pago", "$0.31"):
        assert text in listed
    bill = _first_bill(listed)
    step = pay(member_client, water, funded, "41515162", recibos=[bill])
    review = step.content.decode()
    assert "Confirmar pago" in review
    for text in ("Monto a pagar", "Cuenta de origen", "Servicio", "Comisión", "Total a debitar"):
        assert text in review
    # «Información del servicio» as the manual names it: the category, then the service.
    assert "Categoría" in review and f"{water.category.name} {water.name}" not in review
    assert balance(funded) == D("100.00")  # nothing moves before the code
    done = confirm(member_client, water, step).content.decode()
    assert "¡Pago exitoso!" in done and "Comprobante N.º" in done
    assert "Imprimir" in done and "Realizar otro pago" in done
    payment = BillPayment.objects.get()
    assert payment.state == BillPayment.State.PAID and payment.commission == D("0.31")
    assert balance(funded) == D("100.00") - payment.total
    assert payment.hold.status == Hold.Status.CAPTURED


def test_the_reference_rule_is_the_manuals(member_client, water, funded):
    html = consult(member_client, water, funded, "41").content.decode()
    # The form shows the rule on «Pagar»; «Consultar» with a short reference lists nothing.
    assert "No de Recibo" not in html
    refused = pay(member_client, water, funded, "41", recibos=["1"]).content.decode()
    assert "CONTRATO/CÉDULA/RUC debe tener al menos 4 caracteres" in refused
    assert not Operation.objects.exists()


def test_a_reference_with_no_debt_says_so(member_client, water, funded):
    html = consult(member_client, water, funded, "12340000").content.decode()
    assert "No de Recibo" not in html and 'role="status"' in html


def test_pay_without_choosing_a_bill_is_refused(member_client, water, funded):
    html = pay(member_client, water, funded, "41515162").content.decode()
    assert "selecciona al menos un valor a pagar" in html
    assert not Operation.objects.exists()


def test_a_forged_bill_number_is_refused_before_the_code(member_client, water, funded):
    html = pay(member_client, water, funded, "41515162", recibos=["999999"]).content.decode()
    assert "Los valores a pagar cambiaron" in html
    assert not Journal.objects.filter(kind="bill_payment").exists()


def test_a_top_up_is_paid_by_amount_within_its_range(member_client, topup, funded):
    refused = pay(member_client, topup, funded, "0991234567", monto="80.00").content.decode()
    assert "Confirmar pago" not in refused
    wrong = pay(member_client, topup, funded, "12345", monto="5.00").content.decode()
    assert "NUMERO CELULAR debe tener 10 caracteres numeros" in wrong
    step = pay(member_client, topup, funded, "0991234567", monto="5.00")
    assert "Confirmar pago" in step.content.decode()
    done = confirm(member_client, topup, step).content.decode()
    assert "¡Pago exitoso!" in done
    assert balance(funded) == D("95.00")


def test_insufficient_funds_is_said_before_the_code(member_client, member, topup):
    poor = open_funded(member, amount="2.00")
    html = pay(member_client, topup, poor, "0991234567", monto="5.00").content.decode()
    assert "Saldo insuficiente" in html
    assert not Operation.objects.exists()


def test_another_members_account_is_refused(member_client, other_member, topup, funded):
    theirs = open_funded(other_member)
    html = pay(member_client, topup, theirs, "0991234567", monto="5.00").content.decode()
    assert "Selecciona una de tus cuentas." in html
    assert balance(theirs) == D("100.00")


def test_guardar_servicio_keeps_it_among_the_frequent_payments(member_client, water, funded):
    listed = consult(member_client, water, funded, "41515162").content.decode()
    step = pay(
        member_client,
        water,
        funded,
        "41515162",
        recibos=[_first_bill(listed)],
        guardar="on",
        alias="Agua casa",
    )
    confirm(member_client, water, step)
    from payments.models import SavedService

    saved = SavedService.objects.get()
    assert (saved.alias, saved.reference, saved.biller) == ("Agua casa", "41515162", water)
    again = member_client.get(f"{URL}?frecuente={saved.public_id}").content.decode()
    assert "41515162" in again and "No de Recibo" in again  # its bills, consulted at once


def test_a_replayed_confirmation_shows_the_same_receipt(member_client, topup, funded):
    step = pay(member_client, topup, funded, "0991234567", monto="5.00")
    first = confirm(member_client, topup, step).content.decode()
    second = member_client.post(
        f"{URL}?servicio={topup.public_id}",
        {"step": "confirm", "op": op_id(step), "answer": "000000"},
    ).content.decode()
    assert "¡Pago exitoso!" in first and "¡Pago exitoso!" in second
    assert BillPayment.objects.count() == 1


def _first_bill(html: str) -> str:
    import re

    return re.search(r'name="recibos" value="([^"]+)"', html).group(1)

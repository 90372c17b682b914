"""The transfer pages, driven as a browser would: form → Confirmar transferencia → code →
¡Transferencia exitosa!; refusals say why and move nothing; foreign ids are refused."""

import re
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from accounts import challenges
from accounts.models import Operation
from ledger.models import Journal
from products.models import VerifiedDocument
from tests.auth import last_code, op_id
from tests.documents import assert_the_paper_says_what_the_page_says
from tests.transfers.conftest import open_funded
from transfers.models import Transfer

D = Decimal
GYE = ZoneInfo("America/Guayaquil")


def balance(account):
    account.ledger_account.refresh_from_db()
    return account.ledger_account.balance


def submit(client, url, **data):
    return client.post(url, {"step": "form", **data})


def confirm(client, url, step):
    return client.post(url, {"step": "confirm", "op": op_id(step), "answer": last_code()})


def test_the_transfers_page_offers_three_kinds(member_client, savings):
    html = member_client.get("/transferencias/").content.decode()
    for text in (
        "Transferencias a mis cuentas",
        "Transferencias Cooprogreso",
        "Transferencias Interbancarias",
        "Transacciones frecuentes",
    ):
        assert text in html


def test_own_transfer_end_to_end(member_client, member, savings, certificates):
    url = "/transferencias/mis-cuentas/"
    form = member_client.get(url).content.decode()
    assert "Mis otras cuentas" in form and "Monto a transferir" in form
    assert "Motivo (Opcional)" in form and "$1,000.00" in form  # origin with its balance
    step = submit(
        member_client,
        url,
        origen=savings.public_id,
        destino=certificates.public_id,
        monto="150.25",
        motivo="Ahorro para aportes",
    )
    html = step.content.decode()
    assert "Confirmar transferencia" in html
    for text in ("Monto", "$150.25", "Comisión", "$0.00", "Total a debitar", "Ahorro para aportes"):
        assert text in html
    assert balance(savings) == D("1000.00")  # nothing moves before the code
    done = confirm(member_client, url, step).content.decode()
    assert "¡Transferencia exitosa!" in done and "Comprobante N.º" in done
    assert "Imprimir" in done and "Realizar otra transferencia" in done
    for text in ("Valor transferido", "$150.25", "Total debitado", "Cuenta de destino"):
        assert text in done
    assert f"<dt>Nombre</dt><dd>{member.full_name}</dd>" in done
    assert "<dt>Institución financiera</dt><dd>COOPROGRESO</dd>" in done
    assert balance(savings) == D("849.75") and balance(certificates) == D("150.25")


def test_continuar_stores_the_operation_awaiting_its_code(member_client, savings, certificates):
    url = "/transferencias/mis-cuentas/"
    step = submit(
        member_client, url, origen=savings.public_id, destino=certificates.public_id, monto="5"
    )
    operation = Operation.objects.select_related("challenge").get(public_id=op_id(step))
    assert operation.state == Operation.State.AWAITING_CODE
    assert operation.challenge.purpose == "transfer_own" and operation.challenge.sends == 1


@pytest.mark.postgres  # the statements as PostgreSQL receives them
def test_the_transfers_steps_run_a_fixed_number_of_statements(
    member_client, savings, certificates, django_assert_max_num_queries
):
    """«Continuar»: the session, the accounts, what was sent; the challenge (its void and
    INSERT), the code's entry in the security log, the operation's INSERT. The code: the
    session, the operation; the claim and its log entry; the move to executing, the
    accounts, the transfer (lock, reads, journal, row, notice, legs); the move to executed
    — and here, the notice's delivery, which a worker makes (Celery runs it eagerly in
    tests). The second transfer is counted: the first reads the process's catalogs."""
    url = "/transferencias/mis-cuentas/"
    data = {"origen": savings.public_id, "destino": certificates.public_id, "monto": "5"}
    confirm(member_client, url, submit(member_client, url, **data))
    with django_assert_max_num_queries(13):
        step = submit(member_client, url, **data)
    with django_assert_max_num_queries(20 + 3):
        done = confirm(member_client, url, step)
    assert "¡Transferencia exitosa!" in done.content.decode()


def test_continuar_over_the_send_cap_says_so_and_stores_nothing(
    member_client, savings, certificates, monkeypatch
):
    monkeypatch.setitem(challenges.MAX_SENDS_PER_WINDOW, "operations", 1)
    url = "/transferencias/mis-cuentas/"
    data = {"origen": savings.public_id, "destino": certificates.public_id, "monto": "5"}
    submit(member_client, url, **data)
    html = submit(member_client, url, **data).content.decode()
    assert "Enviamos demasiados códigos" in html and "Monto a transferir" in html
    assert Operation.objects.count() == 1  # the first one only
    assert balance(savings) == D("1000.00")


def test_a_receipt_stored_before_the_detail_still_shows(member_client, savings, certificates):
    url = "/transferencias/mis-cuentas/"
    step = submit(
        member_client, url, origen=savings.public_id, destino=certificates.public_id, monto="5"
    )
    code = last_code()
    member_client.post(url, {"step": "confirm", "op": op_id(step), "answer": code})
    operation = Operation.objects.get(public_id=op_id(step))
    operation.result.pop("detail")
    Operation.objects.filter(pk=operation.pk).update(result=operation.result)
    again = member_client.post(url, {"step": "confirm", "op": op_id(step), "answer": code})
    html = again.content.decode()
    assert "¡Transferencia exitosa!" in html and "detail-heading" not in html
    assert "<dt>Valor transferido</dt><dd>$5.00</dd>" in html and "Imprimir" in html


def destinations(html: str) -> dict[str, bool]:
    """The destination select's options: value → whether the member can choose it."""
    select = re.search(r'<select name="destino"[^>]*>.*?</select>', html, re.S).group(0)
    return {
        value: "disabled" not in attrs and "hidden" not in attrs
        for value, attrs in re.findall(r'<option value="([^"]*)"([^>]*)>', select)
        if value
    }


def test_own_transfer_does_not_offer_the_origin_as_destination(
    member_client, member, savings, certificates
):
    url = "/transferencias/mis-cuentas/"
    html = member_client.get(url).content.decode()  # savings is the only account to debit
    assert f'<option value="{savings.public_id}" selected>' in html
    assert destinations(html) == {str(savings.public_id): False, str(certificates.public_id): True}
    assert re.search(r'<select name="destino"[^>]*data-distinct-from="origen"', html)

    progresar = open_funded(member, code="CPC")
    html = member_client.get(url).content.decode()  # no origin yet: every account offered
    assert set(destinations(html).values()) == {True} and len(destinations(html)) == 3
    again = submit(member_client, url, origen=progresar.public_id, destino="", monto="5")
    assert destinations(again.content.decode()) == {
        str(savings.public_id): True,
        str(certificates.public_id): True,
        str(progresar.public_id): False,
    }


def test_the_origin_as_destination_is_still_refused_with_its_reason(
    member_client, member, savings, certificates
):
    html = submit(
        member_client,
        "/transferencias/mis-cuentas/",
        origen=savings.public_id,
        destino=savings.public_id,
        monto="5",
    ).content.decode()
    assert "La cuenta de destino debe ser distinta de la cuenta de origen." in html
    assert not Transfer.objects.exists()


def test_the_form_leaves_out_a_given_origin(member, savings, certificates):
    from products.selectors import member_deposit_accounts
    from transfers.forms import TransferForm
    from transfers.models import TransferKind

    progresar = open_funded(member, code="CPC")
    form = TransferForm(
        kind=TransferKind.OWN,
        accounts=member_deposit_accounts(member=member),
        beneficiaries=[],
        initial={"origen": progresar.public_id},
    )
    offered = destinations(str(form["destino"]))
    assert offered[str(progresar.public_id)] is False
    assert offered[str(savings.public_id)] is offered[str(certificates.public_id)] is True


def test_a_replayed_code_or_double_submit_posts_once(member_client, savings, certificates):
    url = "/transferencias/mis-cuentas/"
    step = submit(
        member_client, url, origen=savings.public_id, destino=certificates.public_id, monto="10"
    )
    code = last_code()
    data = {"step": "confirm", "op": op_id(step), "answer": code}
    first = member_client.post(url, data).content.decode()
    again = member_client.post(url, data).content.decode()
    assert "¡Transferencia exitosa!" in first and "¡Transferencia exitosa!" in again
    assert Transfer.objects.count() == 1 and balance(savings) == D("990.00")


def test_a_wrong_code_moves_nothing(member_client, savings, certificates):
    url = "/transferencias/mis-cuentas/"
    step = submit(
        member_client, url, origen=savings.public_id, destino=certificates.public_id, monto="10"
    )
    wrong = "000000" if last_code() != "000000" else "111111"
    response = member_client.post(url, {"step": "confirm", "op": op_id(step), "answer": wrong})
    assert "incorrecto" in response.content.decode().lower()
    assert not Transfer.objects.exists() and balance(savings) == D("1000.00")


@pytest.mark.parametrize("typed", ["1,50", "1.50", "$1.50"])
def test_amounts_are_read_as_people_type_them(member_client, savings, certificates, typed):
    step = submit(
        member_client,
        "/transferencias/mis-cuentas/",
        origen=savings.public_id,
        destino=certificates.public_id,
        monto=typed,
    )
    assert "Confirmar transferencia" in step.content.decode()
    assert "$1.50" in step.content.decode()


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("0", "mayor a cero"),
        ("-5", "mayor a cero"),
        ("10.005", "dos decimales"),
        ("abc", "monto válido"),
        ("2e1", "monto válido"),
        ("1_0", "monto válido"),
        ("٣", "monto válido"),
        ("1,234.56", "sin separadores de miles"),
        ("1000.01", "Saldo insuficiente"),
    ],
)
def test_bad_amounts_are_refused_in_spanish(member_client, savings, certificates, amount, message):
    response = submit(
        member_client,
        "/transferencias/mis-cuentas/",
        origen=savings.public_id,
        destino=certificates.public_id,
        monto=amount,
    )
    assert message in response.content.decode()
    assert not Journal.objects.filter(kind="transfer_own").exists()


def test_foreign_accounts_and_beneficiaries_are_refused(
    member_client, savings, certificates, gabriel_savings, other_member, transfer_catalog
):
    from transfers.beneficiaries import beneficiary_add_internal

    theirs = beneficiary_add_internal(member=other_member, account_number=savings.number)
    forged_origin = submit(
        member_client,
        "/transferencias/mis-cuentas/",
        origen=gabriel_savings.public_id,
        destino=certificates.public_id,
        monto="1",
    )
    assert "Selecciona una de tus cuentas" in forged_origin.content.decode()
    forged_destination = submit(
        member_client,
        "/transferencias/mis-cuentas/",
        origen=savings.public_id,
        destino=gabriel_savings.public_id,
        monto="1",
    )
    assert "de la lista" in forged_destination.content.decode()
    forged_beneficiary = submit(
        member_client,
        "/transferencias/cooprogreso/",
        origen=savings.public_id,
        destino=theirs.public_id,
        monto="1",
    )
    assert "beneficiario de tu lista" in forged_beneficiary.content.decode()
    assert not Transfer.objects.exists()


def test_internal_transfer_and_the_beneficiary_email(
    member_client, savings, gabriel, gabriel_savings
):
    url = "/transferencias/cooprogreso/"
    form = member_client.get(f"{url}?beneficiario={gabriel.public_id}").content.decode()
    assert f'value="{gabriel.public_id}" selected' in form
    step = submit(
        member_client, url, origen=savings.public_id, destino=gabriel.public_id, monto="20"
    )
    done = confirm(member_client, url, step).content.decode()
    assert balance(gabriel_savings) == D("70.00")
    assert "gabriel@example.com" in [m.to[0] for m in mail.outbox]
    # The receipt names the other member only masked, as "Validar" does: a cent must not
    # buy an account holder's full name.
    first, second, *_ = gabriel_savings.member.full_name.upper().split()
    assert f"{first} {second[0]}***" in done
    assert gabriel_savings.member.full_name not in done


def test_interbank_review_shows_fee_payee_check_and_deferral(
    member_client, member, savings, carlos
):
    url = "/transferencias/interbancarias/"
    with time_machine.travel(datetime(2026, 11, 27, 16, 30, tzinfo=GYE)):  # Friday, late
        member_client.force_login(member.user)
        step = submit(
            member_client, url, origen=savings.public_id, destino=carlos.public_id, monto="6"
        )
        html = step.content.decode()
        assert "$0.36" in html and "$0.05" in html and "$6.41" in html
        assert "El nombre coincide con el titular de la cuenta." in html
        assert "posterior a las 15h00 o feriados" in html and "30/11/2026" in html
        done = confirm(member_client, url, step).content.decode()
    assert "¡Transferencia exitosa!" in done and "30/11/2026" in done
    transfer = Transfer.objects.get()
    assert transfer.payee_check == "match" and transfer.status == Transfer.Status.PENDING
    assert balance(savings) == D("993.59")


def test_a_name_that_does_not_match_warns_before_confirming(member_client, member, savings, carlos):
    carlos.name = "PEDRO PEREZ"
    carlos.save()
    step = submit(
        member_client,
        "/transferencias/interbancarias/",
        origen=savings.public_id,
        destino=carlos.public_id,
        monto="6",
    )
    html = step.content.decode()
    assert "NO coincide" in html and "podría llegar a otra persona" in html


def test_the_transfers_page_lists_frequent_beneficiaries_and_states(
    member_client, savings, carlos, gabriel
):
    for _ in range(2):
        url = "/transferencias/interbancarias/"
        step = submit(
            member_client, url, origen=savings.public_id, destino=carlos.public_id, monto="5"
        )
        confirm(member_client, url, step)
    url = "/transferencias/cooprogreso/"
    step = submit(
        member_client, url, origen=savings.public_id, destino=gabriel.public_id, monto="5"
    )
    confirm(member_client, url, step)
    html = member_client.get("/transferencias/").content.decode()
    assert html.index("Carlos") < html.index("GABRIEL")  # most used first
    assert f"?beneficiario={carlos.public_id}" in html
    assert "Por enviar" in html and "Realizada" in html


def test_the_transfers_page_has_a_flat_query_count(
    member_client, savings, carlos, django_assert_max_num_queries
):
    for _ in range(3):
        url = "/transferencias/interbancarias/"
        step = submit(
            member_client, url, origen=savings.public_id, destino=carlos.public_id, monto="5"
        )
        confirm(member_client, url, step)
    with django_assert_max_num_queries(12):
        html = member_client.get("/transferencias/").content.decode()
    transfer = Transfer.objects.order_by("pk").first()
    assert f'<a href="/cuentas/{savings.public_id}/movimientos/' in html
    assert f">{transfer.journal.reference}</a>" in html
    link = re.search(rf'href="([^"]+)">{transfer.journal.reference}</a>', html).group(1)
    assert "NOTA DE DÉBITO" in member_client.get(link).content.decode()


def test_the_interbank_receipt_names_the_beneficiary_and_institution(
    member_client, member, savings, carlos
):
    """The «Detalle» under "¡Transferencia exitosa!", as the manual prints it."""
    url = "/transferencias/interbancarias/"
    step = submit(member_client, url, origen=savings.public_id, destino=carlos.public_id, monto="6")
    done = confirm(member_client, url, step).content.decode()
    sections = re.findall(
        r'<h3 class="detail-heading">([^<]+)</h3>\s*<dl class="review">(.*?)</dl>', done, re.S
    )
    assert [heading for heading, _ in sections] == [
        "Detalle",
        "Cuenta de origen",
        "Cuenta de destino",
    ]
    detail, origin, destination = (
        dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", lines)) for _, lines in sections
    )
    assert detail["Valor transferido"] == "$6.00" and detail["Comisión"] == "$0.36"
    assert detail["IVA"] == "$0.05" and detail["Total debitado"] == "$6.41"
    assert origin == {
        "Nombre": member.full_name,
        "N.º Cta.": f"CUENTA DE AHORROS *****{savings.number[-4:]}",
    }
    assert destination == {
        "Nombre": "CARLOS ANDRÉS MENDOZA VERA",
        "N.º Cta.": "Ahorros *****4567",
        "Institución financiera": "BANCO PICHINCHA",
        "Estado": "Por enviar",
    }
    assert "Imprimir" in done and "Realizar otra transferencia" in done


@pytest.mark.parametrize(
    ("path", "destination", "printed"),
    [
        ("mis-cuentas", "certificates", {"Tipo": "Transferencia entre cuentas propias"}),
        ("cooprogreso", "gabriel", {"Comisión": "$0.00"}),
        (
            "interbancarias",
            "carlos",
            {"Comisión": "$0.36", "IVA": "$0.05", "Total debitado": "$6.41"},
        ),
    ],
)
def test_a_transfer_receipts_verification_page_says_what_the_paper_says(
    request, member_client, client, savings, path, destination, printed
):
    url = f"/transferencias/{path}/"
    target = request.getfixturevalue(destination)
    step = submit(member_client, url, origen=savings.public_id, destino=target.public_id, monto="6")
    done = confirm(member_client, url, step).content.decode()
    pdf = member_client.get(re.search(r'href="([^"]+\?formato=pdf)"', done).group(1)).content
    document = VerifiedDocument.objects.get()
    page = client.get(f"/verificar/{document.code}/").content.decode()
    fields = dict(assert_the_paper_says_what_the_page_says(pdf, page))
    assert fields["Valor transferido"] == "$6.00"
    assert printed.items() <= fields.items()
    assert "Beneficiario" not in fields and "Motivo" not in fields
    assert savings.number not in page and savings.member.last_names not in page


def test_a_members_only_account_comes_chosen(member_client, savings, carlos):
    html = member_client.get("/transferencias/interbancarias/").content.decode()
    assert f'value="{savings.public_id}" selected' in html

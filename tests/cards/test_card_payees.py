"""Registering the cards a member pays ("Pago de tarjetas" → "Agregar nueva tarjeta" →
"Registrar tarjeta"): another bank's card, checked by Luhn and kept only encrypted; a card
of the cooperative, found by its number and its holder's identification; never twice;
nobody else's reachable; listed and searched in "Pago de tarjetas" and in the
beneficiaries' "Pago Tarjetas" tab."""

import json

import pytest
from django.apps import apps
from django.core import mail
from django.db import connection, models
from django.test.utils import CaptureQueriesContext

from accounts.models import AuditEvent, Operation
from cards.models import CardPayee
from cards.payees import (
    COOPERATIVE,
    CooperativeCardNotFound,
    InvalidCardNumber,
    PayeeAlreadyRegistered,
    card_payee_add,
    payee_pan_open,
)
from core.crypto import decrypt
from core.notifications import LocmemSmsBackend
from tests.auth import last_code, op_id
from tests.cards.conftest import MARIA_CREDIT_PAN, issue_credit, new_pan
from transfers.catalog import transfer_catalog_load

PAGE = "/pago-tarjetas/"
ADD = "/pago-tarjetas/nueva/"
OTHER_PAN = "4111111111111111"  # another bank's VISA, Luhn-valid
OTHER_MASKED = "411111XXXXXX1111"
PICHINCHA = "0010"


@pytest.fixture(autouse=True)
def institutions(catalog):
    transfer_catalog_load(cooperative_slug="cooprogreso")


def other_bank(member, *, pan=OTHER_PAN, name="Ana Lucía Torres", **kw):
    return card_payee_add(
        member=member,
        institution=PICHINCHA,
        pan=pan,
        id_type="cedula",
        id_number="1710034065",
        name=name,
        **kw,
    )


def form_data(**overrides):
    return {
        "step": "form",
        "entidad": PICHINCHA,
        "numero_tarjeta": "4111 1111 1111 1111",
        "tipo_identificacion": "cedula",
        "identificacion": "1710034065",
        "nombre": "  ana   lucía torres ",
        "alias": "Ana",
        "correo": "ana@example.com",
        **overrides,
    }


def register(client, **overrides):
    """«Guardar tarjeta» → the code → done: (the review step, the done step)."""
    step = client.post(ADD, form_data(**overrides))
    done = client.post(ADD, {"step": "confirm", "op": op_id(step), "answer": last_code()})
    return step, done


# --- another bank's card -------------------------------------------------------------------


def test_a_member_registers_another_banks_card_with_the_code(member_client, member):
    form = member_client.get(ADD).content.decode()
    for text in ("Registrar tarjeta", "Entidad financiera", "Número de tarjeta", "BANCO PICHINCHA"):
        assert text in form
    assert "COOPERATIVA DE AHORRO Y CR" in form.upper()  # the cooperative itself is offered
    step, done = register(member_client)
    review = step.content.decode()
    assert "Confirmar tarjeta" in review and OTHER_MASKED in review
    assert "ANA LUCÍA TORRES" in review and "Cédula 1710034065" in review
    assert "Tarjeta registrada exitosamente." in done.content.decode()
    payee = CardPayee.objects.get()
    assert (payee.member, payee.institution_code, payee.institution_name) == (
        member,
        PICHINCHA,
        "BANCO PICHINCHA",
    )
    assert (payee.name, payee.alias, payee.email) == ("ANA LUCÍA TORRES", "Ana", "ana@example.com")
    assert payee.masked_number == OTHER_MASKED and payee.card is None
    assert payee_pan_open(payee) == OTHER_PAN
    event = AuditEvent.objects.get(event="beneficiary_added")
    assert event.data["card"] == OTHER_MASKED
    assert "se registró la tarjeta 411111XXXXXX1111" in mail.outbox[-1].body
    # the operation kept nothing of the number once done
    assert Operation.objects.get(purpose="card_payee_add").payload_encrypted == ""


def test_the_number_is_encrypted_at_rest(member):
    payee = other_bank(member)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pan_encrypted, pan_hmac, bin, last4 FROM cards_cardpayee WHERE id = %s",
            [payee.pk],
        )
        encrypted, digest, first_six, last_four = cursor.fetchone()
    assert OTHER_PAN not in encrypted and OTHER_PAN not in digest
    assert decrypt(encrypted) == OTHER_PAN
    assert (first_six, last_four) == ("411111", "1111")
    assert len(digest) == 64


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("4111111111111112", "El número de tarjeta no es válido; revisa los dígitos."),
        ("41111111", "El número de tarjeta debe tener entre 14 y 19 dígitos."),
        ("4111-1111-1111-111A", "El número de tarjeta debe tener entre 14 y 19 dígitos."),
    ],
)
def test_a_number_failing_luhn_or_its_length_is_refused(member_client, number, message):
    page = member_client.post(ADD, form_data(numero_tarjeta=number)).content.decode()
    assert message in page
    assert number not in page  # the box never renders what was typed
    assert not CardPayee.objects.exists()
    assert not Operation.objects.filter(state=Operation.State.AWAITING_CODE).exists()


def test_the_same_card_is_refused_twice_for_one_owner(member, other_member):
    other_bank(member)
    with pytest.raises(PayeeAlreadyRegistered):
        other_bank(member, name="Otro nombre")
    other_bank(other_member)  # another owner may register it
    assert CardPayee.objects.count() == 2


def test_the_page_refuses_a_duplicate_before_sending_the_code(member_client, member):
    other_bank(member)
    sent = len(LocmemSmsBackend.outbox)
    page = member_client.post(ADD, form_data()).content.decode()
    assert "Ya tienes registrada esta tarjeta." in page
    assert len(LocmemSmsBackend.outbox) == sent


def test_another_banks_card_needs_the_beneficiarys_name(member_client):
    page = member_client.post(ADD, form_data(nombre="")).content.decode()
    assert "Ingresa el nombre completo del beneficiario." in page


def test_a_bad_identification_is_refused(member_client):
    page = member_client.post(ADD, form_data(identificacion="1712345678")).content.decode()
    assert "El número de cédula no es válido." in page


# --- a card of the cooperative ---------------------------------------------------------------


def test_an_own_card_registered_points_at_the_card(member_client, member, credit_card):
    step, _done = register(
        member_client,
        entidad=COOPERATIVE,
        numero_tarjeta=MARIA_CREDIT_PAN,
        identificacion=member.id_number,
        nombre="",
        alias="Mi Mastercard",
    )
    assert "513744XXXXXX0395" in step.content.decode()
    payee = CardPayee.objects.get()
    assert payee.card == credit_card and payee.pan_encrypted == ""
    assert payee.name == credit_card.holder_name and payee.institution_code == ""
    page = member_client.get(PAGE).content.decode()
    assert page.count('data-label="Tarjeta">513744XXXXXX0395<') == 1  # once, as registered
    assert "Mi Mastercard" in page


def test_another_members_cooperative_card_shows_the_holder_masked(member, other_member):
    pan = new_pan()
    card = issue_credit(other_member, pan=pan)
    payee = card_payee_add(
        member=member,
        institution=COOPERATIVE,
        pan=pan,
        id_type="cedula",
        id_number=other_member.id_number,
    )
    assert payee.card == card and payee.name == "GABRIEL S***"


def test_a_cooperative_card_needs_its_holders_identification(member, other_member, credit_card):
    with pytest.raises(CooperativeCardNotFound) as wrong_id:
        card_payee_add(
            member=other_member,
            institution=COOPERATIVE,
            pan=MARIA_CREDIT_PAN,
            id_type="cedula",
            id_number=other_member.id_number,
        )
    with pytest.raises(CooperativeCardNotFound) as unknown:
        card_payee_add(
            member=other_member,
            institution=COOPERATIVE,
            pan="5137440000000008",
            id_type="cedula",
            id_number=member.id_number,
        )
    # one answer for both: the form tells nobody which numbers are the cooperative's
    assert wrong_id.value.message == unknown.value.message
    assert not CardPayee.objects.exists()


def test_a_debit_card_of_the_cooperative_is_not_a_payee(member, debit_card):
    from tests.cards.conftest import MARIA_DEBIT_PAN

    with pytest.raises(CooperativeCardNotFound):
        card_payee_add(
            member=member,
            institution=COOPERATIVE,
            pan=MARIA_DEBIT_PAN,
            id_type="cedula",
            id_number=member.id_number,
        )


def test_an_invalid_number_is_refused_for_another_bank(member):
    with pytest.raises(InvalidCardNumber):
        other_bank(member, pan="1234567890123")


# --- lists, search, removal, another owner ---------------------------------------------------


def test_the_page_lists_own_cards_and_registered_ones_and_searches(
    member_client, member, credit_card
):
    other_bank(member, alias="Tarjeta de Ana")
    page = member_client.get(PAGE).content.decode()
    assert "Pago de tarjetas" in page and "Agregar nueva tarjeta" in page
    assert "Buscar tarjeta" in page
    assert "513744XXXXXX0395" in page and OTHER_MASKED in page
    for term in ("ana", "pichincha", "1111", "411111", "tarjeta de ana"):
        html = member_client.get(PAGE, {"q": term}).content.decode()
        assert OTHER_MASKED in html, term
        assert "513744XXXXXX0395" not in html, term
    for term in ("0395", "513744", "maria"):
        html = member_client.get(PAGE, {"q": term}).content.decode()
        assert "513744XXXXXX0395" in html and OTHER_MASKED not in html, term
    html = member_client.get(PAGE, {"q": "nadie"}).content.decode()
    assert "Ninguna tarjeta coincide con tu búsqueda." in html


def test_the_page_reads_a_fixed_number_of_queries(member_client, member, credit_card):
    def count():
        with CaptureQueriesContext(connection) as queries:
            assert member_client.get(PAGE).status_code == 200
        return len(queries)

    other_bank(member)
    count()  # the process's catalogs read once
    first = count()
    issue_credit(member)
    other_bank(member, pan="5500000000000004")
    assert count() == first


def test_the_beneficiaries_tab_lists_the_registered_cards(member_client, member):
    other_bank(member, alias="Tarjeta de Ana")
    html = member_client.get("/beneficiarios/", {"tab": "tarjetas"}).content.decode()
    assert OTHER_MASKED in html and "BANCO PICHINCHA" in html and "Tarjeta de Ana" in html
    assert "Agregar nueva tarjeta" in html
    html = member_client.get("/beneficiarios/", {"tab": "tarjetas", "q": "nadie"}).content.decode()
    assert OTHER_MASKED not in html and "Ninguna tarjeta coincide" in html


def test_a_member_removes_a_registered_card_with_the_code(member_client, member):
    payee = other_bank(member)
    url = f"/pago-tarjetas/{payee.public_id}/eliminar/"
    assert OTHER_MASKED in member_client.get(url).content.decode()
    step = member_client.post(url, {"step": "form"})
    done = member_client.post(url, {"step": "confirm", "op": op_id(step), "answer": last_code()})
    assert "Tarjeta eliminada." in done.content.decode()
    payee.refresh_from_db()
    assert payee.deleted_at is not None
    assert OTHER_MASKED not in member_client.get(PAGE).content.decode()
    other_bank(member)  # registered again after removing it


def test_another_owners_payee_is_not_found(member_client, other_member):
    payee = other_bank(other_member)
    url = f"/pago-tarjetas/{payee.public_id}/eliminar/"
    assert member_client.get(url).status_code == 404
    assert member_client.post(url, {"step": "form"}).status_code == 404
    assert OTHER_MASKED not in member_client.get(PAGE).content.decode()
    html = member_client.get("/beneficiarios/", {"tab": "tarjetas"}).content.decode()
    assert OTHER_MASKED not in html


# --- the number is never in clear ------------------------------------------------------------

TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField, models.BinaryField)


def database_texts_holding(secret: str) -> list[str]:
    """Every text, JSON and binary column of every table, searched for ``secret``."""
    found = []
    for model in apps.get_models():
        names = [f.attname for f in model._meta.concrete_fields if isinstance(f, TEXT_FIELDS)]
        if not names:
            continue
        for row in model.objects.values_list(*names):
            for name, value in zip(names, row, strict=True):
                text = value if isinstance(value, str) else json.dumps(value, default=str)
                if isinstance(value, bytes | memoryview):
                    text = bytes(value).decode("latin-1")
                if secret in text.replace(" ", "").replace("-", ""):
                    found.append(f"{model._meta.db_table}.{name}")
    return found


def test_the_number_is_masked_in_pages_admin_logs_notices_and_tables(
    member_client, member, staff_user, client, caplog
):
    caplog.set_level("DEBUG")
    pages = []
    with CaptureQueriesContext(connection) as queries:
        pages.append(member_client.post(ADD, form_data(nombre="")))  # refused: shown again
        step, done = register(member_client)
        pages += [step, done, member_client.get(PAGE)]
        pages.append(member_client.get("/beneficiarios/", {"tab": "tarjetas"}))
        pages.append(member_client.get(PAGE, {"q": OTHER_PAN}))  # the number typed to search
    payee = CardPayee.objects.get()
    client.force_login(staff_user)
    pages.append(client.get("/admin/cards/cardpayee/"))
    pages.append(client.get(f"/admin/cards/cardpayee/{payee.pk}/change/"))
    pages.append(client.get("/admin/accounts/auditevent/"))
    assert [p.status_code for p in pages] == [200] * len(pages)
    assert [i for i, p in enumerate(pages) if OTHER_PAN in p.content.decode()] == []
    assert OTHER_MASKED in pages[3].content.decode()
    assert [q["sql"] for q in queries.captured_queries if OTHER_PAN in q["sql"]] == []
    logs = [f"{r.getMessage()} {r.__dict__!r}" for r in caplog.records]
    assert [t for t in logs if OTHER_PAN in t] == []
    assert [m.body for m in mail.outbox if OTHER_PAN in m.body] == []
    assert [m.body for m in LocmemSmsBackend.outbox if OTHER_PAN in m.body] == []
    assert database_texts_holding(OTHER_PAN) == []
    assert OTHER_PAN not in repr(dict(member_client.session.items()))

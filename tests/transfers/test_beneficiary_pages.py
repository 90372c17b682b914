"""Administración de Beneficiarios through its pages: list and search, "Validar", register
(internal and at another bank), edit and delete — each only after the code, each refusal
in Spanish with nothing saved, and nobody else's beneficiaries reachable."""

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import AuditEvent
from tests.auth import last_code, op_id
from tests.factories import MemberFactory
from tests.transfers.conftest import open_funded
from transfers.beneficiaries import beneficiary_add_internal
from transfers.models import Beneficiary

pytestmark = pytest.mark.usefixtures("transfer_catalog")

LIST = "/beneficiarios/"
ADD_INTERNAL = "/beneficiarios/nuevo/cooprogreso/"
ADD_EXTERNAL = "/beneficiarios/nuevo/otros-bancos/"


def submit(client, url, **data):
    return client.post(url, {"step": "form", **data})


def confirm(client, url, step, answer=None):
    return client.post(url, {"step": "confirm", "op": op_id(step), "answer": answer or last_code()})


def external_data(pichincha, **overrides):
    return {
        "entidad": pichincha.pk,
        "tipo_cuenta": "checking",
        "numero_cuenta": "3300998877",
        "nombre": "  ana   lucía torres ",
        "tipo_identificacion": "cedula",
        "identificacion": "1710034065",
        "correo": "ana@example.com",
        "alias": "Ana",
        **overrides,
    }


def test_the_menu_and_the_list_show_the_tabs(member_client, gabriel, carlos):
    html = member_client.get(LIST).content.decode()
    assert 'href="/beneficiarios/"' in html  # the menu entry "Administración de Beneficiarios"
    for text in ("Beneficiario Cooprogreso", "Beneficiario Otros Bancos", "Pago Tarjetas"):
        assert text in html
    assert gabriel.name in html and "Carlos" not in html  # the first tab: coop accounts
    assert f"/transferencias/cooprogreso/?beneficiario={gabriel.public_id}" in html
    other = member_client.get(LIST, {"tab": "otros-bancos"}).content.decode()
    assert "BANCO PICHINCHA" in other and "Cédula 1710034065" in other
    assert "CARLOS ANDRÉS MENDOZA VERA" in other and gabriel.name not in other
    cards = member_client.get(LIST, {"tab": "tarjetas"}).content.decode()
    assert "tarjetas de crédito que registres" in cards


def test_search_by_name_alias_or_identification(member_client, carlos):
    tab = {"tab": "otros-bancos"}
    for term in ("mendoza", "Carlos", "1710034065", "pichincha"):
        assert "MENDOZA" in member_client.get(LIST, {**tab, "q": term}).content.decode()
    html = member_client.get(LIST, {**tab, "q": "nadie"}).content.decode()
    assert "Ningún beneficiario coincide con tu búsqueda." in html


def test_the_list_runs_a_fixed_number_of_queries(member_client, member, transfer_catalog):
    def count():
        with CaptureQueriesContext(connection) as queries:
            assert member_client.get(LIST, {"tab": "otros-bancos"}).status_code == 200
        return len(queries)

    from transfers.beneficiaries import beneficiary_add_external
    from transfers.models import Institution

    bank = Institution.objects.get(code="0010")
    beneficiary_add_external(
        member=member,
        institution=bank,
        account_type="savings",
        account_number="1000001",
        name="Uno",
        id_type="pasaporte",
        id_number="AB12345",
    )
    count()  # warms the per-process caches (the cooperative's profile)
    one = count()
    for n in range(2, 8):
        beneficiary_add_external(
            member=member,
            institution=bank,
            account_type="savings",
            account_number=f"100000{n}",
            name=f"Nombre {n}",
            id_type="pasaporte",
            id_number=f"AB1234{n}",
        )
    assert count() == one


def test_validar_shows_the_holder_masked(member_client, gabriel_savings, other_member):
    response = member_client.post(
        "/beneficiarios/validar/", {"numero_cuenta": gabriel_savings.number}
    )
    html = response.content.decode()
    first, *rest = other_member.full_name.upper().split()
    assert first in html and f"{rest[0][0]}***" in html
    assert rest[0] not in html  # never the full surname


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("12", "entre 6 y 20 dígitos"),
        ("99999999", "No encontramos una cuenta activa con ese número."),
    ],
)
def test_validar_explains_a_number_it_cannot_register(member_client, number, message):
    html = member_client.post("/beneficiarios/validar/", {"numero_cuenta": number})
    assert message in html.content.decode()


def test_validar_refuses_the_members_own_account(member_client, savings):
    html = member_client.post("/beneficiarios/validar/", {"numero_cuenta": savings.number})
    assert "Esta cuenta es tuya" in html.content.decode()


def test_validar_is_rate_limited(member_client, gabriel_savings):
    from transfers import operations as beneficiaries

    for _ in range(beneficiaries.VALIDATE_PER_MEMBER):
        member_client.post("/beneficiarios/validar/", {"numero_cuenta": "99999999"})
    html = member_client.post("/beneficiarios/validar/", {"numero_cuenta": gabriel_savings.number})
    assert "demasiadas consultas" in html.content.decode()


def test_the_form_step_counts_against_the_same_limit(member_client, gabriel_savings):
    """Posting the form looks the holder up too: it cannot be used to skip "Validar"'s
    limit (in profiles that confirm with a PIN no code send caps it either)."""
    from transfers import operations as beneficiaries

    for _ in range(beneficiaries.VALIDATE_PER_MEMBER):
        submit(member_client, ADD_INTERNAL, numero_cuenta="99999999")
    html = submit(member_client, ADD_INTERNAL, numero_cuenta=gabriel_savings.number)
    html = html.content.decode()
    assert "demasiadas consultas" in html and "GABRIEL" not in html.upper().split("<BODY")[1]


def test_register_an_internal_beneficiary_with_the_code(member_client, member, gabriel_savings):
    form = member_client.get(ADD_INTERNAL).content.decode()
    assert "Registrar cuenta interna" in form and "Número de cuenta" in form
    assert "Validar" in form and "Guardar beneficiario" in form
    step = submit(
        member_client,
        ADD_INTERNAL,
        numero_cuenta=gabriel_savings.number,
        correo="gabo@example.com",
        alias="Gabo",
    )
    html = step.content.decode()
    assert "Confirmar beneficiario" in html and "Nombre del beneficiario" in html
    assert not Beneficiary.objects.exists()  # nothing before the code
    done = confirm(member_client, ADD_INTERNAL, step).content.decode()
    assert "Beneficiario registrado exitosamente." in done
    saved = Beneficiary.objects.get()
    assert (saved.member, saved.account, saved.alias) == (member, gabriel_savings, "Gabo")
    assert saved.email == "gabo@example.com" and saved.name.endswith("***")
    assert f"/transferencias/cooprogreso/?beneficiario={saved.public_id}" in done
    assert "Continuar con la transferencia" in done
    # The member hears of it on every channel, and it is in their activity.
    assert any(f"se registró el beneficiario {saved.name}" in m.body for m in mail.outbox)
    assert AuditEvent.objects.filter(user=member.user, event="beneficiary_added").exists()


def test_a_wrong_code_registers_nothing(member_client, gabriel_savings):
    step = submit(member_client, ADD_INTERNAL, numero_cuenta=gabriel_savings.number)
    code = last_code()
    wrong = "000000" if code != "000000" else "111111"
    html = confirm(member_client, ADD_INTERNAL, step, answer=wrong).content.decode()
    assert "incorrecto" in html.lower()
    assert not Beneficiary.objects.exists()


def test_an_already_registered_account_is_refused_before_the_code(member_client, gabriel):
    step = submit(member_client, ADD_INTERNAL, numero_cuenta=gabriel.account_number)
    assert "Ya tienes registrado un beneficiario con esta cuenta." in step.content.decode()
    assert Beneficiary.objects.count() == 1


def test_register_at_another_bank(member_client, member, pichincha):
    form = member_client.get(ADD_EXTERNAL).content.decode()
    for label in (
        "Registrar cuenta interbancaria",
        "Entidad financiera",
        "Tipo de cuenta",
        "Nombre del beneficiario",
        "Tipo de identificación",
        "Identificación del beneficiario",
        "Correo electrónico (Opcional)",
        "Alias (Opcional)",
    ):
        assert label in form
    step = submit(member_client, ADD_EXTERNAL, **external_data(pichincha))
    html = step.content.decode()
    assert "BANCO PICHINCHA" in html and "Corriente" in html and "ANA LUCÍA TORRES" in html
    confirm(member_client, ADD_EXTERNAL, step)
    saved = Beneficiary.objects.get()
    assert (saved.kind, saved.institution, saved.account_type) == (
        "external",
        pichincha,
        "checking",
    )
    assert (saved.name, saved.id_number) == ("ANA LUCÍA TORRES", "1710034065")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"identificacion": "1710034066"}, "El número de cédula no es válido."),
        ({"tipo_identificacion": "ruc", "identificacion": "17100"}, "RUC no es válido"),
        ({"numero_cuenta": "12ab"}, "entre 6 y 20 dígitos"),
        ({"tipo_cuenta": "plazo"}, "Ahorros o Corriente"),
        ({"entidad": "999999"}, "Selecciona una entidad financiera de la lista."),
        ({"nombre": ""}, "Ingresa el nombre del beneficiario."),
        ({"correo": "ana@"}, "Ingresa un correo electrónico válido."),
    ],
)
def test_bad_data_at_another_bank_is_refused(member_client, pichincha, overrides, message):
    response = submit(member_client, ADD_EXTERNAL, **external_data(pichincha, **overrides))
    assert message in response.content.decode()
    assert not Beneficiary.objects.exists()


def test_adding_from_a_transfer_comes_back_to_it(member_client, gabriel_savings):
    url = f"{ADD_INTERNAL}?next=%2Ftransferencias%2Fcooprogreso%2F"
    form = member_client.get(url).content.decode()
    assert 'href="/transferencias/cooprogreso/"' in form  # "Cancelar" returns there
    assert f'action="{url}"' in form  # and every step remembers it
    step = submit(member_client, url, numero_cuenta=gabriel_savings.number)
    assert f'action="{url}"' in step.content.decode()
    done = confirm(member_client, url, step).content.decode()
    saved = Beneficiary.objects.get()
    assert f'href="/transferencias/cooprogreso/?beneficiario={saved.public_id}"' in done
    assert '<a class="btn btn-primary" href="/transferencias/cooprogreso/">Cerrar</a>' in done


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "javascript:x", "/salir/?evil"]
)
def test_next_only_returns_to_a_transfer(member_client, target):
    form = member_client.get(ADD_INTERNAL, {"next": target}).content.decode()
    assert "evil" not in form and "javascript:" not in form
    assert 'href="/beneficiarios/?tab=cooprogreso"' in form


def test_the_transfer_form_offers_to_add_a_beneficiary(member_client, savings):
    html = member_client.get("/transferencias/cooprogreso/").content.decode()
    assert "Agregar nuevo beneficiario" in html
    assert f"{ADD_INTERNAL}?next=%2Ftransferencias%2Fcooprogreso%2F" in html
    html = member_client.get("/transferencias/interbancarias/").content.decode()
    assert f"{ADD_EXTERNAL}?next=%2Ftransferencias%2Finterbancarias%2F" in html


def test_edit_alias_and_email_with_the_code(member_client, gabriel):
    url = f"/beneficiarios/{gabriel.public_id}/editar/"
    form = member_client.get(url).content.decode()
    assert "Actualizar cuenta" in form and "gabriel@example.com" in form
    step = submit(member_client, url, correo="nuevo@example.com", alias="Gabito")
    assert "Confirmar actualización" in step.content.decode()
    gabriel.refresh_from_db()
    assert gabriel.alias == ""  # not before the code
    done = confirm(member_client, url, step).content.decode()
    assert "Datos guardados exitosamente." in done
    gabriel.refresh_from_db()
    assert (gabriel.alias, gabriel.email) == ("Gabito", "nuevo@example.com")


def test_editing_a_beneficiary_removed_meanwhile_says_so(member_client, gabriel):
    url = f"/beneficiarios/{gabriel.public_id}/editar/"
    step = submit(member_client, url, alias="Gabito")
    from transfers.beneficiaries import beneficiary_delete

    beneficiary_delete(beneficiary=gabriel)  # in another window, while the code travels
    done = confirm(member_client, url, step)
    assert done.status_code == 200
    assert "Este beneficiario ya no está en tu lista." in done.content.decode()
    gabriel.refresh_from_db()
    assert gabriel.alias == ""


def test_delete_with_si_eliminar_and_the_code(member_client, gabriel):
    url = f"/beneficiarios/{gabriel.public_id}/eliminar/"
    form = member_client.get(url).content.decode()
    assert "Sí, eliminar" in form and gabriel.name in form
    step = submit(member_client, url)
    gabriel.refresh_from_db()
    assert gabriel.deleted_at is None
    done = confirm(member_client, url, step).content.decode()
    assert "Beneficiario eliminado." in done
    gabriel.refresh_from_db()
    assert gabriel.deleted_at is not None
    assert gabriel.name not in member_client.get(LIST).content.decode()
    assert member_client.get(url).status_code == 404  # already removed


def test_another_members_beneficiary_is_not_found(member_client, transfer_catalog):
    stranger = MemberFactory()
    account = open_funded(MemberFactory(), amount="0")
    theirs = beneficiary_add_internal(member=stranger, account_number=account.number)
    for action in ("editar", "eliminar"):
        url = f"/beneficiarios/{theirs.public_id}/{action}/"
        assert member_client.get(url).status_code == 404
        assert submit(member_client, url, alias="mío").status_code == 404
    html = member_client.get("/transferencias/cooprogreso/", {"beneficiario": theirs.public_id})
    assert str(theirs.public_id) not in html.content.decode()
    theirs.refresh_from_db()
    assert theirs.deleted_at is None and theirs.alias == ""


def test_an_operation_of_one_page_cannot_be_confirmed_on_another(
    member_client, gabriel, gabriel_savings, pichincha
):
    step = submit(member_client, ADD_EXTERNAL, **external_data(pichincha))
    forged = member_client.post(
        ADD_INTERNAL, {"step": "confirm", "op": op_id(step), "answer": last_code()}
    )
    assert forged.status_code == 404
    assert Beneficiary.objects.count() == 1


def test_signed_out_visitors_are_sent_to_sign_in(client):
    for url in (LIST, ADD_INTERNAL, ADD_EXTERNAL):
        assert client.get(url)["Location"].startswith("/ingresar/")
    assert client.post("/beneficiarios/validar/", {"numero_cuenta": "1"}).status_code == 302


def test_a_new_beneficiarys_first_transfer_says_why_it_is_capped(
    member_client, member, savings, gabriel_savings
):
    fresh = beneficiary_add_internal(member=member, account_number=gabriel_savings.number)
    url = "/transferencias/cooprogreso/"
    step = submit(member_client, url, origen=savings.public_id, destino=fresh.public_id, monto="20")
    html = step.content.decode()
    assert "Registraste este beneficiario hace poco" in html and "$500.00 en total" in html

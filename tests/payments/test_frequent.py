""" "Pagos frecuentes": a member saves a biller and reference with an alias, finds it by
category or service, pays it with one click or removes it — only their own."""

import re

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from accounts.models import AuditEvent
from accounts.operations import Actor
from payments.catalog import payment_catalog_load
from payments.frequent import (
    AlreadySaved,
    SavedServiceError,
    member_saved_services,
    saved_service_add,
    saved_service_remove,
)
from payments.models import Biller, SavedService, ServiceCategory

PAGE = "/pagos/frecuentes/"


@pytest.fixture
def catalog(db):
    payment_catalog_load(cooperative_slug="cooprogreso")


@pytest.fixture
def water(catalog):
    return Biller.objects.get(code="EPAM-MANTA-CUPON")


@pytest.fixture
def topup(catalog):
    return Biller.objects.get(code="CNT-RECARGA-PAQUETE")


@pytest.fixture
def saved_water(member, water):
    return saved_service_add(
        member=member, biller=water, reference="410112060750", alias="Agua casa"
    )


def delete_url(saved: SavedService) -> str:
    return f"/pagos/frecuentes/{saved.public_id}/eliminar/"


# The services ---------------------------------------------------------------------------


def test_a_member_saves_a_service_with_an_alias(member, water):
    saved = saved_service_add(
        member=member, biller=water, reference=" 410112060750 ", alias="  Agua   de la casa "
    )
    assert (saved.reference, saved.alias) == ("410112060750", "Agua de la casa")
    assert list(member_saved_services(member=member)) == [saved]


def test_it_refuses_a_reference_the_biller_refuses_with_its_message(member, water, topup):
    with pytest.raises(SavedServiceError) as refused:
        saved_service_add(member=member, biller=water, reference="123", alias="Agua")
    assert refused.value.message == "CONTRATO/CÉDULA/RUC debe tener al menos 4 caracteres"
    with pytest.raises(SavedServiceError) as refused:
        saved_service_add(member=member, biller=topup, reference="0812345678", alias="Mamá")
    assert refused.value.message == "NUMERO CELULAR debe tener 10 caracteres numeros"
    assert not SavedService.objects.exists()


def test_it_refuses_the_same_service_twice_whatever_the_alias(member, water, saved_water):
    with pytest.raises(AlreadySaved) as refused:
        saved_service_add(member=member, biller=water, reference="410112060750 ", alias="Otra")
    assert refused.value.message == "Ya guardaste este servicio."
    assert SavedService.objects.count() == 1


def test_another_member_may_save_the_same_service(member, other_member, water, saved_water):
    saved_service_add(member=other_member, biller=water, reference="410112060750", alias="Agua")
    assert [s.alias for s in member_saved_services(member=member)] == ["Agua casa"]
    assert [s.alias for s in member_saved_services(member=other_member)] == ["Agua"]


def test_an_alias_holds_at_most_30_characters(member, water):
    with pytest.raises(SavedServiceError) as refused:
        saved_service_add(member=member, biller=water, reference="4101", alias="A" * 31)
    assert refused.value.message == "El alias debe tener como máximo 30 caracteres."
    assert saved_service_add(member=member, biller=water, reference="4101", alias="A" * 30)


def test_a_service_no_longer_offered_cannot_be_saved(member, water):
    Biller.objects.filter(pk=water.pk).update(is_active=False)
    water.refresh_from_db()
    with pytest.raises(SavedServiceError, match="Este servicio no está disponible"):
        saved_service_add(member=member, biller=water, reference="4101", alias="Agua")


def test_saving_and_removing_are_in_the_members_activity(member, water):
    by = Actor(user=member.user, owner=member)
    saved = saved_service_add(
        member=member, biller=water, reference="410112060750", alias="Agua casa", by=by
    )
    saved_service_remove(member=member, public_id=saved.public_id, by=by)
    events = AuditEvent.objects.filter(user=member.user).order_by("seq")
    assert [(e.event, e.data["alias"]) for e in events] == [
        ("saved_service_added", "Agua casa"),
        ("saved_service_removed", "Agua casa"),
    ]
    assert not SavedService.objects.exists()


def test_only_the_owner_removes_a_saved_service(member, other_member, saved_water):
    with pytest.raises(Http404):
        saved_service_remove(member=other_member, public_id=saved_water.public_id)
    assert SavedService.objects.filter(pk=saved_water.pk).exists()


def test_the_list_filters_by_category_and_service_and_hides_what_cannot_be_paid(
    member, water, topup, saved_water
):
    mobile = saved_service_add(member=member, biller=topup, reference="0963243788", alias="mamá")
    other_water = Biller.objects.get(code="AGUA-HUAQUILLAS")
    beach = saved_service_add(member=member, biller=other_water, reference="88771", alias="Playa")
    assert list(member_saved_services(member=member)) == [saved_water, mobile, beach]
    assert list(member_saved_services(member=member, category=water.category)) == [
        saved_water,
        beach,
    ]
    assert list(member_saved_services(member=member, biller=topup)) == [mobile]
    Biller.objects.filter(pk=other_water.pk).update(is_active=False)
    ServiceCategory.objects.filter(pk=topup.category_id).update(is_active=False)
    assert list(member_saved_services(member=member)) == [saved_water]


# The page -------------------------------------------------------------------------------


def rows(html: str) -> list[list[str]]:
    """The text of each cell of the list's rows, the actions left out."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in html else ""
    return [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<td data-label[^>]*>(.*?)</td>", row, re.S)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def test_the_page_lists_the_members_saved_services_each_with_pagar(
    member_client, member, other_member, water, topup, saved_water
):
    mobile = saved_service_add(member=member, biller=topup, reference="0963243788", alias="")
    saved_service_add(member=other_member, biller=water, reference="99999", alias="Ajeno")
    response = member_client.get(PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Pagos frecuentes</h1>" in html
    for heading in ("Alias", "Servicio", "Categoría", "Referencia"):
        assert f"<th>{heading}</th>" in html
    assert rows(html) == [
        ["RECARGAS CNT PAQUETE", "RECARGAS CNT PAQUETE", "Recargas", "0963243788"],
        ["Agua casa", "AGUA EPAM - MANTA - CUPON", "AGUA", "410112060750"],
    ]
    assert f'href="/pagos/nuevo/?frecuente={saved_water.public_id}"' in html
    assert f'href="/pagos/nuevo/?frecuente={mobile.public_id}"' in html
    assert f'action="{delete_url(saved_water)}"' in html
    assert "Ajeno" not in html and "99999" not in html


def test_the_page_filters_by_category_and_by_service(member_client, member, topup, saved_water):
    saved_service_add(member=member, biller=topup, reference="0963243788", alias="Mamá")
    html = member_client.get(PAGE, {"categoria": saved_water.biller.category_id}).content.decode()
    assert [r[0] for r in rows(html)] == ["Agua casa"]
    # Within a category, the services offered are that category's.
    assert "AGUA HUAQUILLAS</option>" in html and "RECARGAS CNT PAQUETE</option>" not in html
    html = member_client.get(PAGE, {"servicio": topup.public_id}).content.decode()
    assert [r[0] for r in rows(html)] == ["Mamá"]
    html = member_client.get(
        PAGE, {"categoria": topup.category_id, "servicio": saved_water.biller.public_id}
    ).content.decode()
    assert [r[0] for r in rows(html)] == ["Mamá"]  # a service of another category: ignored
    html = member_client.get(
        PAGE, {"categoria": saved_water.biller.category_id, "servicio": topup.public_id}
    ).content.decode()
    assert [r[0] for r in rows(html)] == ["Agua casa"]


def test_a_filter_that_names_nothing_shows_everything(member_client, member, topup, saved_water):
    saved_service_add(member=member, biller=topup, reference="0963243788", alias="Mamá")
    for query in ({"categoria": "x"}, {"servicio": "nada"}, {"categoria": "999999"}):
        assert len(rows(member_client.get(PAGE, query).content.decode())) == 2


def test_the_page_says_how_to_save_a_service_when_there_is_none(member_client, catalog):
    html = member_client.get(PAGE).content.decode()
    assert "Aún no tienes pagos frecuentes." in html and "<table" not in html
    water = ServiceCategory.objects.get(name="AGUA", cooperative__slug="cooprogreso")
    html = member_client.get(PAGE, {"categoria": water.pk}).content.decode()
    assert "Ningún pago frecuente coincide con tu búsqueda." in html


def test_eliminar_removes_the_members_own_saved_service(member_client, saved_water):
    response = member_client.post(delete_url(saved_water), follow=True)
    assert response.redirect_chain == [(PAGE, 302)]
    assert "Eliminaste «Agua casa» de tus pagos frecuentes." in response.content.decode()
    assert not SavedService.objects.exists()
    assert member_client.post(delete_url(saved_water)).status_code == 404  # a second tab


def test_eliminar_needs_a_post(member_client, saved_water):
    assert member_client.get(delete_url(saved_water)).status_code == 405
    assert SavedService.objects.filter(pk=saved_water.pk).exists()


def test_another_members_saved_service_is_a_404(client, other_member, saved_water):
    client.force_login(other_member.user)
    assert client.post(delete_url(saved_water)).status_code == 404
    assert SavedService.objects.filter(pk=saved_water.pk).exists()
    assert "Agua casa" not in client.get(PAGE).content.decode()


def test_the_list_page_reads_the_same_number_of_queries_for_any_number_of_rows(
    member_client, member, water, topup
):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert member_client.get(PAGE).status_code == 200
        return len(captured)

    saved_service_add(member=member, biller=water, reference="1001", alias="Uno")
    queries()  # the first request of the process reads the catalogs and the profile
    one = queries()
    for n, biller in enumerate(Biller.objects.exclude(mode="amount")[:6]):
        saved_service_add(member=member, biller=biller, reference=f"20{n}99", alias=f"Otro {n}")
    saved_service_add(member=member, biller=topup, reference="0963243788", alias="Mamá")
    assert len(member_saved_services(member=member)) >= 7
    assert queries() == one

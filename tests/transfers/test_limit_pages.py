"""Personalización de Cupos: the member lowers their own limits with the code, never past
the cooperative's, and the next transfer is checked against them."""

from decimal import Decimal

import pytest
from django.core import mail

from tests.auth import last_code, op_id
from transfers.limits import member_limits
from transfers.models import MemberLimit, TransferKind

pytestmark = pytest.mark.usefixtures("transfer_catalog")

URL = "/cupos/"
COOP = {  # transfers.catalog.LIMITS
    "internal": ("3000.00", "10000.00", "20000.00"),
    "interbank": ("2000.00", "5000.00", "10000.00"),
}


def data(**overrides):
    values = {
        f"{kind}_{period}": amount
        for kind, amounts in COOP.items()
        for period, amount in zip(("daily", "weekly", "monthly"), amounts, strict=True)
    }
    return {"step": "form", **values, **overrides}


def test_the_page_shows_the_cooperatives_maximums(member_client):
    html = member_client.get(URL).content.decode()
    assert "Personalización de Cupos" in html
    assert "Transferencias Cooprogreso" in html and "Transferencias Interbancarias" in html
    for text in ("Monto diario", "Monto semanal", "Monto mensual", "Máximo $3,000.00"):
        assert text in html
    assert (
        "Recuerda, los valores que configures no deberán superar los límites máximos "
        "establecidos por Cooprogreso."
    ) in html
    assert "Guardar cambios" in html
    assert 'value="2000.00"' in html  # today's limits, the cooperative's until lowered


def test_services_links_to_the_page(member_client):
    assert 'href="/cupos/"' in member_client.get("/servicios/").content.decode()


def test_lower_limits_with_the_code(member_client, member):
    step = member_client.post(URL, data(interbank_daily="150.00", interbank_weekly="600"))
    html = step.content.decode()
    assert "Transferencias Interbancarias — monto diario" in html and "$150.00" in html
    assert not MemberLimit.objects.exists()  # nothing before the code
    done = member_client.post(URL, {"step": "confirm", "op": op_id(step), "answer": last_code()})
    assert "El proceso se realizó correctamente." in done.content.decode()
    assert any("se actualizaron tus cupos" in m.body for m in mail.outbox)
    mine = member_limits(member=member, kind=TransferKind.INTERBANK)
    assert (mine.daily, mine.weekly, mine.monthly) == (
        Decimal("150.00"),
        Decimal("600.00"),
        Decimal("10000.00"),
    )
    # The internal limits were left as the cooperative's: no row of the member's own.
    assert list(MemberLimit.objects.values_list("kind", flat=True)) == ["interbank"]
    assert 'value="150.00"' in member_client.get(URL).content.decode()


def test_back_to_the_cooperatives_limits_removes_the_members_own(member_client, member):
    MemberLimit.objects.create(member=member, kind="interbank", daily=10, weekly=20, monthly=30)
    step = member_client.post(URL, data())
    member_client.post(URL, {"step": "confirm", "op": op_id(step), "answer": last_code()})
    assert not MemberLimit.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"interbank_daily": "2000.01"}, "no puede superar el límite máximo ($2,000.00)"),
        ({"internal_monthly": "-1"}, "no puede ser negativo"),
        ({"internal_daily": "10.005"}, "hasta dos decimales"),
        ({"internal_daily": "2e1"}, "Ingresa un monto válido"),
        ({"internal_daily": "abc"}, "Ingresa un monto válido"),
        ({"interbank_weekly": ""}, "Ingresa el monto semanal."),
        (
            {"interbank_daily": "900", "interbank_weekly": "800"},
            "diario no puede superar el semanal",
        ),
        ({"internal_weekly": "20000.01"}, "no puede superar el límite máximo ($10,000.00)"),
        ({"internal_monthly": "9000"}, "semanal no puede superar el mensual"),
        ({}, "No cambiaste ningún monto."),
    ],
)
def test_refusals_change_nothing(member_client, overrides, message):
    html = member_client.post(URL, data(**overrides)).content.decode()
    assert message in html
    assert not MemberLimit.objects.exists()


def test_a_transfer_past_the_members_own_limit_is_refused(member_client, member, savings, carlos):
    step = member_client.post(URL, data(interbank_daily="5.00"))
    member_client.post(URL, {"step": "confirm", "op": op_id(step), "answer": last_code()})
    refused = member_client.post(
        "/transferencias/interbancarias/",
        {"step": "form", "origen": savings.public_id, "destino": carlos.public_id, "monto": "6"},
    )
    assert "El monto supera tu cupo diario de $5.00" in refused.content.decode()


def test_without_limits_to_customize_the_page_says_so(member_client):
    from transfers.models import TransferLimit

    TransferLimit.objects.exclude(kind="own").delete()
    html = member_client.get(URL).content.decode()
    assert "no tiene cupos de transferencias que puedas personalizar" in html
    step = member_client.post(URL, {"step": "form"}).content.decode()
    assert "no tiene cupos de transferencias que puedas personalizar" in step
    assert 'name="op"' not in step  # no code was asked for

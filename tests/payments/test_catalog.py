"""Each cooperative's catalog of billers: loaded with its profile, found by "Buscar
servicio" whatever the accents, and kept by staff in the admin."""

from decimal import Decimal

import pytest
from django.http import Http404

from core.models import Cooperative
from ledger.fees import fee_quote
from ledger.models import Tariff
from payments.catalog import payment_catalog_load
from payments.models import Biller, ServiceCategory
from payments.selectors import biller_get, billers_search, service_categories

ECUADOR_CATEGORIES = [
    "AGUA",
    "LUZ",
    "TELEFONÍA",
    "Recargas",
    "Municipios",
    "Bomberos",
    "Catálogo",
    "Compras",
    "Consejo Nacional Electoral",
    "Entidades Financieras",
    "Iess",
    "Medio de pago",
]
PANAMA_BILLERS = {
    "Cable Wireless",
    "+ Móvil",
    "ENSA",
    "Telefónica (Movistar)",
    "Digicel",
    "Claro",
    "ENA (Panapass)",
    "Sonda (Metrobus y Metro)",
    "Municipio de Panamá",
    "Aseo Capital",
    "ATTT",
    "Cable Onda",
    "Naturgy (Unión Fenosa)",
    "Telefonía celular",
    "Seguros",
}


@pytest.fixture
def catalog(db):
    payment_catalog_load(cooperative_slug="cooprogreso")


def biller(name: str, slug: str = "cooprogreso") -> Biller:
    return Biller.objects.get(name=name, category__cooperative__slug=slug)


def test_cooprogreso_gets_the_manuals_categories_each_with_its_billers(db):
    count = payment_catalog_load(cooperative_slug="cooprogreso")
    categories = service_categories()
    assert [c.name for c in categories] == ECUADOR_CATEGORIES
    assert all(c.active_billers for c in categories)
    assert count == sum(len(c.active_billers) for c in categories)
    water = next(c for c in categories if c.name == "AGUA")
    assert {b.name for b in water.active_billers} == {
        "AGUA EPMAPA PEDERNALES",
        "AGUA EPAM - MANTA - CUPON",
        "ROCAFUERTE EPAPAR - AGUA",
        "AGUA HUAQUILLAS",
    }


def test_a_water_bill_asks_for_its_reference_with_the_manuals_message(catalog):
    water = biller("AGUA EPAM - MANTA - CUPON")
    assert water.mode == Biller.Mode.BILLS
    assert water.reference_error("123") == "CONTRATO/CÉDULA/RUC debe tener al menos 4 caracteres"
    assert water.reference_error("410112060750") == ""
    assert biller("AGUA EPMAPA PEDERNALES").reference_label == "NUMERO DE CUENTA"


def test_a_phone_top_up_takes_an_amount_from_1_to_50_for_a_mobile_number(catalog):
    topup = biller("RECARGAS CNT PAQUETE")
    assert topup.category.name == "Recargas"
    assert topup.mode == Biller.Mode.AMOUNT
    assert (topup.min_amount, topup.max_amount) == (Decimal("1.00"), Decimal("50.00"))
    assert topup.reference_label == "NUMERO CELULAR"
    message = "NUMERO CELULAR debe tener 10 caracteres numeros"
    assert topup.reference_error("0812345678") == message
    assert topup.reference_error("0963243788") == ""


def test_the_water_bill_costs_the_manuals_commission_and_other_billers_the_general_one(catalog):
    water = fee_quote(Tariff.Code.BILL_PAYMENT, subject=biller("AGUA HUAQUILLAS").code)
    assert (water.commission, water.iva, water.total) == (Decimal("0.31"), 0, Decimal("0.31"))
    assert Decimal("7.13") + water.total == Decimal("7.44")
    topup = fee_quote(Tariff.Code.BILL_PAYMENT, subject=biller("RECARGAS CNT PAQUETE").code)
    assert topup.total == Decimal("0.00")
    assert Tariff.objects.filter(code=Tariff.Code.BILL_PAYMENT, subject="").count() == 1


def test_loading_again_changes_nothing_and_keeps_what_staff_edited(catalog):
    water = biller("AGUA HUAQUILLAS")
    water.name = "AGUA HUAQUILLAS (EMAPAH)"
    water.save()
    ServiceCategory.objects.filter(name="Iess").update(position=1)
    tariff = Tariff.objects.get(code=Tariff.Code.BILL_PAYMENT, subject="AGUA-HUAQUILLAS")
    tariff.commission = Decimal("0.35")
    tariff.save()
    before = (Biller.objects.count(), ServiceCategory.objects.count(), Tariff.objects.count())

    payment_catalog_load(cooperative_slug="cooprogreso")

    assert (Biller.objects.count(), ServiceCategory.objects.count(), Tariff.objects.count()) == (
        before
    )
    assert Biller.objects.get(pk=water.pk).name == "AGUA HUAQUILLAS (EMAPAH)"
    assert ServiceCategory.objects.get(name="Iess").position == 1
    tariff.refresh_from_db()
    assert tariff.commission == Decimal("0.35")


def test_the_panamanian_profile_gets_the_billers_its_manual_names(catalog):
    payment_catalog_load(cooperative_slug="cooprofesionales-pa")
    payment_catalog_load(cooperative_slug="cooprofesionales-pa")
    panama = Cooperative.objects.get(slug="cooprofesionales-pa")
    names = set(Biller.objects.filter(category__cooperative=panama).values_list("name", flat=True))
    assert names == PANAMA_BILLERS
    movistar = biller("Telefónica (Movistar)", "cooprofesionales-pa")
    assert movistar.mode == Biller.Mode.AMOUNT
    assert movistar.reference_error("61234567") == ""
    # Cooprogreso is the active profile: its members see only its own catalog.
    assert "AGUA" in [c.name for c in service_categories()]
    assert service_categories(cooperative=panama)[0].name == "Servicios de la Cooperativa"
    assert [b.name for b in billers_search(text="claro")] == [
        "CLARO PLANES POSPAGO",
        "RECARGAS CLARO",
    ]


def test_the_bolivian_profile_shares_cooprogresos_catalog_under_its_own_rows(catalog):
    count = payment_catalog_load(cooperative_slug="progreso-bo")
    bolivia = Cooperative.objects.get(slug="progreso-bo")
    assert [c.name for c in service_categories(cooperative=bolivia)] == ECUADOR_CATEGORIES
    assert count == Biller.objects.filter(category__cooperative__slug="cooprogreso").count()
    assert biller("RECARGAS CNT PAQUETE", "progreso-bo") != biller("RECARGAS CNT PAQUETE")


def test_a_cooperative_without_a_catalog_loads_nothing(db):
    assert payment_catalog_load(cooperative_slug="sin-catalogo") == 0
    assert not Biller.objects.exists()


def test_the_catalog_hides_inactive_categories_and_billers_in_two_queries(
    catalog, django_assert_num_queries
):
    ServiceCategory.objects.filter(name="Bomberos").update(is_active=False)
    Biller.objects.filter(name="AGUA HUAQUILLAS").update(is_active=False)
    with django_assert_num_queries(2):
        categories = service_categories()
        water = [b.name for b in categories[0].active_billers]
    assert "Bomberos" not in [c.name for c in categories]
    assert "AGUA HUAQUILLAS" not in water and len(water) == 3


def test_buscar_servicio_ignores_accents_and_case(catalog):
    payment_catalog_load(cooperative_slug="cooprofesionales-pa")
    assert [b.name for b in billers_search(text="rocafuerte epapar")] == [
        "ROCAFUERTE EPAPAR - AGUA"
    ]
    assert [b.name for b in billers_search(text="  Agua   Manta ")] == ["AGUA EPAM - MANTA - CUPON"]
    assert [b.name for b in billers_search(text="TELEFONÍA")] == ["CNT TELEFONIA FIJA"]
    panama = Cooperative.objects.get(slug="cooprofesionales-pa")
    assert [b.name for b in billers_search(text="movil", cooperative=panama)] == ["+ Móvil"]
    assert [b.name for b in billers_search(text="PANAMA", cooperative=panama)] == [
        "Municipio de Panamá"
    ]


def test_buscar_servicio_within_a_category_and_with_no_text(catalog):
    recargas = ServiceCategory.objects.get(name="Recargas", cooperative__slug="cooprogreso")
    assert [b.name for b in billers_search(text="", category=recargas)] == [
        "RECARGAS CLARO",
        "RECARGAS CNT PAQUETE",
        "RECARGAS MOVISTAR",
    ]
    assert billers_search(text="agua", category=recargas) == []
    Biller.objects.filter(name="RECARGAS CLARO").update(is_active=False)
    assert len(billers_search(text="recargas")) == 2


def test_a_biller_is_found_by_its_public_id_only_while_members_can_pay_it(catalog):
    water = biller("AGUA HUAQUILLAS")
    assert biller_get(public_id=water.public_id) == water
    assert biller_get(public_id=str(water.public_id)).category.name == "AGUA"
    payment_catalog_load(cooperative_slug="cooprofesionales-pa")
    with pytest.raises(Http404):  # another cooperative's, not the active one
        biller_get(public_id=biller("ENSA", "cooprofesionales-pa").public_id)
    Biller.objects.filter(pk=water.pk).update(is_active=False)
    with pytest.raises(Http404):
        biller_get(public_id=water.public_id)


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


def biller_form(category: ServiceCategory, **changes) -> dict:
    data = {
        "category": category.pk,
        "code": "EMAPAL",
        "name": "AGUA EMAPAL AZOGUES",
        "mode": "bills",
        "is_active": "on",
        "reference_label": "CONTRATO/CÉDULA/RUC",
        "reference_min_length": "4",
        "reference_max_length": "20",
        "reference_pattern": "",
        "reference_message": "",
        "min_amount": "",
        "max_amount": "",
        "payable_book": "BILLER_PAYABLE",
    }
    return {**data, **changes}


def test_staff_see_the_catalog_and_find_a_biller_by_name_or_code(staff_client, catalog):
    water = ServiceCategory.objects.get(name="AGUA", cooperative__slug="cooprogreso")
    assert staff_client.get("/admin/payments/servicecategory/").status_code == 200
    page = staff_client.get(f"/admin/payments/servicecategory/{water.pk}/change/")
    assert page.status_code == 200 and "AGUA EPAM - MANTA - CUPON" in page.content.decode()
    found = staff_client.get("/admin/payments/biller/", {"q": "epam"}).content.decode()
    assert "AGUA EPAM - MANTA - CUPON" in found and "AGUA HUAQUILLAS" not in found
    found = staff_client.get("/admin/payments/biller/", {"q": "CNT-RECARGA"}).content.decode()
    assert "RECARGAS CNT PAQUETE" in found
    filtered = staff_client.get(
        "/admin/payments/biller/", {"category__id__exact": water.pk, "mode__exact": "bills"}
    ).content.decode()
    assert "AGUA HUAQUILLAS" in filtered and "RECARGAS CNT PAQUETE" not in filtered
    topup = biller("RECARGAS CNT PAQUETE")
    page = staff_client.get(f"/admin/payments/biller/{topup.pk}/change/").content.decode()
    assert "AGUA · Cooprogreso" in page  # each cooperative's categories told apart


def test_staff_add_a_biller(staff_client, catalog):
    water = ServiceCategory.objects.get(name="AGUA", cooperative__slug="cooprogreso")
    response = staff_client.post("/admin/payments/biller/add/", biller_form(water))
    assert response.status_code == 302
    added = Biller.objects.get(code="EMAPAL")
    assert added.category == water and added.public_id and added.payable_book == "BILLER_PAYABLE"
    assert [b.name for b in billers_search(text="azogues")] == ["AGUA EMAPAL AZOGUES"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"mode": "amount"}, "Una recarga necesita monto mínimo y monto máximo."),
        (
            {"mode": "amount", "min_amount": "20.00", "max_amount": "5.00"},
            "El monto mínimo debe ser mayor a cero y no superar el máximo.",
        ),
        ({"reference_pattern": "09[0-9"}, "La expresión no es válida."),
        (
            {"reference_min_length": "12", "reference_max_length": "10"},
            "El largo máximo no puede ser menor que el mínimo.",
        ),
        ({"payable_book": "NO_SUCH_BOOK"}, "Escoja una opción válida."),
    ],
)
def test_the_admin_shows_why_a_biller_is_refused(staff_client, catalog, changes, message):
    water = ServiceCategory.objects.get(name="AGUA", cooperative__slug="cooprogreso")
    response = staff_client.post("/admin/payments/biller/add/", biller_form(water, **changes))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Biller.objects.filter(code="EMAPAL").exists()


def test_staff_order_and_switch_off_categories_from_the_list(staff_client, catalog):
    rows = list(ServiceCategory.objects.filter(cooperative__slug="cooprogreso"))
    data = {
        "form-TOTAL_FORMS": str(len(rows)),
        "form-INITIAL_FORMS": str(len(rows)),
        "_save": "Guardar",
    }
    for n, category in enumerate(rows):
        data[f"form-{n}-id"] = category.pk
        data[f"form-{n}-position"] = str(category.position)
        if category.name != "Bomberos":
            data[f"form-{n}-is_active"] = "on"
    response = staff_client.post("/admin/payments/servicecategory/", data)
    assert response.status_code == 302
    assert "Bomberos" not in [c.name for c in service_categories()]


def test_staff_set_a_billers_own_tariff(staff_client, catalog):
    listing = staff_client.get("/admin/ledger/tariff/", {"q": "EPAM"}).content.decode()
    assert "EPAM-MANTA-CUPON" in listing
    response = staff_client.post(
        "/admin/ledger/tariff/add/",
        {
            "code": "bill_payment",
            "subject": "CNT-RECARGA-PAQUETE",
            "valid_from": "2025-01-01",
            "commission": "0.10",
            "iva_rate": "0.1500",
            "commission_description": "COMISIÓN PAGO DE SERVICIOS",
            "iva_description": "IVA PAGO DE SERVICIOS",
        },
    )
    assert response.status_code == 302
    quote = fee_quote(Tariff.Code.BILL_PAYMENT, subject="CNT-RECARGA-PAQUETE")
    assert (quote.commission, quote.iva) == (Decimal("0.10"), Decimal("0.02"))

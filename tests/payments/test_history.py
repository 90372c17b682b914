""" "Historial de pagos": María finds her paid, unconfirmed and refused bill payments —
scheduled and manual — by category, service, dates (at most three months back) and
code, opens each paid one's receipt and downloads the list; Gabriel's never show."""

import io
import itertools
import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from openpyxl import load_workbook

from ledger.books import book_account_id, books_open
from ledger.models import Channel, Kind, Posting
from ledger.services import Line, hold_place, hold_release, journal_post
from payments import views_history
from payments.history import (
    PaymentHistoryForm,
    PaymentHistoryQuery,
    history_oldest,
    member_payment_history,
    months_before,
)
from payments.models import Biller, BillPayment, ServiceCategory
from products import jobs, tasks
from products.catalog import product_types_load
from products.models import DocumentJob, ProductType, VerifiedDocument
from products.receipts import receipt_build
from products.services import cash_deposit, deposit_account_open
from tests.documents import pdf_text
from tests.factories import CompanyFactory

PAGE = "/pagos/historial/"
DOWNLOAD = "/pagos/historial/descargar/"
GUAYAQUIL = ZoneInfo("America/Guayaquil")
# The manual's example: a top-up on 24/ene./2026 at 17:16, listed from 25/dic./2025.
NOW = datetime(2026, 1, 24, 17, 16, tzinfo=GUAYAQUIL)
TODAY = NOW.date()

_keys = itertools.count(1)


@pytest.fixture(autouse=True)
def _the_manuals_day():
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def catalog(db, cooperative):
    books_open(currency="USD")
    product_types_load(cooperative_slug="cooprogreso")
    agua = ServiceCategory.objects.create(cooperative=cooperative, name="AGUA", position=1)
    recargas = ServiceCategory.objects.create(cooperative=cooperative, name="Recargas", position=2)
    return {
        "agua": agua,
        "recargas": recargas,
        "water": Biller.objects.create(
            category=agua, code="EPAM-MANTA-CUPON", name="AGUA EPAM - MANTA - CUPON"
        ),
        "topup": Biller.objects.create(
            category=recargas,
            code="CNT-RECARGA-PAQUETE",
            name="RECARGAS CNT PAQUETE",
            mode=Biller.Mode.AMOUNT,
            reference_label="NUMERO CELULAR",
            min_amount=Decimal("1.00"),
            max_amount=Decimal("50.00"),
        ),
    }


def open_funded(member):
    account = deposit_account_open(member=member, product_type=ProductType.objects.get(code="AHO"))
    cash_deposit(account=account, amount=Decimal("1000.00"), key=f"fund-{account.pk}")
    account.ledger_account.refresh_from_db()
    return account


@pytest.fixture
def savings(member, catalog):
    return open_funded(member)


@pytest.fixture
def gabriel_savings(other_member, catalog):
    return open_funded(other_member)


def bill_payment(
    origin,
    biller,
    *,
    state=BillPayment.State.PAID,
    reference="410112060750",
    amount="7.13",
    commission="0.31",
    days_ago=0,
    channel=Channel.WEB,
    schedule_id=None,
    bill_number="",
    description="",
):
    """A payment as the service leaves it: the total held first; then, paid, the hold
    captured by a balanced journal (the bill to the biller's payable book, the commission
    to fee income) naming the payment as its source; refused, the hold released;
    resolving, the hold kept."""
    amount, commission = Decimal(amount), Decimal(commission)
    key = f"history-test-{next(_keys)}"
    payment = BillPayment.objects.create(
        member=origin.member,
        origin=origin,
        biller=biller,
        reference=reference,
        bill_number=bill_number,
        description=description,
        amount=amount,
        commission=commission,
        total=amount + commission,
        currency="USD",
        key=key,
        channel=channel,
        schedule_id=schedule_id,
    )
    payment.hold = hold_place(
        account=origin.ledger_account,
        amount=payment.total,
        key=f"bill-hold:{key}",
        description=f"PAGO {biller.name}",
        source=payment,
    )
    if state == BillPayment.State.PAID:
        posted = journal_post(
            key=f"bill:{key}",
            kind=Kind.BILL_PAYMENT,
            channel=channel,
            source=payment,
            capture_holds=[payment.hold],
            lines=[
                Line.debit(origin.ledger_account, amount, f"PAGO {biller.name}"),
                Line.debit(origin.ledger_account, commission, "COMISIÓN PAGO DE SERVICIOS"),
                Line.credit(
                    book_account_id("BILLER_PAYABLE", "USD", spread=key), amount, biller.name
                ),
                Line.credit(
                    book_account_id("FEE_INCOME", "USD", spread=key),
                    commission,
                    "COMISIÓN PAGO DE SERVICIOS",
                ),
            ],
        )
        payment.journal_id = posted.journal_id
    elif state == BillPayment.State.REFUSED:
        hold_release(hold=payment.hold)
        payment.reason = "La empresa no aceptó el pago."
    payment.state = state
    payment.save()
    if days_ago:
        BillPayment.objects.filter(pk=payment.pk).update(created_at=NOW - timedelta(days=days_ago))
        payment.refresh_from_db()
    return payment


def query(**kwargs):
    defaults = {"date_from": TODAY - timedelta(days=30), "date_to": TODAY, "label": "Test"}
    return PaymentHistoryQuery(**{**defaults, **kwargs})


def found(member, **kwargs):
    return [
        row.payment for row in member_payment_history(member=member, query=query(**kwargs)).rows
    ]


def form(data, catalog=None):
    catalog = catalog or {}
    categories = [catalog[k] for k in ("agua", "recargas") if k in catalog]
    billers = [catalog[k] for k in ("water", "topup") if k in catalog]
    return PaymentHistoryForm(data, categories=categories, billers=billers, today=TODAY)


def rows_of(html: str) -> list[str]:
    """Each table row's text, its cells joined by " | "."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in html else ""
    rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)
    return [
        " | ".join(
            " ".join(re.sub(r"<[^>]+>", " ", cell).split())
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        )
        for row in rows
    ]


# The range -------------------------------------------------------------------------------


def test_three_months_back_keeps_the_day_or_the_shorter_months_last():
    assert months_before(date(2026, 1, 24), 3) == date(2025, 10, 24)
    assert months_before(date(2026, 5, 31), 3) == date(2026, 2, 28)
    assert months_before(date(2024, 5, 31), 3) == date(2024, 2, 29)
    assert months_before(date(2026, 2, 15), 3) == date(2025, 11, 15)
    assert history_oldest(TODAY) == date(2025, 10, 24)


def test_without_filters_it_shows_the_last_30_days(db):
    bound = form({})
    assert bound.is_valid(), bound.errors
    data = bound.cleaned_data
    assert (data["date_from"], data["date_to"]) == (date(2025, 12, 25), TODAY)
    assert data["label"] == "Últimos 30 días"


@pytest.mark.parametrize(
    ("period", "start", "end"),
    [
        ("hoy", TODAY, TODAY),
        ("ayer", date(2026, 1, 23), date(2026, 1, 23)),
        ("mes_anterior", date(2025, 12, 1), date(2025, 12, 31)),
    ],
)
def test_a_quick_range_wins_over_the_dates(db, period, start, end):
    bound = form({"periodo": period, "desde": "2025-11-01", "hasta": "2025-11-02"})
    assert bound.is_valid(), bound.errors
    assert (bound.cleaned_data["date_from"], bound.cleaned_data["date_to"]) == (start, end)


def test_personalizado_takes_the_dates_typed_and_fills_the_missing_one(db):
    both = form({"periodo": "personalizado", "desde": "2025-11-10", "hasta": "2025-12-05"})
    assert both.is_valid()
    assert (both.cleaned_data["date_from"], both.cleaned_data["date_to"]) == (
        date(2025, 11, 10),
        date(2025, 12, 5),
    )
    only_from = form({"desde": "2025-11-10"})
    assert only_from.is_valid()
    assert only_from.cleaned_data["date_to"] == TODAY
    only_to = form({"hasta": "2025-11-10"})
    assert only_to.is_valid()
    # 30 days before it would pass the three months: it starts on the oldest day allowed.
    assert only_to.cleaned_data["date_from"] == date(2025, 10, 24)


def test_it_refuses_a_date_more_than_three_months_back_with_the_manuals_note(db):
    refused = form({"periodo": "personalizado", "desde": "2025-10-23", "hasta": "2025-11-01"})
    assert not refused.is_valid()
    assert refused.non_field_errors() == [
        "Puedes consultar por rango de fechas hasta 3 meses de antigüedad de la fecha actual."
    ]
    assert form({"desde": "2025-10-24", "hasta": "2025-11-01"}).is_valid()
    assert not form({"hasta": "2025-10-01"}).is_valid()


def test_it_refuses_desde_after_hasta_and_a_day_after_today(db):
    backwards = form({"desde": "2026-01-10", "hasta": "2026-01-05"})
    assert not backwards.is_valid()
    assert backwards.non_field_errors() == [
        "La fecha desde no puede ser posterior a la fecha hasta."
    ]
    tomorrow = form({"desde": "2026-01-10", "hasta": "2026-01-25"})
    assert not tomorrow.is_valid()
    assert tomorrow.non_field_errors() == ["La fecha hasta no puede ser posterior a hoy."]


def test_the_filter_offers_the_catalog_with_the_manuals_empty_choices(catalog):
    page_form = form({}, catalog)
    assert page_form.fields["categoria"].choices[0] == ("", "Todos las Categorías")
    assert page_form.fields["servicio"].choices == [
        ("", "Todos los Servicios"),
        ("AGUA", [(catalog["water"].pk, "AGUA EPAM - MANTA - CUPON")]),
        ("Recargas", [(catalog["topup"].pk, "RECARGAS CNT PAQUETE")]),
    ]
    assert not form({"servicio": "999999"}, catalog).is_valid()


# The selector ---------------------------------------------------------------------------


def test_it_lists_the_members_payments_newest_first_within_the_range(savings, catalog):
    old = bill_payment(savings, catalog["water"], days_ago=40)
    week = bill_payment(savings, catalog["water"], days_ago=7, bill_number="001-0001")
    today = bill_payment(savings, catalog["topup"], reference="0963243788", amount="5.00")
    assert found(savings.member) == [today, week]
    assert found(savings.member, date_from=TODAY - timedelta(days=45)) == [today, week, old]
    assert found(savings.member, date_from=TODAY, date_to=TODAY) == [today]


def test_the_range_is_of_local_days(savings, catalog):
    # 23:30 in Guayaquil is already the next day in UTC: it still belongs to its own day.
    late = bill_payment(savings, catalog["water"])
    evening = datetime(2026, 1, 20, 23, 30, tzinfo=GUAYAQUIL)
    BillPayment.objects.filter(pk=late.pk).update(created_at=evening)
    day = date(2026, 1, 20)
    assert found(savings.member, date_from=day, date_to=day) == [late]
    assert found(savings.member, date_from=day + timedelta(days=1), date_to=TODAY) == []


def test_it_filters_by_category_and_service(savings, catalog):
    water = bill_payment(savings, catalog["water"])
    topup = bill_payment(savings, catalog["topup"], reference="0963243788", amount="5.00")
    assert found(savings.member, category_id=catalog["agua"].pk) == [water]
    assert found(savings.member, biller_id=catalog["topup"].pk) == [topup]
    assert (
        found(savings.member, category_id=catalog["agua"].pk, biller_id=catalog["topup"].pk) == []
    )


def test_codigo_finds_a_reference_a_bill_number_or_a_comprobante(savings, catalog):
    water = bill_payment(savings, catalog["water"], reference="410112060750", bill_number="R-77")
    topup = bill_payment(savings, catalog["topup"], reference="0963243788", amount="5.00")
    assert found(savings.member, code="410112060750") == [water]
    assert found(savings.member, code="0963") == []
    assert found(savings.member, code="r-77") == [water]
    assert found(savings.member, code=str(topup.journal_id)) == [topup]
    assert found(savings.member, code="nada") == []


def test_another_members_payments_never_appear(savings, gabriel_savings, catalog):
    mine = bill_payment(savings, catalog["water"])
    bill_payment(gabriel_savings, catalog["water"], reference="410112060751")
    assert found(savings.member) == [mine]
    theirs = bill_payment(gabriel_savings, catalog["topup"], reference="0991112223", amount="3.00")
    assert found(savings.member, code=str(theirs.journal_id)) == []


def test_scheduled_payments_say_programado_and_manual_ones_their_channel(savings, catalog):
    bill_payment(savings, catalog["water"], channel=Channel.SYSTEM, schedule_id=12)
    bill_payment(savings, catalog["topup"], reference="0963243788", channel=Channel.APP)
    bill_payment(savings, catalog["water"], reference="410112060752")
    history = member_payment_history(member=savings.member, query=query())
    assert [row.channel for row in history.rows] == ["Banca Web", "App", "Programado"]


def test_only_a_paid_payment_has_a_receipt_the_others_say_their_state(savings, catalog):
    paid = bill_payment(savings, catalog["water"], reference="410112060750")
    resolving = bill_payment(
        savings, catalog["water"], reference="410112060751", state=BillPayment.State.RESOLVING
    )
    refused = bill_payment(
        savings, catalog["water"], reference="410112060752", state=BillPayment.State.REFUSED
    )
    rows = {r.payment: r for r in member_payment_history(member=savings.member, query=query()).rows}
    assert (rows[resolving].state, rows[resolving].receipt_url) == ("Por confirmar", "")
    assert (rows[refused].state, rows[refused].receipt_url) == ("No realizado", "")
    assert rows[paid].state == ""
    debit = Posting.objects.filter(
        journal_id=paid.journal_id, account_id=savings.ledger_account_id, amount_minor__gt=0
    ).earliest("pk")
    assert rows[paid].receipt_url == (
        f"/cuentas/{savings.public_id}/movimientos/{debit.pk}/comprobante/"
    )
    assert rows[paid].reference == str(paid.journal_id)
    receipt = receipt_build(account=savings, posting_id=debit.pk)
    assert receipt.reference == str(paid.journal_id)


def test_a_long_history_is_cut_and_says_so(savings, catalog):
    for n in range(4):
        bill_payment(savings, catalog["water"], reference=f"41011206075{n}")
    history = member_payment_history(member=savings.member, query=query(), limit=3)
    assert len(history.rows) == 3 and history.truncated
    assert not member_payment_history(member=savings.member, query=query()).truncated


def test_a_companys_payments_are_its_own(catalog):
    company = CompanyFactory()
    account = open_funded(company)
    payment = bill_payment(account, catalog["water"], channel=Channel.ENTERPRISE)
    history = member_payment_history(member=company, query=query())
    assert [(r.payment, r.channel) for r in history.rows] == [(payment, "Empresas")]


# The page -------------------------------------------------------------------------------


def test_the_page_shows_the_manuals_filter_and_columns(member_client, savings, catalog):
    bill_payment(savings, catalog["topup"], reference="0963243788", amount="5.00")
    html = member_client.get(PAGE).content.decode()
    for label in (
        "Historial de pagos",
        "Todos las Categorías",
        "Todos los Servicios",
        "Fecha desde",
        "Fecha hasta",
        "Código",
        "Mes anterior",
        "Ayer",
        "Hoy",
        "Personalizado",
        "*Puedes consultar por rango de fechas hasta 3 meses de antigüedad de la fecha actual",
        "*Los campos no son obligatorios",
        "Consultar",
    ):
        assert label in html, label
    assert 'value="2025-12-25"' in html and 'value="2026-01-24"' in html
    assert 'min="2025-10-24"' in html and 'max="2026-01-24"' in html
    headers = re.findall(r"<th[^>]*>([^<]+)</th>", html)
    assert headers == [
        "Referencia",
        "Canal",
        "Fecha",
        "Servicio",
        "Descripción",
        "Total",
        "Acciones",
    ]
    [row] = rows_of(html)
    assert (
        row
        == "0963243788 | Banca Web | 24/01/2026 17:16 | RECARGAS CNT PAQUETE |  | $5.31 | Comprobante"
    )


def test_the_page_shows_each_state_and_links_the_receipt_of_a_paid_one(
    member_client, savings, catalog
):
    paid = bill_payment(savings, catalog["water"], reference="410112060750", days_ago=2)
    bill_payment(
        savings,
        catalog["water"],
        reference="410112060751",
        state=BillPayment.State.RESOLVING,
        days_ago=1,
    )
    bill_payment(
        savings, catalog["water"], reference="410112060752", state=BillPayment.State.REFUSED
    )
    html = member_client.get(PAGE).content.decode()
    rows = rows_of(html)
    assert [r.split(" | ")[0] for r in rows] == ["410112060752", "410112060751", "410112060750"]
    assert [r.rsplit(" | ", 1)[1] for r in rows] == ["No realizado", "Por confirmar", "Comprobante"]
    [link] = re.findall(r'<a href="(/cuentas/[^"]+)" aria-label="Ver comprobante (\d+)"', html)
    assert link[1] == str(paid.journal_id)
    receipt = member_client.get(link[0])
    assert receipt.status_code == 200
    assert str(paid.journal_id) in receipt.content.decode()


def test_the_page_filters_by_what_the_member_asks(member_client, savings, catalog):
    bill_payment(savings, catalog["water"], reference="410112060750", days_ago=35)
    bill_payment(savings, catalog["topup"], reference="0963243788", amount="5.00", days_ago=1)
    bill_payment(savings, catalog["water"], reference="410112060751")

    def references(params):
        return [
            r.split(" | ")[0] for r in rows_of(member_client.get(PAGE, params).content.decode())
        ]

    assert references({}) == ["410112060751", "0963243788"]
    assert references({"periodo": "ayer"}) == ["0963243788"]
    assert references({"periodo": "hoy"}) == ["410112060751"]
    assert references({"periodo": "mes_anterior"}) == ["410112060750"]
    assert references({"desde": "2025-12-01", "categoria": catalog["agua"].pk}) == [
        "410112060751",
        "410112060750",
    ]
    assert references({"desde": "2025-12-01", "servicio": catalog["topup"].pk}) == ["0963243788"]
    assert references({"desde": "2025-12-01", "codigo": " 410112060750 "}) == ["410112060750"]
    html = member_client.get(PAGE, {"codigo": "nada"}).content.decode()
    assert "No encontramos pagos con estos filtros." in html


def test_the_page_refuses_an_old_range_and_shows_no_rows(member_client, savings, catalog):
    bill_payment(savings, catalog["water"])
    response = member_client.get(PAGE, {"periodo": "personalizado", "desde": "2025-09-01"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'role="alert"' in html
    assert (
        "<p>Puedes consultar por rango de fechas hasta 3 meses de antigüedad de la fecha actual.</p>"
        in html
    )
    assert rows_of(html) == []
    backwards = member_client.get(PAGE, {"desde": "2026-01-20", "hasta": "2026-01-10"})
    assert "La fecha desde no puede ser posterior a la fecha hasta." in backwards.content.decode()


def test_the_page_never_shows_another_members_payments(
    client, member, other_member, savings, gabriel_savings, catalog
):
    bill_payment(gabriel_savings, catalog["water"], reference="999988887777")
    client.force_login(member.user)
    html = client.get(PAGE).content.decode()
    assert "999988887777" not in html
    assert "No encontramos pagos con estos filtros." in html


def test_the_page_reads_the_same_number_of_queries_for_1_or_30_payments(
    member_client, savings, catalog, django_assert_max_num_queries
):
    bill_payment(savings, catalog["water"], reference="410112060700")
    member_client.get(PAGE)  # the session's and the catalogs' first reads
    with django_assert_max_num_queries(8) as one:
        member_client.get(PAGE)
    for n in range(29):
        state = [BillPayment.State.PAID, BillPayment.State.RESOLVING, BillPayment.State.REFUSED][
            n % 3
        ]
        biller = catalog["water"] if n % 2 else catalog["topup"]
        bill_payment(
            savings, biller, reference=f"41011206{n:04d}", state=state, schedule_id=n or None
        )
    with django_assert_max_num_queries(len(one.captured_queries)) as thirty:
        response = member_client.get(PAGE)
    assert len(rows_of(response.content.decode())) == 30
    assert len(thirty.captured_queries) == len(one.captured_queries)


# Downloads ------------------------------------------------------------------------------


def test_it_downloads_the_filtered_list_as_excel(member_client, savings, catalog):
    water = bill_payment(savings, catalog["water"], reference="410112060750", days_ago=1)
    bill_payment(
        savings,
        catalog["topup"],
        reference="=0963243788",
        amount="5.00",
        state=BillPayment.State.RESOLVING,
    )
    bill_payment(savings, catalog["water"], reference="410112060751", days_ago=40)
    response = member_client.get(DOWNLOAD, {"formato": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="historial-pagos-20260124.xlsx"'
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=5)]
    assert values[0][:8] == [
        "REFERENCIA",
        "CANAL",
        "FECHA",
        "SERVICIO",
        "DESCRIPCIÓN",
        "ESTADO",
        "COMPROBANTE N.º",
        "TOTAL",
    ]
    assert [(v[0], v[5], v[6], v[7]) for v in values[1:]] == [
        ("'=0963243788", "Por confirmar", None, 5.31),
        ("410112060750", "Pagado", water.journal_id, 7.44),
    ]


def test_it_downloads_the_list_as_a_verifiable_pdf(member_client, savings, catalog):
    bill_payment(savings, catalog["water"], reference="410112060750")
    bill_payment(savings, catalog["topup"], reference="0963243788", state=BillPayment.State.REFUSED)
    response = member_client.get(DOWNLOAD, {"formato": "pdf", "periodo": "hoy"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = " ".join(pdf_text(response.content).split())
    assert "Historial de pagos" in text
    assert "410112060750" in text and "0963243788" in text
    assert "No realizado" in text and "Pagado" in text
    assert "TOTAL PAGADO $7.44" in text
    code = re.search(r"Código de verificación: ([A-Z0-9-]+)", text)[1]
    page = member_client.get(f"/verificar/{code}/").content.decode()
    assert "Historial de pagos" in page and "$7.44" in page


def test_a_download_of_a_refused_range_shows_the_page_with_the_note(member_client, savings):
    response = member_client.get(DOWNLOAD, {"formato": "pdf", "desde": "2025-01-01"})
    assert response["Content-Type"].startswith("text/html")
    assert "3 meses de antigüedad" in response.content.decode()


def test_a_download_never_includes_another_members_payments(
    member_client, savings, gabriel_savings, catalog
):
    bill_payment(gabriel_savings, catalog["water"], reference="999988887777")
    response = member_client.get(DOWNLOAD, {"formato": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [row for row in sheet.iter_rows(min_row=6, values_only=True)] == []


# Long downloads, made in a worker -------------------------------------------------------

# A smaller threshold keeps the renders short; the rule is the same.
INLINE = 3


@pytest.fixture
def many(monkeypatch, savings, catalog):
    """More of María's payments than render while she waits."""
    monkeypatch.setattr(views_history, "INLINE_ROWS", INLINE)
    return [
        bill_payment(savings, catalog["water"], reference=f"41011206075{n}", days_ago=n)
        for n in range(INLINE + 2)
    ]


@pytest.fixture
def queued(monkeypatch):
    """Jobs queued for a worker that has not taken them yet (the test runs it)."""
    pks = []
    monkeypatch.setattr(jobs, "document_job_enqueue", pks.append)
    return pks


def test_a_long_history_is_made_in_a_worker_with_its_progress_shown(member_client, many, queued):
    response = member_client.get(DOWNLOAD, {"formato": "pdf"})
    job = DocumentJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/documentos/{job.public_id}/"
    assert queued == [job.pk]
    assert job.kind == DocumentJob.Kind.PAYMENTS_PDF and job.status == DocumentJob.Status.PENDING
    assert job.filename == "historial-pagos-20260124.pdf"

    page = member_client.get(response["Location"]).content.decode()
    assert "Historial de pagos (PDF)" in page and "Generando documento… 0 %" in page
    assert (
        'href="/pagos/historial/?periodo=personalizado&amp;desde=2025-12-25&amp;hasta=2026-01-24"'
        in page
    )

    assert tasks.render_document.delay(job.pk).get() is True  # the worker
    html = member_client.get(response["Location"], headers={"HX-Request": "true"}).content.decode()
    assert "Tu documento está listo." in html
    download = member_client.get(f"/documentos/{job.public_id}/descargar/")
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == 'attachment; filename="historial-pagos-20260124.pdf"'
    text = " ".join(pdf_text(download.content).split())
    assert "Historial de pagos" in text and f"{settings.PORTAL_URL}/verificar/" in text
    assert all(p.reference in text for p in many)
    document = VerifiedDocument.objects.get(kind=VerifiedDocument.Kind.PAYMENTS)
    assert dict(document.fields)["Pagos"] == str(len(many))


def test_the_long_workbook_keeps_the_filters_and_only_her_payments(
    member_client, many, savings, gabriel_savings, catalog
):
    bill_payment(savings, catalog["topup"], reference="0963243788", amount="5.00")
    bill_payment(gabriel_savings, catalog["water"], reference="999988887777")
    response = member_client.get(
        DOWNLOAD, {"formato": "xlsx", "servicio": catalog["water"].pk, "desde": "2026-01-10"}
    )
    job = DocumentJob.objects.get()  # rendered when the request committed
    assert response.status_code == 302
    assert job.kind == DocumentJob.Kind.PAYMENTS_XLSX and job.status == DocumentJob.Status.READY
    download = member_client.get(f"/documentos/{job.public_id}/descargar/")
    assert download["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(download.content)).active
    references = [row[0] for row in sheet.iter_rows(min_row=6, values_only=True)]
    assert references == [p.reference for p in many]
    page = member_client.get(response["Location"]).content.decode()
    assert f"servicio={catalog['water'].pk}" in page  # "Regresar" keeps the filters


def test_a_short_history_still_downloads_at_once(member_client, many):
    response = member_client.get(DOWNLOAD, {"formato": "pdf", "periodo": "hoy"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert not DocumentJob.objects.exists()


def test_the_history_job_is_hers_alone(member_client, many, other_member, queued):
    member_client.get(DOWNLOAD, {"formato": "pdf"})
    job = DocumentJob.objects.get()
    tasks.render_document.delay(job.pk).get()
    gabriel = Client()
    gabriel.force_login(other_member.user)
    assert gabriel.get(f"/documentos/{job.public_id}/").status_code == 404
    assert gabriel.get(f"/documentos/{job.public_id}/descargar/").status_code == 404

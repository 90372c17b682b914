"""Account detail and movements: owner only, the manual's filters, keyset pages."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ledger.books import books_open
from ledger.models import Kind
from ledger.services import Line, journal_post
from products.catalog import product_types_load
from products.models import ProductType
from products.services import cash_deposit, cash_withdrawal, deposit_account_open
from tests.documents import (
    assert_the_paper_says_what_the_page_says,
    pdf_text,
    verification_fields,
)


@pytest.fixture
def savings(member):
    books_open(currency="USD")
    product_types_load(cooperative_slug="cooprogreso")
    return deposit_account_open(member=member, product_type=ProductType.objects.get(code="AHO"))


def url(account, query=""):
    return f"/cuentas/{account.public_id}/{query}"


def test_the_detail_shows_balances_and_typed_movements(member_client, savings, other_member):
    cash_deposit(account=savings, amount=Decimal("100.00"), key="d1")
    cash_withdrawal(account=savings, amount=Decimal("5.50"), key="w1")
    target = deposit_account_open(
        member=other_member, product_type=ProductType.objects.get(code="AHO")
    )
    journal_post(
        key="t1",
        kind=Kind.TRANSFER_INTERNAL,
        lines=[
            Line.debit(savings.ledger_account, Decimal("6.00"), "TRANSFERENCIA A CUENTA TERCEROS"),
            Line.credit(target.ledger_account, Decimal("6.00"), "TRANSFERENCIA DE CUENTA TERCEROS"),
        ],
    )
    html = member_client.get(url(savings)).content.decode()
    assert "$88.50" in html
    assert "DEPÓSITO" in html and "RETIRO" in html and "NOTA DE DÉBITO" in html
    assert "TRANSFERENCIA A CUENTA TERCEROS" in html and "-$6.00" in html


def test_ten_at_a_time_with_ver_mas(member_client, savings):
    for n in range(23):
        cash_deposit(account=savings, amount=Decimal("1.00"), key=f"d{n}")
    first = member_client.get(url(savings)).content.decode()
    assert first.count("DEPÓSITO AHORROS") == 10
    assert "Ver más" in first
    cursor = first.split("cursor=")[1].split('"')[0]
    second = member_client.get(url(savings, f"?cursor={cursor}")).content.decode()
    assert second.count("DEPÓSITO AHORROS") == 10


def test_pages_cost_the_same_queries(member_client, savings):
    for n in range(25):
        cash_deposit(account=savings, amount=Decimal("1.00"), key=f"d{n}")
    member_client.get(url(savings))

    def count(query):
        with CaptureQueriesContext(connection) as captured:
            member_client.get(url(savings, query))
        return len(captured)

    first = member_client.get(url(savings)).content.decode()
    cursor = first.split("cursor=")[1].split('"')[0]
    assert count("") == count(f"?cursor={cursor}")
    # The session with its user and member, the account, the page of movements.
    assert count("") == 3


def test_a_forged_cursor_is_404(member_client, savings):
    assert member_client.get(url(savings, "?cursor=%%%")).status_code == 404


def test_filters_today_yesterday_and_last_month(member_client, savings):
    now = timezone.now()
    with time_machine.travel(now - timedelta(days=40), tick=False):
        cash_deposit(account=savings, amount=Decimal("40.00"), key="forty-days")
    with time_machine.travel(now - timedelta(days=1), tick=False):
        cash_deposit(account=savings, amount=Decimal("2.00"), key="yesterday")
    cash_deposit(account=savings, amount=Decimal("3.00"), key="today")

    def amounts(query):
        html = member_client.get(url(savings, query)).content.decode()
        table = html.split('id="movimientos"')[1]
        return [
            a for a in ("$40.00", "$2.00", "$3.00") if f'credit" data-label="Monto">{a}' in table
        ]

    assert amounts("?periodo=hoy") == ["$3.00"]
    assert amounts("?periodo=ayer") == ["$2.00"]
    first_of_month = timezone.localdate().replace(day=1)
    expected = [
        a
        for a, d in (("$40.00", 40), ("$2.00", 1))
        if (timezone.localdate() - timedelta(days=d)) < first_of_month
        and (timezone.localdate() - timedelta(days=d))
        >= (first_of_month - timedelta(days=1)).replace(day=1)
    ]
    assert amounts("?periodo=mes_anterior") == expected
    assert amounts("") == ["$40.00", "$2.00", "$3.00"]


def test_debits_and_credits_filter(member_client, savings):
    cash_deposit(account=savings, amount=Decimal("10.00"), key="d")
    cash_withdrawal(account=savings, amount=Decimal("1.00"), key="w")
    debits = member_client.get(url(savings, "?tipo=debitos")).content.decode()
    assert "RETIRO DE AHORROS" in debits and "DEPÓSITO AHORROS" not in debits
    credits = member_client.get(url(savings, "?tipo=creditos")).content.decode()
    assert "DEPÓSITO AHORROS" in credits and "RETIRO DE AHORROS" not in credits


def test_a_custom_range_over_365_days_is_refused(member_client, savings):
    today = timezone.localdate()
    start = (today - timedelta(days=366)).isoformat()
    response = member_client.get(
        url(savings, f"?periodo=personalizado&desde={start}&hasta={today.isoformat()}")
    )
    assert "Fecha máximo de consulta 365 día(s)" in response.content.decode()
    reversed_range = member_client.get(
        url(
            savings,
            f"?periodo=personalizado&desde={today.isoformat()}&hasta={(today - timedelta(days=3)).isoformat()}",
        )
    )
    assert "no puede ser posterior" in reversed_range.content.decode()


def test_movements_download_as_excel_with_typed_cells(member_client, savings):
    import io

    from openpyxl import load_workbook

    cash_deposit(account=savings, amount=Decimal("100.00"), key="d")
    journal_post(
        key="evil",
        kind=Kind.TRANSFER_OWN,
        lines=[
            Line.debit(savings.ledger_account, Decimal("1.50"), '=HYPERLINK("http://x")'),
            Line.credit(savings.ledger_account, Decimal("1.50"), "NC"),
        ],
    )
    response = member_client.get(url(savings, "descargar/?formato=xlsx"))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet["B2"].value == savings.number
    assert [c.value for c in sheet[5]] == [
        "REFERENCIA",
        "FECHA",
        "TIPO",
        "CONCEPTO",
        "DÉBITOS",
        "CRÉDITOS",
        "SALDO",
    ]
    rows = list(sheet.iter_rows(min_row=6, values_only=True))
    deposit = next(r for r in rows if r[3] == "DEPÓSITO AHORROS")
    assert (
        deposit[5] == 100
        and deposit[4] == 0
        and isinstance(deposit[1], __import__("datetime").datetime)
    )
    evil = next(r for r in rows if "HYPERLINK" in str(r[3]))
    assert evil[3].startswith("'=")
    assert all(
        not str(c.value).startswith("=") for row in sheet.iter_rows() for c in row if c.value
    )


def test_movements_download_as_a_verifiable_pdf(member_client, savings, client):
    import re

    cash_deposit(account=savings, amount=Decimal("2100.00"), key="d")
    cash_withdrawal(account=savings, amount=Decimal("1981.82"), key="w")
    response = member_client.get(url(savings, "descargar/?formato=pdf"))
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    from products.models import VerifiedDocument

    document = VerifiedDocument.objects.get()
    page = client.get(f"/verificar/{document.code}/").content.decode()
    assert "Documento auténtico" in page
    fields = dict(assert_the_paper_says_what_the_page_says(response.content, page))
    assert fields["Cuenta"] == "*****" + savings.number[-4:]
    assert fields["Movimientos"] == "2"
    assert fields["Total créditos"] == "$2,100.00" and fields["Total débitos"] == "$1,981.82"
    assert "TOTALES $1,981.82 $2,100.00" in " ".join(pdf_text(response.content).split())
    assert savings.number not in page
    assert client.get("/verificar/NOPE-NOPE-NOPE/").status_code == 404
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", document.code)


def test_a_document_issued_before_fields_were_ordered_still_verifies(client, db):
    from products.models import VerifiedDocument

    old = VerifiedDocument.objects.create(
        code="ABCD-EFGH-JKLM",
        kind=VerifiedDocument.Kind.RECEIPT,
        figures={"Comprobante N.º": "12345", "Valor": "6.00", "Comisión": "0.41"},
    )
    page = client.get(f"/verificar/{old.code}/")
    assert page.status_code == 200
    # (PostgreSQL's jsonb kept such a mapping in its own key order, not the paper's.)
    assert sorted(verification_fields(page.content.decode())[3:]) == [
        ("Comisión", "0.41"),
        ("Comprobante N.º", "12345"),
        ("Valor", "6.00"),
    ]

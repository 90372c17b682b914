"""A member's products in a real browser: position → movements → filter → downloads."""

import io
from datetime import datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.utils import timezone

from ledger.books import books_open
from ledger.services import booked_at
from products.catalog import product_types_load
from products.models import ProductType
from products.services import cash_deposit, cash_withdrawal, deposit_account_open
from tests.documents import pdf_text
from tests.e2e.conftest import screenshot
from tests.e2e.test_profile import sign_in


@pytest.fixture
def history(member):
    """Two deposits and a withdrawal last month, one deposit today."""
    books_open(currency="USD")
    product_types_load(cooperative_slug="cooprogreso")
    account = deposit_account_open(member=member, product_type=ProductType.objects.get(code="AHO"))
    last_month = timezone.localdate().replace(day=1) - timedelta(days=1)
    tz = timezone.get_current_timezone()
    for day, amount, key in ((3, "800.00", "a"), (10, "150.00", "b")):
        with booked_at(datetime.combine(last_month.replace(day=day), time(10), tz)):
            cash_deposit(account=account, amount=Decimal(amount), key=key)
    with booked_at(datetime.combine(last_month.replace(day=20), time(11), tz)):
        cash_withdrawal(account=account, amount=Decimal("75.25"), key="c")
    for n in range(6):
        cash_deposit(account=account, amount=Decimal("5.00"), key=f"today-{n}")
    return account


def test_position_movements_filter_and_downloads(open_page, member, password, history):
    page = open_page()
    sign_in(page, password)
    screenshot(page, "position-1280")
    page.get_by_role("link", name=history.number).first.click()
    page.get_by_role("heading", name="Detalle de cuenta").wait_for()
    assert page.get_by_role("cell", name="$904.75").count() >= 1  # today's running balance

    page.get_by_text("Filtrar").click()
    page.get_by_label("Mes anterior").check()
    page.get_by_label("Tipo movimiento").select_option("debitos")
    page.get_by_role("button", name="Consultar").click()
    page.get_by_role("heading", name="Movimientos · Mes anterior").wait_for()
    rows = page.locator("table.data tbody tr")
    assert rows.count() == 1 and "RETIRO DE AHORROS" in rows.inner_text()
    screenshot(page, "movements-filtered-1280")

    with page.expect_download() as pdf:
        page.get_by_role("link", name="Descargar PDF").click()
    text = pdf_text(pdf.value.path())
    assert "RETIRO DE AHORROS" in text and "75.25" in text and "DEPÓSITO AHORROS" not in text

    with page.expect_download() as xlsx:
        page.get_by_role("link", name="Descargar Excel").click()
    sheet = openpyxl.load_workbook(io.BytesIO(Path(xlsx.value.path()).read_bytes())).active
    values = [cell for row in sheet.iter_rows(values_only=True) for cell in row]
    assert Decimal("75.25") in [Decimal(str(v)) for v in values if isinstance(v, float | int)]
    assert page.console_errors == []


def test_the_position_on_a_phone(open_page, member, password, history):
    page = open_page(width=390)
    sign_in(page, password)
    page.get_by_text(history.number).first.wait_for()
    screenshot(page, "position-390")
    page.goto(f"{page.base}/cuentas/{history.public_id}/")
    rows = page.locator("table.data tbody tr")
    rows.first.wait_for()
    assert [rows.nth(n).is_visible() for n in range(rows.count())] == [True] * 5 + [False] * 4
    screenshot(page, "movements-390")
    page.get_by_text("Ver más").click()
    assert rows.nth(8).is_visible() and not page.get_by_text("Ver más").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.console_errors == []


def test_a_phone_offers_one_ver_mas_at_a_time(open_page, member, password, history):
    """Five rows, «Ver más» shows the ten loaded; only then «Ver más» loads the next ten."""
    for n in range(6):
        cash_deposit(account=history, amount=Decimal("1.00"), key=f"more-{n}")
    page = open_page(width=390)
    sign_in(page, password)
    page.goto(f"{page.base}/cuentas/{history.public_id}/")
    more = page.get_by_text("Ver más", exact=True)
    more.first.wait_for()
    assert [more.nth(n).is_visible() for n in range(more.count())] == [True, False]
    more.first.click()
    assert page.locator("table.data tbody tr").nth(9).is_visible()
    assert [more.nth(n).is_visible() for n in range(more.count())] == [False, True]
    more.nth(1).click()
    page.wait_for_url("**cursor=**")
    assert page.locator("table.data tbody tr").first.is_visible()
    assert page.console_errors == []

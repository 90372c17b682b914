"""Long documents in a real browser, on a phone and on a desktop: a closed month's statement
comes from storage, and a year of movements is made in a worker while the page shows its
progress and then offers the file."""

from datetime import datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from ledger.books import books_open
from ledger.services import booked_at
from products import jobs, statements, tasks
from products.catalog import product_types_load
from products.models import DocumentJob, ProductType, StoredStatement
from products.services import cash_deposit, cash_withdrawal, deposit_account_open
from products.statements import statement_store
from tests.documents import pdf_text
from tests.e2e.conftest import screenshot
from tests.e2e.test_profile import sign_in

WIDTHS = [360, 1280]
# Movements a year holds in this test; a lower threshold than the portal's keeps the
# worker's render short while the rule stays the same.
ROWS, INLINE = 14, 8


@pytest.fixture
def account(member):
    books_open(currency="USD")
    product_types_load(cooperative_slug="cooprogreso")
    return deposit_account_open(member=member, product_type=ProductType.objects.get(code="AHO"))


@pytest.fixture
def a_year(account):
    """A movement about every 25 days over the last year, last month included."""
    tz = timezone.get_current_timezone()
    today = timezone.localdate()
    with booked_at(datetime.combine(today - timedelta(days=364), time(8), tz)):
        cash_deposit(account=account, amount=Decimal("5000.00"), key="opening")
    for n in range(ROWS):
        post = cash_withdrawal if n % 4 == 3 else cash_deposit
        with booked_at(datetime.combine(today - timedelta(days=360 - n * 25), time(10), tz)):
            post(account=account, amount=Decimal(f"{10 + n}.25"), key=f"y-{n}")
    return account


@pytest.mark.parametrize("width", WIDTHS)
def test_a_closed_months_statement_downloads_from_storage(
    open_page, member, password, a_year, width, monkeypatch
):
    last = timezone.localdate().replace(day=1) - timedelta(days=1)
    stored = statement_store(account=a_year, year=last.year, month=last.month)  # the month's run

    def never(**kwargs):
        raise AssertionError("a stored statement is not rendered again")

    monkeypatch.setattr(statements, "render_pdf", never)
    page = open_page(width=width)
    sign_in(page, password)
    page.goto(f"{page.base}/estado-de-cuenta/")
    page.get_by_label(f"Nro. Cta: {a_year.number}").check()
    page.get_by_label("Mes").fill(f"{last:%Y-%m}")
    screenshot(page, f"statement-{width}")
    with page.expect_download() as download:
        page.get_by_role("button", name="Descargar").click()
    body = Path(download.value.path()).read_bytes()
    assert body == bytes(stored.pdf)
    assert download.value.suggested_filename == (
        f"estado-de-cuenta-{a_year.number[-4:]}-{last:%Y%m}.pdf"
    )
    assert stored.document.code in pdf_text(body)
    assert StoredStatement.objects.count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert page.console_errors == []


@pytest.mark.parametrize("width", WIDTHS)
def test_a_year_of_movements_is_made_in_a_worker_with_visible_progress(
    open_page, member, password, a_year, width, monkeypatch
):
    monkeypatch.setattr(jobs, "INLINE_ROWS", INLINE)
    queued = []
    monkeypatch.setattr(jobs, "document_job_enqueue", queued.append)  # no worker yet
    today = timezone.localdate()
    page = open_page(width=width)
    sign_in(page, password)
    page.goto(f"{page.base}/cuentas/{a_year.public_id}/")
    page.get_by_text("Filtrar").click()
    page.get_by_label("Personalizado").check()
    page.get_by_label("Fecha desde").fill(f"{today - timedelta(days=364):%Y-%m-%d}")
    page.get_by_label("Fecha hasta").fill(f"{today:%Y-%m-%d}")
    page.get_by_role("button", name="Consultar").click()
    page.get_by_role("heading", name="Movimientos · Personalizado").first.wait_for()
    page.get_by_role("link", name="Descargar PDF").click()

    page.get_by_text("Generando documento… 0 %").wait_for()
    job = DocumentJob.objects.get()
    assert queued == [job.pk]
    progress = page.locator("progress")
    assert progress.get_attribute("value") == "0" and progress.get_attribute("max") == "100"
    DocumentJob.objects.filter(pk=job.pk).update(progress=40)  # as a worker reports it
    page.get_by_text("Generando documento… 40 %").wait_for()
    assert page.locator("progress").get_attribute("value") == "40"
    screenshot(page, f"document-progress-{width}")

    assert tasks.render_document.delay(job.pk).get() is True  # the worker takes it
    link = page.get_by_role("link", name="Descargar", exact=True)
    link.wait_for()
    assert page.get_by_text("Tu documento está listo.").is_visible()
    screenshot(page, f"document-ready-{width}")
    with page.expect_download() as download:
        link.click()
    text = pdf_text(Path(download.value.path()).read_bytes())
    assert "Detalle de movimientos" in text and "DEPÓSITO AHORROS" in text
    assert download.value.suggested_filename.startswith(f"movimientos-{a_year.number[-4:]}-")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert page.console_errors == []

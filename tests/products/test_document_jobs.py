"""Long documents made in a worker: a year of movements, a long statement. The member's page
shows the progress and then offers the file, which is theirs alone and expires; a task
delivered twice renders once. Short documents still download at once."""

import io
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone
from openpyxl import load_workbook

from ledger.services import booked_at
from products import documents, jobs, tasks
from products.jobs import document_job_run
from products.models import DocumentJob, ProductType, StoredStatement, VerifiedDocument
from products.services import cash_deposit, cash_withdrawal, deposit_account_open
from tests.documents import pdf_text

# A smaller threshold keeps the renders short; the rule is the same.
INLINE = 8
ROWS = INLINE + 6


@pytest.fixture(autouse=True)
def _short_inline(monkeypatch):
    monkeypatch.setattr(jobs, "INLINE_ROWS", INLINE)


@pytest.fixture
def queued(monkeypatch):
    """Jobs queued for a worker that has not taken them yet (the test runs it)."""
    pks = []
    monkeypatch.setattr(jobs, "document_job_enqueue", pks.append)
    return pks


@pytest.fixture
def year(member, catalog):
    """More movements than render inline, spread over the last year; last month among
    them."""
    account = deposit_account_open(member=member, product_type=ProductType.objects.get(code="AHO"))
    tz = timezone.get_current_timezone()
    today = timezone.localdate()
    with booked_at(datetime.combine(today - timedelta(days=364), time(8), tz)):
        cash_deposit(account=account, amount=Decimal("5000.00"), key="opening")
    for n in range(ROWS):
        day = today - timedelta(days=360 - n * 25)
        post = cash_withdrawal if n % 4 == 3 else cash_deposit
        with booked_at(datetime.combine(day, time(10), tz)):
            post(account=account, amount=Decimal(f"{10 + n}.25"), key=f"y-{n}")
    return account


def a_year(account, formato="pdf"):
    today = timezone.localdate()
    return (
        f"/cuentas/{account.public_id}/descargar/?periodo=personalizado"
        f"&desde={today - timedelta(days=364):%Y-%m-%d}&hasta={today:%Y-%m-%d}&formato={formato}"
    )


def test_a_year_of_movements_is_made_in_a_worker_with_its_progress_shown(
    member_client, year, queued
):
    response = member_client.get(a_year(year))
    job = DocumentJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/documentos/{job.public_id}/"
    assert queued == [job.pk] and job.status == DocumentJob.Status.PENDING

    page = member_client.get(response["Location"]).content.decode()
    assert "Generando documento… 0 %" in page
    assert '<progress id="avance-documento" class="document-progress" max="100" value="0">' in (
        page
    )
    assert f'data-hx-get="/documentos/{job.public_id}/"' in page
    assert 'data-hx-trigger="every 1s"' in page and " hx-get" not in page

    DocumentJob.objects.filter(pk=job.pk).update(progress=40, status=DocumentJob.Status.RUNNING)
    fragment = member_client.get(response["Location"], headers={"HX-Request": "true"})
    html = fragment.content.decode()
    assert "<html" not in html and "Generando documento… 40 %" in html
    assert 'value="40"' in html

    DocumentJob.objects.filter(pk=job.pk).update(status=DocumentJob.Status.PENDING)
    assert tasks.render_document.delay(job.pk).get() is True  # the worker
    job.refresh_from_db()
    assert job.status == DocumentJob.Status.READY and job.progress == 100
    html = member_client.get(response["Location"], headers={"HX-Request": "true"}).content.decode()
    assert "Tu documento está listo." in html and "data-hx-trigger" not in html
    download = member_client.get(f"/documentos/{job.public_id}/descargar/")
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith('attachment; filename="movimientos-')
    text = pdf_text(download.content)
    assert "Detalle de movimientos" in text and f"{settings.PORTAL_URL}/verificar/" in text
    document = VerifiedDocument.objects.get(kind=VerifiedDocument.Kind.MOVEMENTS)
    assert dict(document.fields)["Movimientos"] == str(ROWS + 1)


def test_the_workbook_is_made_in_a_worker_too(member_client, year):
    response = member_client.get(a_year(year, "xlsx"))
    job = DocumentJob.objects.get()
    assert job.kind == DocumentJob.Kind.MOVEMENTS_XLSX and job.status == DocumentJob.Status.READY
    download = member_client.get(f"/documentos/{job.public_id}/descargar/")
    assert download["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(download.content)).active
    assert sheet.max_row == 5 + ROWS + 1
    assert response.status_code == 302


def test_a_few_rows_still_download_at_once(member_client, year):
    today = timezone.localdate()
    response = member_client.get(
        f"/cuentas/{year.public_id}/descargar/?periodo=personalizado"
        f"&desde={today - timedelta(days=100):%Y-%m-%d}&hasta={today:%Y-%m-%d}&formato=pdf"
    )
    assert response["Content-Type"] == "application/pdf"
    assert not DocumentJob.objects.exists()


def test_asking_again_gets_the_same_job(member_client, year):
    first = member_client.get(a_year(year))
    second = member_client.get(a_year(year))
    assert first["Location"] == second["Location"]
    assert DocumentJob.objects.count() == 1
    assert VerifiedDocument.objects.count() == 1


def test_a_task_delivered_twice_renders_once(member_client, year, queued, monkeypatch):
    member_client.get(a_year(year))
    job = DocumentJob.objects.get()
    renders = []
    real = documents.render_pdf

    def counted(**kwargs):
        renders.append(1)
        return real(**kwargs)

    monkeypatch.setattr(documents, "render_pdf", counted)
    assert tasks.render_document.delay(job.pk).get() is True
    assert tasks.render_document.delay(job.pk).get() is False
    assert len(renders) == 1


def test_a_job_left_running_by_a_dead_worker_is_taken_over_after_the_lease(
    member_client, year, queued
):
    member_client.get(a_year(year))
    job = DocumentJob.objects.get()
    DocumentJob.objects.filter(pk=job.pk).update(
        status=DocumentJob.Status.RUNNING, claimed_at=timezone.now()
    )
    assert document_job_run(job.pk) is False  # another worker is on it
    DocumentJob.objects.filter(pk=job.pk).update(
        claimed_at=timezone.now() - jobs.CLAIM_LEASE - timedelta(seconds=1)
    )
    assert document_job_run(job.pk) is True
    assert DocumentJob.objects.get().status == DocumentJob.Status.READY


def test_a_failed_render_says_so_in_spanish(member_client, year, queued, monkeypatch):
    member_client.get(a_year(year))
    job = DocumentJob.objects.get()

    def broken(*args, **kwargs):
        raise OSError("disco lleno")

    monkeypatch.setattr(jobs, "movements_pdf", broken)
    assert document_job_run(job.pk) is False
    page = member_client.get(f"/documentos/{job.public_id}/").content.decode()
    assert "No se pudo generar el documento." in page and "disco lleno" not in page
    assert member_client.get(f"/documentos/{job.public_id}/descargar/").status_code == 404


def test_the_file_is_the_members_alone(client, member, other_member, year):
    client.force_login(member.user)
    client.get(a_year(year))
    job = DocumentJob.objects.get()
    client.force_login(other_member.user)
    assert client.get(f"/documentos/{job.public_id}/").status_code == 404
    assert client.get(f"/documentos/{job.public_id}/descargar/").status_code == 404
    client.logout()
    assert client.get(f"/documentos/{job.public_id}/descargar/").status_code == 302


def test_an_expired_file_is_gone_and_the_beat_deletes_it(member_client, member, year):
    member_client.get(a_year(year))
    job = DocumentJob.objects.get()
    with time_machine.travel(timezone.now() + jobs.JOB_TTL + timedelta(minutes=1)):
        member_client.force_login(member.user)  # the first session has ended by then
        assert member_client.get(f"/documentos/{job.public_id}/descargar/").status_code == 404
        assert tasks.delete_expired_documents.delay().get() == 1
    assert not DocumentJob.objects.exists()
    entry = next(
        e
        for e in settings.CELERY_BEAT_SCHEDULE.values()
        if e["task"] == "products.tasks.delete_expired_documents"
    )
    assert entry["schedule"].minute == {15}


def test_a_long_closed_month_is_made_in_a_worker_and_then_sent_from_storage(
    member_client, member, catalog
):
    account = deposit_account_open(member=member, product_type=ProductType.objects.get(code="AHO"))
    last = timezone.localdate().replace(day=1) - timedelta(days=1)
    tz = timezone.get_current_timezone()
    for n in range(ROWS):
        with booked_at(datetime.combine(last.replace(day=1 + n % 28), time(9), tz)):
            cash_deposit(account=account, amount=Decimal("1.00"), key=f"m-{n}")
    params = {"cuenta": account.public_id, "mes": f"{last:%Y-%m}"}
    response = member_client.get("/estado-de-cuenta/", params)
    job = DocumentJob.objects.get()
    assert response["Location"] == f"/documentos/{job.public_id}/"
    assert job.kind == DocumentJob.Kind.STATEMENT and job.status == DocumentJob.Status.READY
    stored = StoredStatement.objects.get(account=account)
    assert stored.movements == ROWS
    page = member_client.get(response["Location"]).content.decode()
    assert "Tu documento está listo." in page and 'href="/estado-de-cuenta/"' in page
    download = member_client.get(f"/documentos/{job.public_id}/descargar/")
    assert download.content == bytes(stored.pdf)
    direct = member_client.get("/estado-de-cuenta/", params)
    assert direct["Content-Type"] == "application/pdf" and direct.content == bytes(stored.pdf)
    assert DocumentJob.objects.count() == 1

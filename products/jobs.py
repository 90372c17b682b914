"""Documents made in a worker: a PDF or workbook too long to render while the member waits.

A download whose rows pass :data:`INLINE_ROWS` becomes a :class:`DocumentJob`: the view
records it and queues :func:`products.tasks.render_document` once the transaction commits,
and sends the member to the job's page, which polls it (HTMX) and shows "Generando
documento… 40 %" until it offers the file. Short documents still render inline.

- **The member's alone.** A job belongs to the member who asked; its page and its file
  answer 404 to anybody else, and to everybody once it expires (:data:`JOB_TTL`; the beat
  deletes expired jobs, :func:`document_jobs_delete_expired`).
- **Rendered once.** The task claims the job with a conditional update (pending, or running
  under a claim older than :data:`CLAIM_LEASE`: a worker died), so a redelivered or
  duplicated task finds nothing to do; asking again for the same document while one is on
  its way or ready (:data:`REUSE`) gets that job rather than a second render.
- **Progress** is what the render reports: the rows read, the HTML written, WeasyPrint's
  layout (most of the time), the file.
- **Any app's documents.** Each kind says how it renders and which page its job's page
  leads back to (:func:`document_kind_register`): the movements and the statement here,
  the payment history in ``payments`` (its ``AppConfig.ready``).
"""

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from accounts.models import Member
from core.errors import DomainError
from products.documents import (
    Progress,
    movements_pdf,
    movements_report,
    movements_xlsx,
)
from products.models import DepositAccount, DocumentJob
from products.movements import MovementQuery
from products.statements import (
    month_is_closed,
    statement_build,
    statement_render,
    statement_store,
)

logger = logging.getLogger(__name__)

# More rows than this render in a worker; fewer (a few dozen: a page or two) while the
# member waits, about as long as a page load.
INLINE_ROWS = 60
JOB_TTL = timedelta(hours=24)
CLAIM_LEASE = timedelta(minutes=10)
REUSE = timedelta(minutes=10)

PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FAILED_MESSAGE = "No se pudo generar el documento. Inténtalo nuevamente más tarde."


@dataclass(frozen=True)
class DocumentKind:
    """How a worker renders a kind of document (the job, a progress callback → the file)
    and the page its job's page leads back to."""

    render: Callable[[DocumentJob, Progress], bytes]
    back: Callable[[DocumentJob], str]


_kinds: dict[str, DocumentKind] = {}


def document_kind_register(
    kind: str,
    *,
    render: Callable[[DocumentJob, Progress], bytes],
    back: Callable[[DocumentJob], str],
) -> None:
    """Lets jobs of ``kind`` (one of ``DocumentJob.Kind``) render in a worker."""
    _kinds[kind] = DocumentKind(render=render, back=back)


def document_kind(kind: str) -> DocumentKind:
    return _kinds[kind]


def job_key(kind: str, params: dict) -> str:
    return hashlib.sha256(json.dumps([kind, params], sort_keys=True).encode()).hexdigest()


def document_job_start(
    *, member: Member, kind: str, params: dict, filename: str, content_type: str
) -> DocumentJob:
    """The member's job for this document: one under way or ready from the last
    :data:`REUSE`, or a new one, queued when the transaction commits."""
    key = job_key(kind, params)
    now = timezone.now()
    job = (
        DocumentJob.objects.defer("body")
        .filter(member=member, key=key, created_at__gte=now - REUSE, expires_at__gt=now)
        .exclude(status=DocumentJob.Status.FAILED)
        .order_by("-created_at")
        .first()
    )
    if job is not None:
        return job
    job = DocumentJob.objects.create(
        member=member,
        kind=kind,
        params=params,
        key=key,
        filename=filename,
        content_type=content_type,
        expires_at=now + JOB_TTL,
    )
    transaction.on_commit(lambda: document_job_enqueue(job.pk))
    return job


def document_job_enqueue(pk: int) -> None:
    from products.tasks import render_document

    render_document.delay(pk)


def member_document_job(*, member: Member, public_id) -> DocumentJob | None:
    """One of the member's jobs that has not expired, without its file."""
    return (
        DocumentJob.objects.defer("body")
        .filter(member=member, public_id=public_id, expires_at__gt=timezone.now())
        .first()
    )


def document_job_run(pk: int) -> bool:
    """Renders job ``pk`` unless it is done, expired or another worker holds it; returns
    whether this call rendered it."""
    claimed_at = timezone.now()
    claimed = (
        DocumentJob.objects.filter(pk=pk, expires_at__gt=claimed_at)
        .filter(
            Q(status=DocumentJob.Status.PENDING)
            | Q(status=DocumentJob.Status.RUNNING, claimed_at__lt=claimed_at - CLAIM_LEASE)
        )
        .update(status=DocumentJob.Status.RUNNING, claimed_at=claimed_at, progress=5)
    )
    if not claimed:
        return False
    mine = DocumentJob.objects.filter(pk=pk, claimed_at=claimed_at)
    job = DocumentJob.objects.defer("body").select_related("member").get(pk=pk)

    def progress(percent: int) -> None:
        mine.filter(progress__lt=percent).update(progress=min(percent, 99))

    try:
        body = document_kind(job.kind).render(job, progress)
    except Exception as err:
        logger.exception("document job failed", extra={"job": job.pk, "kind": job.kind})
        message = err.message if isinstance(err, DomainError) else FAILED_MESSAGE
        mine.update(status=DocumentJob.Status.FAILED, error=message, finished_at=timezone.now())
        return False
    mine.update(
        status=DocumentJob.Status.READY, progress=100, body=body, finished_at=timezone.now()
    )
    return True


def document_jobs_delete_expired() -> int:
    deleted, _ = DocumentJob.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted


# --- What each kind renders ----------------------------------------------------------------


def _account(job: DocumentJob) -> DepositAccount:
    return DepositAccount.objects.select_related("member", "product_type", "ledger_account").get(
        member=job.member, public_id=job.params["account"]
    )


def movements_params(account: DepositAccount, query: MovementQuery) -> dict:
    return {
        "account": str(account.public_id),
        "desde": query.date_from.isoformat() if query.date_from else None,
        "hasta": query.date_to.isoformat() if query.date_to else None,
        "direction": query.direction,
        "label": query.label,
    }


def _movements_query(params: dict) -> MovementQuery:
    def day(value):
        return date.fromisoformat(value) if value else None

    return MovementQuery(
        day(params["desde"]), day(params["hasta"]), params["direction"], params["label"]
    )


def _movements(job: DocumentJob, progress: Progress) -> bytes:
    report = movements_report(account=_account(job), query=_movements_query(job.params))
    progress(20)
    if job.kind == DocumentJob.Kind.MOVEMENTS_XLSX:
        return movements_xlsx(report, progress=progress)
    return movements_pdf(report, progress=progress)


def _statement(job: DocumentJob, progress: Progress) -> bytes:
    account = _account(job)
    year, month = job.params["year"], job.params["month"]
    if month_is_closed(year, month):
        return bytes(
            statement_store(account=account, year=year, month=month, progress=progress).pdf
        )
    statement = statement_build(account=account, year=year, month=month)
    progress(20)
    return statement_render(statement, progress=progress)[0]


def _to_account(job: DocumentJob) -> str:
    return reverse("products:account", args=[job.params["account"]])


def _to_statement(job: DocumentJob) -> str:
    return reverse("products:statement")


document_kind_register(DocumentJob.Kind.MOVEMENTS_PDF, render=_movements, back=_to_account)
document_kind_register(DocumentJob.Kind.MOVEMENTS_XLSX, render=_movements, back=_to_account)
document_kind_register(DocumentJob.Kind.STATEMENT, render=_statement, back=_to_statement)

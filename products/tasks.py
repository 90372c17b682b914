"""The products' nightly and monthly jobs. Each one is safe to run again: the work it does
is keyed (journals by idempotency key, states by conditional updates), so a retried task or
a beat that fires twice changes nothing the first run did not."""

import logging

from celery import shared_task

from products.investments import last_month, savings_interest_month, term_deposits_mature
from products.jobs import document_job_run, document_jobs_delete_expired
from products.loans import installments_mark_overdue
from products.statements import statements_send

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def mark_overdue_installments() -> int:
    """Daily: installments past their due date and unpaid become VENCIDA."""
    marked = installments_mark_overdue()
    logger.info("installments marked overdue", extra={"marked": marked})
    return marked


@shared_task(acks_late=True)
def mature_term_deposits() -> int:
    """Daily: pólizas that reached maturity pay capital plus net interest to their account."""
    paid = term_deposits_mature()
    logger.info("term deposits matured", extra={"paid": paid})
    return paid


@shared_task(acks_late=True)
def capitalize_savings_interest() -> int:
    """Monthly, on the 1st: last month's "CAPITALIZACION DE INTERESES EN CUENTA"."""
    year, month = last_month()
    written = savings_interest_month(year=year, month=month)
    logger.info(
        "savings interest capitalized", extra={"month": f"{year}-{month:02d}", "written": written}
    )
    return written


@shared_task(acks_late=True)
def send_monthly_statements() -> int:
    """Days 1–3 of each month: last month's estado de cuenta, e-mailed to every member
    subscribed to it. Deliveries are recorded per account and month, so the second and
    third runs send only what the first could not."""
    year, month = last_month()
    sent = statements_send(year=year, month=month)
    logger.info("monthly statements", extra={"month": f"{year}-{month:02d}", "sent": sent})
    return sent


@shared_task(acks_late=True)
def render_document(job_id: int) -> bool:
    """A member's long PDF or workbook (``products.jobs``). A redelivered or duplicated task
    finds the job claimed or done and renders nothing."""
    return document_job_run(job_id)


@shared_task(acks_late=True)
def delete_expired_documents() -> int:
    """Hourly: documents made in a worker that nobody may download any more."""
    deleted = document_jobs_delete_expired()
    logger.info("expired documents deleted", extra={"deleted": deleted})
    return deleted

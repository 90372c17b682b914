"""The workers' side of operations: executing one that was approved (or created by the
beat), and the sweep that expires and resumes (``accounts.operations``)."""

import logging

from celery import shared_task

from accounts.models import Operation
from accounts.operations import operation_execute, operations_sweep
from core.errors import DomainError

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def execute_operation(operation_id: int) -> str:
    """Executes the operation once; a redelivered or duplicated task finds it executing
    or ended and does nothing, a refusal is stored on the row."""
    operation = Operation.objects.select_related("owner", "created_by").get(pk=operation_id)
    try:
        operation = operation_execute(operation=operation)
    except DomainError as exc:
        logger.info("operation refused", extra={"operation": operation_id, "why": exc.message})
        return Operation.State.REFUSED
    return operation.state


@shared_task(acks_late=True)
def sweep_operations() -> dict:
    """Every few minutes: expires abandoned operations, resumes lost executions."""
    swept = operations_sweep()
    return {"expired": swept.expired, "resumed": swept.resumed, "stuck": swept.stuck}

"""Operations as rows: how anything a user asks for travels from the form to its result.

An operation kind (``OperationKind``, declared by each app in ``<app>/operations.py``)
says what the form is, how the operation is checked and described (``prepare``) and how
it is done (``execute``). This module stores each request as an ``Operation`` row and
moves it through its states, whoever drives it: the confirmation dialog of a browser
(``accounts.confirm``), a beat task with no request (a scheduled payment), or a worker
executing what other people approved::

    prepared ─► awaiting_code ─────────────► executing ─► executed
        │            │                          ▲   └──► partially_executed
        │            └─► refused | expired      │   └──► refused
        └─► pending_approval ─► approved ───────┘
                 │    ▲   └─► rejected | expired
                 └────┘ (a changed payload voids the signatures)

A row is born *prepared* (a worker's ``operation_prepare``), *awaiting_code* (the dialog
stores it with the challenge already sent), *pending_approval* (dual control) or
*executing* (``operation_run``: a worker that executes at once what it derives from a key).

Execution is guarded twice: only one caller moves a row into ``executing`` (a conditional
UPDATE), and the executing service is idempotent by the row's ``key``, so a worker that
crashed mid-way is recovered by running it again (``operations_sweep``), never by paying
twice.
"""

from __future__ import annotations

import json
import logging
import uuid
from abc import ABC, abstractmethod
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.challenges import payload_digest
from accounts.exceptions import OperationClosed, OperationExpired
from accounts.models import Challenge, Member, Operation, OperationApproval, User
from core.crypto import decrypt, encrypt
from core.db.rows import Columns, assignments, columns_sql, rows_insert, rows_read
from core.errors import DomainError

logger = logging.getLogger(__name__)

State = Operation.State

# How long each waiting state lasts before the sweep expires it.
CODE_WINDOW = timedelta(minutes=15)
APPROVAL_WINDOW = timedelta(days=7)
# An ``executing`` row older than this lost its executor (a crashed worker or request);
# the sweep runs it again — the service's idempotency key makes that safe.
STALE_EXECUTION = timedelta(minutes=5)
MAX_ATTEMPTS = 5

TRANSITIONS: dict[str, set[str]] = {
    State.PREPARED: {State.AWAITING_CODE, State.PENDING_APPROVAL, State.EXECUTING,
                     State.REFUSED, State.EXPIRED},
    State.AWAITING_CODE: {State.EXECUTING, State.PENDING_APPROVAL, State.REFUSED,
                          State.EXPIRED},
    State.PENDING_APPROVAL: {State.PENDING_APPROVAL, State.APPROVED, State.REJECTED,
                             State.EXPIRED},
    State.APPROVED: {State.EXECUTING, State.PENDING_APPROVAL},
    State.EXECUTING: {State.EXECUTING, State.EXECUTED, State.PARTIALLY_EXECUTED,
                      State.REFUSED},
    State.EXECUTED: set(),
    State.PARTIALLY_EXECUTED: set(),
    State.REFUSED: set(),
    State.REJECTED: set(),
    State.EXPIRED: set(),
}  # fmt: skip
FINAL = frozenset(s for s, nxt in TRANSITIONS.items() if not nxt)


class IllegalTransition(RuntimeError):
    """A bug: something tried to move an operation where the state machine forbids."""


@dataclass(frozen=True)
class Actor:
    """Who acts (``user``; ``None`` for the cooperative's own workers) and for whom
    (``owner``: the member — a person or a company — whose products are used).

    ``request`` is the browser's request when there is one: the audit log takes the
    address and device from it, and the credential changes keep the session signed in.
    Money operations never need it: a worker executes them with ``request=None``."""

    user: User | None
    owner: Member
    channel: str = "web"
    request: Any = None


@dataclass
class Prepared:
    """What ``prepare`` returns: the payload the code and the approvals are bound to, the
    review lines ("Verifica que todos los datos estén correctos"), the summary the code
    message names, and warnings shown under the review."""

    payload: dict
    review: list[tuple[str, str]] = field(default_factory=list)
    summary: str = ""
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Acceptance:
    """A text the user accepts together with the code (the terms of a scheduled
    payment): the confirm step shows it with a checkbox and refuses the code without it."""

    title: str
    text: str
    label: str = "Acepto los términos y condiciones"
    error: str = "Acepta los términos y condiciones para continuar."


class OperationKind(ABC):
    """One kind of operation. The app that owns it declares, in ``<app>/operations.py``:
    its form, its rules (``prepare`` raises a ``DomainError`` or returns ``Prepared``) and
    its execution (``execute``, idempotent by ``key``). The presentation attributes are
    what the dialog shows; the hooks that take a ``request`` are the dialog's only."""

    purpose: str = ""
    title: str = ""
    intro: str = ""
    form_class = None
    form_template: str = ""
    done_template: str = ""
    review_first: bool = True
    review_title: str = "Verifica que todos los datos estén correctos"
    submit_label: str = "Continuar"
    done_title: str = "El proceso se realizó correctamente."
    back_url_name: str = ""
    # Whether the payload stays readable after the operation ends. Kinds whose payload
    # holds a secret (a new password's hash) set it to False: the row keeps its digest.
    keep_payload: bool = True

    # --- the dialog's hooks (a browser request) ---------------------------------------

    def back_url(self, request) -> str:
        """Where "Cancelar" and "Cerrar" lead."""
        from django.urls import reverse

        return reverse(self.back_url_name) if self.back_url_name else ""

    def action_url(self, request) -> str:
        """Where each step posts: this page."""
        return request.path

    def extra_context(self, request, actor: Actor) -> dict:
        """More for the form step's template (a QR code, the item concerned…)."""
        return {}

    def initial(self, request, actor: Actor) -> dict:
        return {}

    def acceptance(self, payload: dict) -> Acceptance | None:
        """What the user must accept beside the code for the operation of ``payload``
        (the version to show is the payload's), or None."""
        return None

    # --- the rules (any driver) -------------------------------------------------------

    def form_kwargs(self, actor: Actor) -> dict:
        return {}

    def context(self, request) -> dict:
        """What the kind needs from the URL (the loan being paid, the device being
        removed), stored in the payload by ``prepare``; a worker has none."""
        return dict(request.resolver_match.kwargs) if request is not None else {}

    @abstractmethod
    def prepare(self, actor: Actor, form, context: dict) -> Prepared:
        """Checks the operation against the owner's data; raises a ``DomainError`` or
        returns what the code will be bound to and what the user reviews."""

    @abstractmethod
    def execute(self, actor: Actor, payload: dict, key: str) -> dict:
        """Does it and returns what the done step shows (JSON). Must be idempotent by
        ``key``: called again with the same key, it returns the first result. A result
        with ``"partially_executed": True`` ends the operation *partially executed*."""


_kinds: dict[str, OperationKind] = {}


def operation_kind_register(kind: OperationKind) -> OperationKind:
    """Makes ``kind`` executable by purpose — by a worker, with no view imported."""
    if not kind.purpose:
        raise ValueError("an operation kind needs a purpose")
    known = _kinds.get(kind.purpose)
    if known is not None and type(known) is not type(kind):
        raise ValueError(f"two operation kinds share the purpose {kind.purpose!r}")
    _kinds[kind.purpose] = kind
    return kind


def operation_kind(purpose: str) -> OperationKind:
    return _kinds[purpose]


# --- reading -------------------------------------------------------------------------


def operation_payload(operation: Operation) -> dict:
    """The operation's payload, decrypted once per row read (a copy each call)."""
    if not operation.payload_encrypted:
        return {}
    cached = getattr(operation, "_payload", None)
    if cached is None or cached[0] != operation.payload_encrypted:
        cached = operation._payload = (
            operation.payload_encrypted,
            decrypt(operation.payload_encrypted),
        )
    return json.loads(cached[1])


@cache
def _get_columns() -> tuple[Columns, Columns, Columns]:
    return Columns(Operation, "o"), Columns(Member, "m"), Columns(Challenge, "c")


@cache
def _get_sql() -> str:
    operation, owner, challenge = _get_columns()
    return (
        f"SELECT {columns_sql(_get_columns())} FROM {operation.model._meta.db_table} o "  # noqa: S608 - no input in the text
        f"JOIN {owner.model._meta.db_table} m ON m.id = o.owner_id "
        f"LEFT JOIN {challenge.model._meta.db_table} c ON c.id = o.challenge_id "
        "WHERE o.public_id = %s AND o.created_by_id = %s"
    )


def operation_get(*, user: User, public_id, purpose: str | None = None) -> Operation:
    """An operation ``user`` created, by its public id, with its owner and challenge;
    anything else is a 404. One written query: every step of every dialog reads it."""
    from django.http import Http404

    try:
        public_id = uuid.UUID(str(public_id))
    except ValueError:
        raise Http404 from None
    rows = rows_read(_get_sql(), [public_id, user.pk], _get_columns())
    if not rows or (purpose is not None and rows[0][0].purpose != purpose):
        raise Http404
    operation, owner, challenge = rows[0]
    operation.owner, operation.created_by, operation.challenge = owner, user, challenge
    return operation


def operation_actor(operation: Operation, *, request=None) -> Actor:
    return Actor(
        user=operation.created_by,
        owner=operation.owner,
        channel=operation.channel,
        request=request,
    )


# --- moving through the states --------------------------------------------------------


def _move(
    operation: Operation,
    to: str,
    *,
    expect: tuple[str, ...] | None = None,
    where: Q | None = None,
    **fields,
):
    """Moves ``operation`` to ``to`` if it is still in one of ``expect`` (default: its
    current state) and matches ``where`` — a conditional UPDATE, so of two concurrent
    movers one wins. Returns whether this caller moved it."""
    expect = expect or (operation.state,)
    for state in expect:
        if to not in TRANSITIONS[state]:
            raise IllegalTransition(f"{state} → {to}")
    now = timezone.now()
    if where is not None:
        rows = Operation.objects.filter(where, pk=operation.pk, state__in=expect)
        updated = rows.update(state=to, updated_at=now, **fields)
    else:  # every step of every operation: one written statement
        sets, params = assignments(Operation, {"state": to, "updated_at": now, **fields})
        states = ", ".join(["%s"] * len(expect))
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {Operation._meta.db_table} SET {sets} "  # noqa: S608 - no input in the text
                f"WHERE id = %s AND state IN ({states})",
                [*params, operation.pk, *expect],
            )
            updated = cursor.rowcount
    if updated:
        operation.state = to
        operation.updated_at = now
        for name, value in fields.items():
            setattr(operation, name, value)
        if "payload_encrypted" in fields:  # cleared or replaced: no plaintext kept
            operation.__dict__.pop("_payload", None)
    return bool(updated)


def operation_create(
    *,
    kind: OperationKind,
    actor: Actor,
    prepared: Prepared,
    state: str = State.PREPARED,
    signatures_required: int = 0,
    key: str | None = None,
    challenge: Challenge | None = None,
) -> Operation:
    """Stores a prepared operation (its payload encrypted, bound by its digest), in
    ``state``: *awaiting_code* with the ``challenge`` sent for it, for the dialog.

    ``key`` names an operation a worker derives from what it does (a schedule and the
    bill it pays): the row with that key, if one exists, is returned instead — so two
    overlapping runs, or one run delivered twice, share one operation."""
    if key is not None:
        existing = Operation.objects.filter(key=key).first()
        if existing is not None:
            return existing
    now = timezone.now()
    window = APPROVAL_WINDOW if state == State.PENDING_APPROVAL else CODE_WINDOW
    args = (kind, actor, prepared, state, signatures_required, key, now, window)
    if key is None:  # a fresh key clashes with nothing: one INSERT, in no transaction of its own
        return _create(*args, challenge=challenge)
    try:
        with transaction.atomic():
            return _create(*args, challenge=challenge)
    except IntegrityError:
        return Operation.objects.get(key=key)  # a simultaneous run created it first


def _create(
    kind, actor, prepared, state, signatures_required, key, now, window, **fields
) -> Operation:
    """The row stored with one written INSERT (every dialog's «Continuar» stores one)."""
    (operation,) = rows_insert(
        [_new(kind, actor, prepared, state, signatures_required, key, now, window, **fields)]
    )
    return operation


def _new(
    kind, actor, prepared, state, signatures_required, key, now, window, **fields
) -> Operation:
    return Operation(
        **fields,
        purpose=kind.purpose,
        owner=actor.owner,
        created_by=actor.user,
        channel=actor.channel,
        payload_encrypted=encrypt(json.dumps(prepared.payload, sort_keys=True, default=str)),
        digest=payload_digest(kind.purpose, prepared.payload),
        key=key or uuid.uuid4().hex,
        summary=prepared.summary[:200],
        review=[[str(label), str(value)] for label, value in prepared.review],
        notes=[str(note) for note in prepared.notes],
        state=state,
        signatures_required=signatures_required,
        created_at=now,
        expires_at=now + window,
    )


def operation_run(*, kind: OperationKind, actor: Actor, prepared: Prepared, key: str) -> Operation:
    """Creates the operation a worker derives from ``key`` and executes it at once (a
    scheduled payment's bill): the row is inserted already *executing*, so the run whose
    INSERT wins the key is its one executor, as the conditional move of
    :func:`operation_execute` makes one caller the executor of an existing row. A row
    that exists already — another run's, an earlier one's — goes through
    :func:`operation_execute` (ended: returned as it is; being executed: left alone;
    lost: resumed). A crash after the INSERT leaves it *executing* for the sweep.

    One statement where create, then execute, take four (the lookup, the INSERT in its
    transaction, the move); then the kind's execution and the result, as there."""
    # Outside a transaction, one autocommitted INSERT: a duplicate key fails alone.
    nested = transaction.get_connection().in_atomic_block
    try:
        with transaction.atomic() if nested else nullcontext():
            operation = _create(
                kind,
                actor,
                prepared,
                State.EXECUTING,
                0,
                key,
                timezone.now(),
                CODE_WINDOW,
                attempts=1,
            )
    except IntegrityError:
        existing = Operation.objects.filter(key=key).first()
        if existing is None:
            raise
        return operation_execute(operation=existing)
    return _executed(operation, _payload_of(prepared), request=None)


def operations_insert_executing(
    *, kind: OperationKind, runs: list[tuple[Actor, Prepared, str]]
) -> dict[str, Operation]:
    """What :func:`operation_run` inserts, for many operations a worker derives from
    their keys (a run's scheduled bills), in one statement inside the caller's
    transaction: each row *executing*, its executor the caller. A key another run (or an
    earlier one) used already is left out of the answer — that bill goes through
    :func:`operation_run`, which finds the row. Returns the inserted rows by key; the
    caller executes each and ends it with :func:`operations_end`."""
    now = timezone.now()
    rows = [
        _new(kind, actor, prepared, State.EXECUTING, 0, key, now, CODE_WINDOW, attempts=1)
        for actor, prepared, key in sorted(runs, key=lambda run: run[2])  # one lock order
    ]
    return {row.key: row for row in rows_insert(rows, skip_conflicts=True, match=("key",))}


def operations_end(*, ended: list[tuple[Operation, dict | None, str]]) -> None:
    """Ends operations the caller executes (``operations_insert_executing``) as
    :func:`operation_execute` ends one, in one statement: ``(operation, result, "")``
    executed — or partially executed, as its result says — and ``(operation, None,
    message)`` refused with the service's message; the payload cleared unless the kind
    keeps it. Only rows still *executing* move. PostgreSQL (the batch's database)."""
    if not ended:
        return
    now = timezone.now()
    values, params = [], []
    for operation, result, error in ended:
        if result is None:
            state = State.REFUSED
        else:
            state = State.PARTIALLY_EXECUTED if result.get("partially_executed") else State.EXECUTED
        clear = bool(_payload_cleared(operation))
        values.append("(%s, %s, %s, %s, %s)")
        params += [operation.pk, state, json.dumps(result or {}), error[:300], clear]
        operation.state = state
        operation.result = result or {}
        operation.error = error[:300]
        if clear:
            operation.payload_encrypted = ""
            operation.__dict__.pop("_payload", None)
        if result is not None:
            operation.executed_at = now
        operation.updated_at = now
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE accounts_operation o SET state = v.state, result = v.result::jsonb, "  # noqa: S608 - no input in the text
            "error = v.error, updated_at = %s, "
            "executed_at = CASE WHEN v.state = 'refused' THEN o.executed_at ELSE %s END, "
            "payload_encrypted = CASE WHEN v.clear THEN '' ELSE o.payload_encrypted END "
            f"FROM (VALUES {', '.join(values)}) AS v(id, state, result, error, clear) "
            "WHERE o.id = v.id AND o.state = 'executing'",
            [now, now, *params],
        )


def _payload_of(prepared: Prepared) -> dict:
    """The payload as :func:`operation_payload` reads it back from the row."""
    return json.loads(json.dumps(prepared.payload, sort_keys=True, default=str))


def operation_prepare(
    *,
    kind: OperationKind,
    actor: Actor,
    data: dict,
    context: dict | None = None,
    key: str | None = None,
) -> Operation:
    """Validates ``data`` with the kind's form and stores the prepared operation — the
    path of a worker or a test; the dialog validates the form itself to show its errors.
    Raises ``DomainError`` (a form error's message included) and stores nothing. With a
    ``key`` that names an existing operation, that one is returned unprepared again."""
    if key is not None and (existing := Operation.objects.filter(key=key).first()):
        return existing
    form = kind.form_class(data, **kind.form_kwargs(actor))
    if not form.is_valid():
        first = next(iter(form.errors.values()))[0]
        raise DomainError(first)
    prepared = kind.prepare(actor, form, context or {})
    return operation_create(kind=kind, actor=actor, prepared=prepared, key=key)


def operation_expired(operation: Operation) -> bool:
    return (
        operation.state not in FINAL
        and operation.state
        not in (
            State.APPROVED,
            State.EXECUTING,
        )
        and operation.expires_at <= timezone.now()
    )


def operation_check_open(operation: Operation) -> None:
    """Refuses, with the member's words, an operation that can no longer be confirmed."""
    if operation.state == State.EXPIRED or operation_expired(operation):
        if operation.state != State.EXPIRED:
            _expire(operation)
        raise OperationExpired
    if operation.state in (State.REFUSED, State.REJECTED):
        raise OperationClosed


def operation_refuse(*, operation: Operation, message: str) -> None:
    """Ends an operation that will not be done (a refused code, a rule that changed)."""
    if operation.state in FINAL:
        return
    if _move(operation, State.REFUSED, error=message[:300], **_payload_cleared(operation)):
        _void_challenge(operation)


def _void_challenge(operation: Operation) -> None:
    """The code sent for an operation that ended can no longer confirm anything."""
    if operation.challenge_id:
        Challenge.objects.filter(
            pk=operation.challenge_id, used_at__isnull=True, voided_at__isnull=True
        ).update(voided_at=timezone.now())


def _expire(operation: Operation) -> bool:
    expired = _move(
        operation,
        State.EXPIRED,
        expect=(State.PREPARED, State.AWAITING_CODE, State.PENDING_APPROVAL),
        **_payload_cleared(operation),
    )
    if expired:
        _void_challenge(operation)
    return expired


def _payload_cleared(operation: Operation) -> dict:
    kind = _kinds.get(operation.purpose)
    return {} if kind is None or kind.keep_payload else {"payload_encrypted": ""}


def operation_execute(*, operation: Operation, request=None) -> Operation:
    """Executes ``operation`` once — the one caller that moves it into ``executing`` does
    it — and stores its result; a ``DomainError`` from the service ends it ``refused``
    with that message (and is raised again for the caller to show). Called again on an
    ended operation, it returns it as it is. Anything else leaves it ``executing`` for
    the sweep to recover."""
    if operation.state in FINAL:
        return operation
    if operation.state == State.EXECUTING:
        stale_before = timezone.now() - STALE_EXECUTION
        if operation.updated_at > stale_before:
            return operation
        # Resumed only if still lost: of two workers that read the same stale row, the
        # first one's move makes it fresh again and the second one leaves it alone.
        if not _move(
            operation,
            State.EXECUTING,
            where=Q(updated_at__lte=stale_before),
            attempts=operation.attempts + 1,
        ):
            operation.refresh_from_db()
            return operation
    elif not _move(
        operation,
        State.EXECUTING,
        expect=(State.PREPARED, State.AWAITING_CODE, State.APPROVED),
        attempts=operation.attempts + 1,
    ):
        operation.refresh_from_db()
        return operation
    return _executed(operation, operation_payload(operation), request=request)


def _executed(operation: Operation, payload: dict, *, request) -> Operation:
    """Runs the kind's execution of ``operation``, which this caller moved (or inserted)
    into *executing*, and stores how it ended."""
    kind = operation_kind(operation.purpose)
    actor = operation_actor(operation, request=request)
    try:
        result = kind.execute(actor, payload, operation.key)
    except DomainError as exc:
        _move(operation, State.REFUSED, error=exc.message[:300], **_payload_cleared(operation))
        raise
    # A kind that does several things (bills, payroll lines) says when only some were
    # done: ``result["partially_executed"] = True``.
    ended = State.PARTIALLY_EXECUTED if result.get("partially_executed") else State.EXECUTED
    _move(
        operation,
        ended,
        result=result,
        executed_at=timezone.now(),
        **_payload_cleared(operation),
    )
    return operation


# --- approvals (dual control) --------------------------------------------------------


def operation_submit_for_approval(
    *, kind: OperationKind, actor: Actor, prepared: Prepared, signatures_required: int
) -> Operation:
    """Stores an operation that ``signatures_required`` other users must approve before a
    worker executes it (a company's Ingresador submits, its Aprobadores sign)."""
    if signatures_required < 1:
        raise ValueError("an operation under approval needs at least one signature")
    return operation_create(
        kind=kind,
        actor=actor,
        prepared=prepared,
        state=State.PENDING_APPROVAL,
        signatures_required=signatures_required,
    )


def operation_revise(*, operation: Operation, prepared: Prepared) -> Operation:
    """Replaces the payload of an operation waiting for approval: its digest changes, so
    the signatures given to the earlier payload no longer count."""
    with transaction.atomic():
        locked = Operation.objects.select_for_update().get(pk=operation.pk)
        if locked.state not in (State.PENDING_APPROVAL, State.APPROVED):
            raise OperationClosed
        fields = {
            "payload_encrypted": encrypt(json.dumps(prepared.payload, sort_keys=True, default=str)),
            "digest": payload_digest(locked.purpose, prepared.payload),
            "summary": prepared.summary[:200],
            "review": [[str(label), str(value)] for label, value in prepared.review],
            "notes": [str(note) for note in prepared.notes],
            "key": uuid.uuid4().hex,
        }
        _move(locked, State.PENDING_APPROVAL, **fields)
    return locked


def operation_signatures(operation: Operation) -> int:
    """The signatures that count: given by distinct users to the current payload."""
    return (
        OperationApproval.objects.filter(operation=operation, digest=operation.digest)
        .values("user")
        .distinct()
        .count()
    )


def operation_approve(
    *, operation: Operation, user: User, digest: str, level: str = ""
) -> Operation:
    """One signature from ``user`` on the payload ``digest`` they saw. Refused when the
    payload changed since (``digest`` is not the operation's), when ``user`` created the
    operation (dual control) or already signed it. With enough signatures the operation
    is approved and a worker executes it once this commits."""
    with transaction.atomic():
        locked = Operation.objects.select_for_update().get(pk=operation.pk)
        if locked.state not in (State.PENDING_APPROVAL,):
            raise OperationClosed
        # An expiry is stored before it is refused: raised in here, it would roll back.
        expired = locked.expires_at <= timezone.now()
        if expired:
            _expire(locked)
        else:
            _approval_add(locked, user=user, digest=digest, level=level)
    if expired:
        raise OperationExpired
    return locked


def _approval_add(locked: Operation, *, user: User, digest: str, level: str) -> None:
    from accounts.exceptions import ApprovalRefused

    if digest != locked.digest:
        raise ApprovalRefused("La operación cambió después de que la revisaste. Revísala de nuevo.")
    if user.pk == locked.created_by_id:
        raise ApprovalRefused("Quien ingresa una operación no puede aprobarla.")
    if OperationApproval.objects.filter(operation=locked, user=user, digest=locked.digest).exists():
        raise ApprovalRefused("Ya aprobaste esta operación.")
    OperationApproval.objects.create(operation=locked, user=user, level=level, digest=locked.digest)
    if operation_signatures(locked) >= locked.signatures_required:
        _move(locked, State.APPROVED)
        transaction.on_commit(lambda: _enqueue(locked.pk))


def operation_reject(*, operation: Operation, user: User, reason: str) -> Operation:
    with transaction.atomic():
        locked = Operation.objects.select_for_update().get(pk=operation.pk)
        if locked.state != State.PENDING_APPROVAL:
            raise OperationClosed
        _move(locked, State.REJECTED, error=reason[:300], **_payload_cleared(locked))
    return locked


def _enqueue(operation_id: int) -> None:
    from accounts.tasks import execute_operation

    try:
        execute_operation.delay(operation_id)
    except Exception:  # the broker is down: the sweep queues it again
        if getattr(execute_operation.app.conf, "task_always_eager", False):
            raise
        logger.exception("operation not queued", extra={"operation": operation_id})


# --- the sweep -----------------------------------------------------------------------


@dataclass
class Swept:
    expired: int = 0
    resumed: int = 0
    stuck: int = 0


def operations_sweep(*, now=None) -> Swept:
    """Expires what waited too long (a code never typed, an approval never given) and
    queues again what a worker lost: approved operations never started, and executions
    older than ``STALE_EXECUTION`` (their service is idempotent by key)."""
    now = now or timezone.now()
    swept = Swept()
    waiting = Operation.objects.filter(
        state__in=(State.PREPARED, State.AWAITING_CODE, State.PENDING_APPROVAL),
        expires_at__lte=now,
    ).order_by("pk")
    for operation in waiting.iterator():
        swept.expired += _expire(operation)
    lost = Operation.objects.filter(
        Q(state=State.APPROVED) | Q(state=State.EXECUTING),
        updated_at__lte=now - STALE_EXECUTION,
    ).order_by("pk")
    for operation in lost.iterator():
        if operation.attempts >= MAX_ATTEMPTS:
            # Its service kept failing: a crashed attempt may have moved the money, so the
            # row is neither refused nor retried any more — it stays *executing*, listed
            # for staff (the admin's "Operaciones" filtered by state), and logged.
            swept.stuck += 1
            logger.error("operation needs review", extra={"operation": operation.pk})
            continue
        _enqueue(operation.pk)
        swept.resumed += 1
    return swept

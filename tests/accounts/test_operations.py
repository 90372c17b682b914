"""The operations engine on its own (``accounts.operations``, ``accounts.tasks``): rows
created with or without a request, dual control, revisions that void signatures, replays,
the sweep that expires and resumes, and a random walk over the state machine.

The kinds here are the test's own — a transfer between two ledger accounts, posted once
per key by ``journal_post`` — so the engine is tested apart from the app's kinds."""

import itertools
from collections import Counter
from contextlib import suppress
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.exceptions import ApprovalRefused, OperationClosed, OperationExpired
from accounts.models import Member, Operation, OperationApproval
from accounts.operations import (
    APPROVAL_WINDOW,
    CODE_WINDOW,
    STALE_EXECUTION,
    TRANSITIONS,
    Actor,
    IllegalTransition,
    OperationKind,
    Prepared,
    _move,
    operation_approve,
    operation_create,
    operation_execute,
    operation_kind,
    operation_kind_register,
    operation_payload,
    operation_reject,
    operation_revise,
    operation_run,
    operation_submit_for_approval,
    operations_sweep,
)
from accounts.tasks import execute_operation, sweep_operations
from core.errors import DomainError
from ledger.exceptions import InsufficientFunds
from ledger.models import Account, Channel, Journal, Kind
from ledger.services import Line, account_open, journal_post
from tests.factories import MemberFactory, UserFactory
from tests.ledger.conftest import deposit, open_savings

State = Operation.State
_codes = itertools.count(1)


class WorkerCrashed(RuntimeError):
    """What a worker that dies after posting looks like from the engine's side."""


class LedgerTransfer(OperationKind):
    """Moves ``amount`` between two ledger accounts: one journal per key, whatever the
    number of runs. Records each run, and can die right after posting."""

    purpose = "test_engine_transfer"
    title = "Transferencia de prueba"

    def __init__(self):
        self.started: list[str] = []
        self.finished: list[str] = []
        self.crash_after_posting = False

    def prepare(self, actor, form, context):  # the tests build ``Prepared`` themselves
        raise NotImplementedError

    def execute(self, actor, payload, key):
        self.started.append(key)
        posted = journal_post(
            key=f"{self.purpose}:{key}",
            kind=Kind.TRANSFER_INTERNAL,
            channel=actor.channel if actor.channel in Channel.values else Channel.SYSTEM,
            lines=[
                Line.debit(payload["source"], Decimal(payload["amount"]), "TRANSFERENCIA"),
                Line.credit(payload["target"], Decimal(payload["amount"]), "TRANSFERENCIA"),
            ],
        )
        if self.crash_after_posting:
            raise WorkerCrashed
        self.finished.append(key)
        return {"journal": posted.journal_id, "amount": payload["amount"]}


class SecretChange(LedgerTransfer):
    """The same, for a kind whose payload must not outlive it (a new password's hash)."""

    purpose = "test_engine_secret"
    keep_payload = False


transfer_kind = operation_kind_register(LedgerTransfer())
secret_kind = operation_kind_register(SecretChange())


@pytest.fixture(autouse=True)
def _kinds_forget_their_runs():
    for kind in (transfer_kind, secret_kind):
        kind.started.clear()
        kind.finished.clear()
        kind.crash_after_posting = False


def funded_savings(cash: Account, name: str = "María") -> int:
    account = open_savings(name=name)
    deposit(cash, account, "100.00")
    return account.pk


@pytest.fixture
def books(db):
    """María's savings with $100.00 and Gabriel's, empty, in the ledger."""
    cash = account_open(
        code=f"TEST-ENGINE-CASH-{next(_codes)}",
        name="Caja",
        kind=Account.Kind.ASSET,
        normal_side=Account.Side.DEBIT,
        currency="USD",
    )
    gabriel = open_savings(name="Gabriel")
    return {"cash": cash, "maria": funded_savings(cash), "gabriel": gabriel.pk}


def transfer(books, amount: str = "25.00") -> Prepared:
    return Prepared(
        payload={"source": books["maria"], "target": books["gabriel"], "amount": amount},
        review=[("Monto", f"${amount}"), ("Cuenta destino", "Gabriel")],
        summary=f"Transferencia de ${amount} a Gabriel",
    )


def journals(operation: Operation) -> int:
    key = Operation.objects.get(pk=operation.pk).key
    return Journal.objects.filter(idempotency_key=f"{operation.purpose}:{key}").count()


def fresh(operation: Operation) -> Operation:
    return Operation.objects.get(pk=operation.pk)


def aged(operation: Operation, by: timedelta = STALE_EXECUTION + timedelta(seconds=1)):
    Operation.objects.filter(pk=operation.pk).update(updated_at=timezone.now() - by)


@pytest.fixture
def system(member):
    """The cooperative's own workers acting for María (a scheduled payment)."""
    return Actor(user=None, owner=member, channel="system")


@pytest.fixture
def company(db):
    """Textiles Andinos, a company socio: Carla enters operations, Diego and Elena sign."""
    return MemberFactory(
        user=None,
        id_type=Member.IdType.RUC,
        id_number="1790016919001",
        first_names="Textiles Andinos S.A.",
        last_names="",
        member_number="700001",
    )


@pytest.fixture
def carla(db):
    return UserFactory(username="carla.ingresa", first_name="Carla")


@pytest.fixture
def diego(db):
    return UserFactory(username="diego.aprueba", first_name="Diego")


@pytest.fixture
def elena(db):
    return UserFactory(username="elena.aprueba", first_name="Elena")


def submitted(books, company, carla, *, signatures: int = 1, kind=transfer_kind, amount="25.00"):
    return operation_submit_for_approval(
        kind=kind,
        actor=Actor(user=carla, owner=company, channel="web"),
        prepared=transfer(books, amount),
        signatures_required=signatures,
    )


# --- no request: the beat creates, a worker executes --------------------------------------


def test_a_worker_executes_an_operation_created_without_a_request(books, system):
    operation = operation_create(kind=transfer_kind, actor=system, prepared=transfer(books))

    assert execute_operation.delay(operation.pk).get() == State.EXECUTED

    operation = fresh(operation)
    assert operation.state == State.EXECUTED
    assert operation.created_by is None and operation.channel == "system"
    assert operation.result["amount"] == "25.00"
    assert (
        operation.result["journal"]
        == Journal.objects.get(idempotency_key=f"{transfer_kind.purpose}:{operation.key}").pk
    )
    assert operation.executed_at is not None and operation.attempts == 1


def test_a_second_run_of_the_task_does_nothing_more(books, system):
    operation = operation_create(kind=transfer_kind, actor=system, prepared=transfer(books))
    execute_operation.delay(operation.pk)
    first = fresh(operation)

    assert execute_operation.apply(args=[operation.pk]).get() == State.EXECUTED

    again = fresh(operation)
    assert journals(operation) == 1
    assert transfer_kind.started == [operation.key]
    assert (again.result, again.executed_at, again.attempts) == (
        first.result,
        first.executed_at,
        first.attempts,
    )


# --- dual control -------------------------------------------------------------------------


def test_an_approved_operation_is_executed_by_the_worker_once_the_approval_commits(
    books, company, carla, diego, django_capture_on_commit_callbacks
):
    operation = submitted(books, company, carla)
    assert operation.state == State.PENDING_APPROVAL

    with django_capture_on_commit_callbacks() as callbacks:
        operation_approve(operation=fresh(operation), user=diego, digest=operation.digest)
    assert fresh(operation).state == State.APPROVED
    assert transfer_kind.started == []

    for callback in callbacks:  # the commit: the worker's task runs
        callback()

    operation = fresh(operation)
    assert operation.state == State.EXECUTED
    assert operation.created_by == carla
    assert journals(operation) == 1
    assert list(operation.approvals.values_list("user__username", flat=True)) == ["diego.aprueba"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_worker_executes_an_approval_committed_in_another_request(books, company, carla, diego):
    operation = submitted(books, company, carla)

    with transaction.atomic():  # Diego's request
        operation_approve(operation=fresh(operation), user=diego, digest=operation.digest)
        assert fresh(operation).state == State.APPROVED
        assert transfer_kind.started == []

    operation = fresh(operation)
    assert operation.state == State.EXECUTED
    assert journals(operation) == 1
    assert transfer_kind.started == [operation.key]


def test_the_creator_cannot_approve_their_own_operation(books, company, carla):
    operation = submitted(books, company, carla)

    with pytest.raises(ApprovalRefused) as refused:
        operation_approve(operation=operation, user=carla, digest=operation.digest)

    assert refused.value.message == "Quien ingresa una operación no puede aprobarla."
    assert fresh(operation).state == State.PENDING_APPROVAL
    assert not OperationApproval.objects.filter(operation=operation).exists()


def test_a_user_cannot_sign_the_same_operation_twice(books, company, carla, diego):
    operation = submitted(books, company, carla, signatures=2)
    operation_approve(operation=operation, user=diego, digest=operation.digest)

    with pytest.raises(ApprovalRefused) as refused:
        operation_approve(operation=operation, user=diego, digest=operation.digest)

    assert refused.value.message == "Ya aprobaste esta operación."
    assert fresh(operation).state == State.PENDING_APPROVAL
    assert operation.approvals.count() == 1


def test_with_two_signatures_required_one_leaves_it_pending(
    books, company, carla, diego, elena, django_capture_on_commit_callbacks
):
    operation = submitted(books, company, carla, signatures=2)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        operation_approve(operation=operation, user=diego, digest=operation.digest)
    assert fresh(operation).state == State.PENDING_APPROVAL
    assert callbacks == [] and transfer_kind.started == []

    with django_capture_on_commit_callbacks(execute=True):
        operation_approve(operation=operation, user=elena, digest=operation.digest)
    assert fresh(operation).state == State.EXECUTED
    assert journals(operation) == 1


def test_a_rejected_operation_cannot_be_approved_afterwards(books, company, carla, diego, elena):
    operation = submitted(books, company, carla)
    operation_reject(operation=operation, user=elena, reason="El monto no corresponde.")

    with pytest.raises(OperationClosed):
        operation_approve(operation=operation, user=diego, digest=operation.digest)

    operation = fresh(operation)
    assert (operation.state, operation.error) == (State.REJECTED, "El monto no corresponde.")


# --- a changed payload voids the approvals ------------------------------------------------


def test_an_approval_of_a_payload_that_changed_is_refused(books, company, carla, diego):
    operation = submitted(books, company, carla)
    seen = operation.digest
    operation_revise(operation=operation, prepared=transfer(books, "40.00"))

    with pytest.raises(ApprovalRefused) as refused:
        operation_approve(operation=operation, user=diego, digest=seen)

    assert refused.value.message == (
        "La operación cambió después de que la revisaste. Revísala de nuevo."
    )
    operation = fresh(operation)
    assert operation.state == State.PENDING_APPROVAL
    assert operation.digest != seen
    assert operation_payload(operation)["amount"] == "40.00"
    assert not operation.approvals.exists()


def test_signatures_given_before_a_revision_no_longer_count(
    books, company, carla, diego, elena, django_capture_on_commit_callbacks
):
    operation = submitted(books, company, carla, signatures=2)
    operation_approve(operation=operation, user=diego, digest=operation.digest)
    revised = operation_revise(operation=operation, prepared=transfer(books, "40.00"))

    operation_approve(operation=revised, user=elena, digest=revised.digest)
    assert fresh(operation).state == State.PENDING_APPROVAL  # Diego's first signature is void

    with django_capture_on_commit_callbacks(execute=True):
        operation_approve(operation=revised, user=diego, digest=revised.digest)
    operation = fresh(operation)
    assert operation.state == State.EXECUTED
    assert operation.result["amount"] == "40.00"
    assert journals(operation) == 1


def test_revising_an_approved_operation_sends_it_back_for_signatures(
    books, company, carla, diego, django_capture_on_commit_callbacks
):
    operation = submitted(books, company, carla)
    with django_capture_on_commit_callbacks() as callbacks:
        operation_approve(operation=operation, user=diego, digest=operation.digest)
    revised = operation_revise(operation=operation, prepared=transfer(books, "40.00"))

    for callback in callbacks:  # the approval's task arrives after the revision
        callback()

    assert fresh(revised).state == State.PENDING_APPROVAL
    assert transfer_kind.started == []


# --- replays and crashed executions -------------------------------------------------------


def test_executing_an_operation_twice_returns_the_first_result(books, system):
    operation = operation_create(kind=transfer_kind, actor=system, prepared=transfer(books))
    stale_copy = fresh(operation)

    first = operation_execute(operation=operation)
    second = operation_execute(operation=stale_copy)  # a double click's copy of the row

    assert second.state == State.EXECUTED
    assert second.result == first.result
    assert journals(operation) == 1
    assert transfer_kind.started == [operation.key]


def test_a_task_delivered_twice_posts_one_journal(books, system):
    operation = operation_create(kind=transfer_kind, actor=system, prepared=transfer(books))

    results = [execute_operation.apply(args=[operation.pk]).get() for _ in range(2)]

    assert results == [State.EXECUTED, State.EXECUTED]
    assert journals(operation) == 1
    assert fresh(operation).attempts == 1


def test_the_sweep_resumes_a_crashed_execution_and_completes_it_once(books, system):
    operation = operation_create(kind=transfer_kind, actor=system, prepared=transfer(books))
    transfer_kind.crash_after_posting = True
    with pytest.raises(WorkerCrashed):
        execute_operation.delay(operation.pk)
    transfer_kind.crash_after_posting = False
    assert fresh(operation).state == State.EXECUTING
    assert journals(operation) == 1
    aged(operation)

    swept = operations_sweep()

    operation = fresh(operation)
    assert (swept.resumed, swept.expired) == (1, 0)
    assert operation.state == State.EXECUTED
    assert operation.attempts == 2
    assert journals(operation) == 1  # the second run found the first one's journal
    assert (
        operation.result["journal"]
        == Journal.objects.get(idempotency_key=f"{transfer_kind.purpose}:{operation.key}").pk
    )
    assert transfer_kind.finished == [operation.key]
    assert operations_sweep().resumed == 0


def test_the_sweep_leaves_a_fresh_execution_alone(books, system):
    operation = operation_create(kind=transfer_kind, actor=system, prepared=transfer(books))
    Operation.objects.filter(pk=operation.pk).update(state=State.EXECUTING, attempts=1)

    assert operations_sweep().resumed == 0
    assert execute_operation.delay(operation.pk).get() == State.EXECUTING

    operation = fresh(operation)
    assert (operation.state, operation.attempts) == (State.EXECUTING, 1)
    assert transfer_kind.started == []


def test_two_workers_resuming_one_crashed_execution_run_it_once(books, system, monkeypatch):
    """Two sweeps queued the same lost row; both workers read it before either moved it."""
    operation = operation_create(kind=transfer_kind, actor=system, prepared=transfer(books))
    Operation.objects.filter(pk=operation.pk).update(state=State.EXECUTING, attempts=1)
    aged(operation)
    first, second = fresh(operation), fresh(operation)  # both workers read the stale row
    execute = transfer_kind.execute

    def while_the_second_worker_arrives(actor, payload, key):
        assert operation_execute(operation=second).state == State.EXECUTING  # left alone
        return execute(actor, payload, key)

    monkeypatch.setattr(transfer_kind, "execute", while_the_second_worker_arrives)
    operation_execute(operation=first)

    operation = fresh(operation)
    assert (operation.state, operation.attempts) == (State.EXECUTED, 2)
    assert transfer_kind.started == [operation.key]
    assert journals(operation) == 1


def test_a_run_inserts_its_operation_executing_and_executes_it_once_per_key(books, system):
    operation = operation_run(
        kind=transfer_kind, actor=system, prepared=transfer(books), key="schedule-1-a"
    )
    assert (fresh(operation).state, fresh(operation).attempts) == (State.EXECUTED, 1)
    again = operation_run(
        kind=transfer_kind, actor=system, prepared=transfer(books), key="schedule-1-a"
    )
    assert again.pk == operation.pk and again.state == State.EXECUTED
    assert transfer_kind.started == [operation.key] and journals(operation) == 1
    assert operation_payload(fresh(operation))["amount"] == "25.00"


def test_a_run_that_finds_its_key_being_executed_leaves_it_and_the_sweep_resumes_a_lost_one(
    books, system
):
    transfer_kind.crash_after_posting = True
    with pytest.raises(WorkerCrashed):
        operation_run(kind=transfer_kind, actor=system, prepared=transfer(books), key="k")
    transfer_kind.crash_after_posting = False
    operation = Operation.objects.get(key="k")
    assert (operation.state, operation.attempts) == (State.EXECUTING, 1)
    # Another run while it is fresh: left to the executor.
    assert (
        operation_run(kind=transfer_kind, actor=system, prepared=transfer(books), key="k").state
        == State.EXECUTING
    )
    aged(operation)
    assert operations_sweep().resumed == 1
    assert (fresh(operation).state, fresh(operation).attempts) == (State.EXECUTED, 2)
    assert journals(operation) == 1


def test_a_refused_run_ends_refused_and_a_later_run_finds_it_so(books, system):
    with pytest.raises(InsufficientFunds):
        operation_run(
            kind=transfer_kind, actor=system, prepared=transfer(books, "9999.00"), key="k"
        )
    again = operation_run(kind=transfer_kind, actor=system, prepared=transfer(books), key="k")
    assert again.state == State.REFUSED and journals(again) == 0


def test_the_sweep_queues_again_an_approval_whose_task_was_lost(
    books, company, carla, diego, django_capture_on_commit_callbacks
):
    operation = submitted(books, company, carla)
    with django_capture_on_commit_callbacks():  # the broker was down: the task never ran
        operation_approve(operation=operation, user=diego, digest=operation.digest)
    assert operations_sweep().resumed == 0  # not yet: its worker may still come
    aged(operation)

    assert operations_sweep().resumed == 1

    operation = fresh(operation)
    assert operation.state == State.EXECUTED
    assert journals(operation) == 1


# --- the sweep expires what waited too long -----------------------------------------------


def test_the_sweep_expires_operations_that_waited_too_long(books, system, company, carla):
    awaiting = operation_create(
        kind=transfer_kind, actor=system, prepared=transfer(books), state=State.AWAITING_CODE
    )
    pending = submitted(books, company, carla)

    assert operations_sweep(now=timezone.now() + CODE_WINDOW + timedelta(seconds=1)).expired == 1
    assert fresh(awaiting).state == State.EXPIRED
    assert fresh(pending).state == State.PENDING_APPROVAL

    later = timezone.now() + APPROVAL_WINDOW + timedelta(seconds=1)
    assert operations_sweep(now=later).expired == 1
    assert fresh(pending).state == State.EXPIRED
    assert transfer_kind.started == []


def test_an_execution_that_keeps_failing_is_left_for_staff_not_refused(books, system):
    from accounts.operations import MAX_ATTEMPTS

    operation = operation_create(kind=transfer_kind, actor=system, prepared=transfer(books))
    Operation.objects.filter(pk=operation.pk).update(state=State.EXECUTING, attempts=MAX_ATTEMPTS)
    aged(operation)

    swept = operations_sweep()

    assert (swept.resumed, swept.stuck) == (0, 1)
    assert fresh(operation).state == State.EXECUTING  # its money may have moved
    assert transfer_kind.started == []


def test_staff_read_operations_in_the_admin_and_cannot_change_them(
    books, system, client, django_user_model
):
    operation = operation_create(kind=transfer_kind, actor=system, prepared=transfer(books))
    staff = django_user_model.objects.create_user(
        "lucia02", password="x", is_staff=True, is_superuser=True
    )
    client.force_login(staff)
    listing = client.get("/admin/accounts/operation/?state__exact=prepared")
    assert listing.status_code == 200 and operation.summary in listing.content.decode()
    detail = client.get(f"/admin/accounts/operation/{operation.pk}/change/")
    assert detail.status_code == 200
    assert client.post(f"/admin/accounts/operation/{operation.pk}/delete/").status_code == 403


def test_the_beat_task_reports_what_it_swept(books, system):
    operation = operation_create(kind=transfer_kind, actor=system, prepared=transfer(books))
    Operation.objects.filter(pk=operation.pk).update(expires_at=timezone.now())

    assert sweep_operations.delay().get() == {"expired": 1, "resumed": 0, "stuck": 0}
    assert fresh(operation).state == State.EXPIRED


def test_the_sweep_leaves_executed_operations_alone(books, system):
    operation = operation_create(kind=transfer_kind, actor=system, prepared=transfer(books))
    operation_execute(operation=operation)
    before = fresh(operation)

    swept = operations_sweep(now=timezone.now() + APPROVAL_WINDOW + timedelta(days=1))

    after = fresh(operation)
    assert (swept.expired, swept.resumed) == (0, 0)
    assert (after.state, after.result, after.updated_at) == (
        State.EXECUTED,
        before.result,
        before.updated_at,
    )
    assert operation_payload(after)["amount"] == "25.00"


def test_an_expired_secret_payload_is_cleared_and_a_kept_one_is_not(books, system):
    secret = operation_create(kind=secret_kind, actor=system, prepared=transfer(books))
    kept = operation_create(kind=transfer_kind, actor=system, prepared=transfer(books))

    operations_sweep(now=timezone.now() + CODE_WINDOW + timedelta(seconds=1))

    secret, kept = fresh(secret), fresh(kept)
    assert (secret.state, secret.payload_encrypted) == (State.EXPIRED, "")
    assert secret.digest  # what was asked can still be matched, not read
    assert kept.state == State.EXPIRED
    assert operation_payload(kept)["amount"] == "25.00"


def test_an_executed_secret_payload_is_cleared(books, system):
    operation = operation_create(kind=secret_kind, actor=system, prepared=transfer(books))
    assert operation_payload(operation)["amount"] == "25.00"  # decrypted once, kept

    operation_execute(operation=operation)

    assert fresh(operation).payload_encrypted == ""
    assert operation_payload(operation) == {} and "_payload" not in operation.__dict__
    assert fresh(operation).result["amount"] == "25.00"


def test_an_approval_that_comes_too_late_expires_the_operation(books, company, carla, diego):
    operation = submitted(books, company, carla)
    Operation.objects.filter(pk=operation.pk).update(expires_at=timezone.now())

    with pytest.raises(OperationExpired):
        operation_approve(operation=operation, user=diego, digest=operation.digest)

    assert fresh(operation).state == State.EXPIRED
    assert not operation.approvals.exists()


# --- refusals and illegal moves -----------------------------------------------------------


def test_a_refusal_from_the_service_ends_the_operation_refused_with_its_message(books, system):
    operation = operation_create(kind=secret_kind, actor=system, prepared=transfer(books, "500.00"))

    with pytest.raises(InsufficientFunds):
        operation_execute(operation=operation)

    operation = fresh(operation)
    assert operation.state == State.REFUSED
    assert operation.error == "Saldo insuficiente en la cuenta de origen."
    assert operation.payload_encrypted == ""
    assert journals(operation) == 0


def test_a_worker_stores_a_refusal_on_the_row(
    books, company, carla, diego, django_capture_on_commit_callbacks
):
    operation = submitted(books, company, carla, amount="500.00")

    with django_capture_on_commit_callbacks(execute=True):
        operation_approve(operation=operation, user=diego, digest=operation.digest)

    operation = fresh(operation)
    assert (operation.state, operation.error) == (
        State.REFUSED,
        "Saldo insuficiente en la cuenta de origen.",
    )
    assert execute_operation.delay(operation.pk).get() == State.REFUSED  # a redelivery
    assert transfer_kind.started == [operation.key]


def test_an_executed_operation_cannot_be_moved(books, system):
    operation = operation_create(kind=transfer_kind, actor=system, prepared=transfer(books))
    operation_execute(operation=operation)

    with pytest.raises(IllegalTransition):
        _move(operation, State.AWAITING_CODE)

    assert fresh(operation).state == State.EXECUTED


def test_a_pending_operation_is_not_executed_before_its_signatures(books, company, carla):
    operation = submitted(books, company, carla)

    assert execute_operation.delay(operation.pk).get() == State.PENDING_APPROVAL
    assert transfer_kind.started == []


def test_an_ended_operation_cannot_be_revised(books, system):
    operation = operation_create(kind=transfer_kind, actor=system, prepared=transfer(books))
    operation_execute(operation=operation)

    with pytest.raises(OperationClosed):
        operation_revise(operation=operation, prepared=transfer(books, "1.00"))


# --- any sequence of calls keeps to the state machine -------------------------------------

RECORD_MOVES = """
CREATE TEMPORARY TABLE test_operation_moves (
    operation_id bigint, old_state text, new_state text
);
CREATE FUNCTION pg_temp.test_operation_move() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO test_operation_moves
    VALUES (NEW.id, CASE WHEN TG_OP = 'UPDATE' THEN OLD.state END, NEW.state);
    RETURN NULL;
END $$;
CREATE TRIGGER test_operation_move AFTER INSERT OR UPDATE OF state ON accounts_operation
    FOR EACH ROW EXECUTE FUNCTION pg_temp.test_operation_move();
"""


@pytest.fixture
def recorded_moves(db):
    """Every state a row is created in or moved to, seen by the database itself."""
    with connection.cursor() as cursor:
        cursor.execute(RECORD_MOVES)

    def moves() -> list[tuple[int, str | None, str]]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT operation_id, old_state, new_state FROM test_operation_moves")
            rows = cursor.fetchall()
            cursor.execute("DELETE FROM test_operation_moves")
        return rows

    return moves


index = st.integers(min_value=0, max_value=7)
signer = st.sampled_from(["diego", "elena", "diego", "elena", "carla"])  # Carla entered them
seen = st.sampled_from([True, True, True, False])  # the current digest, or the first one
amount = st.sampled_from(["10.00", "60.00", "150.00"])  # María has $100.00
step = st.one_of(
    st.tuples(st.just("submit"), st.integers(1, 2), amount, st.none()),
    st.tuples(st.just("create"), amount, st.booleans(), st.none()),
    st.tuples(st.just("approve"), index, signer, seen),
    st.tuples(st.just("approve"), index, signer, seen),  # twice as likely: most need two
    st.tuples(st.just("revise"), index, amount, st.none()),
    st.tuples(st.just("execute"), index, st.booleans(), st.none()),
    st.tuples(st.just("crash"), index, st.none(), st.none()),
    st.tuples(st.just("reject"), index, signer, st.none()),
    st.tuples(st.just("sweep"), st.sampled_from([0, 0, 0, 20, 60 * 24 * 8]), st.none(), st.none()),
)


def run_step(action, a, b, c, world: dict) -> None:
    """One engine call, as a browser, an approver, the beat or a worker would make it."""
    operations, first_digest = world["operations"], world["first_digest"]
    books, company, users = world["books"], world["company"], world["users"]
    if action == "submit":
        operation = submitted(books, company, users["carla"], signatures=a, amount=b)
        operations.append(operation)
        first_digest[operation.pk] = operation.digest
        return
    if action == "create":
        system = Actor(user=None, owner=company, channel="system")
        kind = secret_kind if b else transfer_kind
        operation = operation_create(kind=kind, actor=system, prepared=transfer(books, a))
        operations.append(operation)
        first_digest[operation.pk] = operation.digest
        return
    if action == "sweep":
        operations_sweep(now=timezone.now() + timedelta(minutes=a))
        return
    operation = fresh(operations[a % len(operations)])
    if action == "approve":
        digest = operation.digest if c else first_digest[operation.pk]
        operation_approve(operation=operation, user=users[b], digest=digest)
    elif action == "revise":
        operation_revise(operation=operation, prepared=transfer(books, b))
    elif action == "execute" and b:
        execute_operation.delay(operation.pk)
    elif action == "execute":
        operation_execute(operation=operation)
    elif action == "crash":  # the worker dies after posting; later it counts as lost
        kind = operation_kind(operation.purpose)
        kind.crash_after_posting = True
        try:
            operation_execute(operation=operation)
        except WorkerCrashed:
            aged(operation)
        finally:
            kind.crash_after_posting = False
    elif action == "reject":
        operation_reject(operation=operation, user=users[b], reason="No corresponde.")


@pytest.mark.postgres
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(step, min_size=3, max_size=20))
def test_any_sequence_of_calls_keeps_to_the_state_machine_and_executes_once_per_key(
    books,
    company,
    carla,
    diego,
    elena,
    recorded_moves,
    django_capture_on_commit_callbacks,
    steps,
):
    books = {**books, "maria": funded_savings(books["cash"])}  # $100.00 for each example
    users = {"carla": carla, "diego": diego, "elena": elena}
    operations: list[Operation] = []
    world = {"books": books, "company": company, "users": users}
    world.update(operations=operations, first_digest={})
    opening = [("submit", 1, "10.00", None), ("submit", 2, "60.00", None)]
    opening += [("create", "10.00", False, None), ("create", "150.00", True, None)]
    recorded_moves()  # forget the earlier examples' rows
    for action, a, b, c in opening + steps:
        # each call commits: an approval's task runs; a refusal is part of the walk
        with django_capture_on_commit_callbacks(execute=True), suppress(DomainError):
            run_step(action, a, b, c, world)

    moves = recorded_moves()
    assert len([m for m in moves if m[1] is None]) == len(operations)  # the trigger saw them
    for operation_id, old, new in moves:
        if old is None:
            assert new in (State.PREPARED, State.PENDING_APPROVAL), (operation_id, new)
        else:
            assert new in TRANSITIONS[old], (operation_id, old, new)

    finished = Counter(transfer_kind.finished + secret_kind.finished)
    assert all(times == 1 for times in finished.values()), finished
    for operation in map(fresh, operations):
        posted = journals(operation)
        assert posted <= 1
        if operation.state == State.EXECUTED:
            assert posted == 1 and finished[operation.key] == 1
    transfer_kind.finished.clear()
    secret_kind.finished.clear()


def test_a_worker_process_knows_every_kind_without_loading_the_urls():
    """A Celery worker never imports the URLconf: the apps register their kinds at
    startup."""
    import subprocess
    import sys

    script = (
        "import django; django.setup();"
        "from accounts.operations import _kinds;"
        "print(' '.join(sorted(_kinds)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout.split()
    for purpose in ("transfer_own", "transfer_interbank", "loan_payment", "password_change"):
        assert purpose in out


def test_a_worker_that_names_its_operation_finds_it_again(books, system):
    first = operation_create(
        kind=transfer_kind, actor=system, prepared=transfer(books), key="schedule-7-bill-1"
    )
    second = operation_create(
        kind=transfer_kind, actor=system, prepared=transfer(books, "99.00"), key="schedule-7-bill-1"
    )
    assert second.pk == first.pk and Operation.objects.count() == 1
    execute_operation.delay(first.pk)
    execute_operation.delay(second.pk)
    assert journals(first) == 1

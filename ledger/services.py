"""The only code in the portal that changes a balance.

``journal_post`` records one business operation as a balanced journal, exactly once per
idempotency key. On PostgreSQL it is one call of the ``ledger_post`` database function
(``ledger/sql.py``): the idempotency check, the row locks in ascending id order, the
validations, the balance updates and the postings happen in one round trip, so a hot
account is locked only for as long as the server needs. On SQLite the same algorithm
runs here in Python, under the database's single writer lock. Both refuse the same
things with the same exceptions (``ledger.exceptions``), and the database triggers
check the result either way.

Amounts enter and leave as ``Decimal``; lines carry integer cents, debit-positive.
"""

import hashlib
import json
import time
from collections import defaultdict
from collections.abc import Sequence
from contextlib import contextmanager, nullcontext
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache, cached_property

from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import F, Max
from django.utils import timezone

from core.db.rows import Columns, rows_insert, rows_read
from core.money import to_minor
from ledger.exceptions import (
    SQLSTATE_ERRORS,
    AccountNotActive,
    AlreadyReversed,
    HoldNotActive,
    IdempotencyConflict,
    InsufficientFunds,
    Unbalanced,
    UnknownAccount,
)
from ledger.models import Account, Channel, Hold, Journal, Kind, Posting

RETRYABLE_SQLSTATES = {"40001", "40P01"}  # serialization failure, deadlock detected
MAX_ATTEMPTS = 4
KINDS = frozenset(Kind.values)
MAX_KEY, MAX_MOTIVE, MAX_DESCRIPTION = 200, 200, 120
CHANNELS = frozenset(Channel.values)


_BOOKED_AT: ContextVar[datetime | None] = ContextVar("ledger_booked_at", default=None)


@contextmanager
def booked_at(moment: datetime):
    """Books the journals posted inside the block at ``moment`` instead of now — for
    loading history (the demo cooperative, a migration from a core system). The ledger
    still never books a posting before an account's last one: history loads in order."""
    token = _BOOKED_AT.set(moment)
    try:
        yield
    finally:
        _BOOKED_AT.reset(token)


def booking_time() -> datetime:
    """Now, or the moment a ``booked_at`` block books at."""
    return _BOOKED_AT.get() or timezone.now()


@dataclass(frozen=True)
class Line:
    """One leg of a journal: ``amount_minor`` cents on ``account_id``, debit-positive."""

    account_id: int
    amount_minor: int
    description: str

    @classmethod
    def debit(cls, account: Account | int, amount: Decimal, description: str) -> "Line":
        return cls(_account_id(account), _positive_minor(amount), description)

    @classmethod
    def credit(cls, account: Account | int, amount: Decimal, description: str) -> "Line":
        return cls(_account_id(account), -_positive_minor(amount), description)


def _account_id(account: Account | int) -> int:
    return account if isinstance(account, int) else account.pk


def _positive_minor(amount: Decimal) -> int:
    minor = to_minor(amount)
    if minor <= 0:
        raise ValueError(f"a journal line needs a positive amount, not {amount}")
    return minor


@dataclass(frozen=True)
class Posted:
    """What ``journal_post`` did: the journal it wrote, or found for a replayed key."""

    journal_id: int
    replayed: bool

    @cached_property
    def journal(self) -> Journal:
        return Journal.objects.get(pk=self.journal_id)


def _source_ref(source) -> tuple[str, str]:
    if source is None:
        return "", ""
    return source._meta.label_lower, str(source.pk)


def request_hash(
    *,
    kind: str,
    lines: Sequence[Line],
    channel: str,
    motive: str,
    actor_id: int | None,
    source: tuple[str, str],
    reverses_id: int | None,
    hold_ids: Sequence[int],
) -> str:
    """A fingerprint of what a journal says, to tell a replay from a conflict.

    The value date is left out: it follows from the clock, so a retry after midnight or
    past the cut-off is still a replay of the same business event.
    """
    content = {
        "kind": kind,
        "channel": channel,
        "motive": motive,
        "actor": actor_id,
        "source": list(source),
        "reverses": reverses_id,
        "holds": sorted(hold_ids),
        "lines": [[line.account_id, line.amount_minor, line.description] for line in lines],
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def journal_post(
    *,
    key: str,
    kind: str,
    lines: Sequence[Line],
    channel: str = Channel.SYSTEM,
    motive: str = "",
    actor=None,
    source=None,
    value_date: date | None = None,
    reverses: Journal | None = None,
    capture_holds: Sequence[Hold] = (),
    savepoint: bool = True,
) -> Posted:
    """Posts ``lines`` as one journal under the idempotency ``key``.

    The same key with the same content returns the original journal (``replayed``);
    with other content it raises ``IdempotencyConflict``. Refusals (``InsufficientFunds``,
    ``AccountNotActive``, ``UnknownAccount``, ``Unbalanced``, ``HoldNotActive``) change
    nothing. Inside an outer transaction the journal commits or rolls back with it.

    Inside an outer transaction the call runs in a savepoint, so the caller may catch a
    refusal and go on. A caller that never does — any error ends its transaction —
    passes ``savepoint=False`` and saves the savepoint's two round trips; a race for the
    same key then raises ``IntegrityError`` for the caller's retry to find the winner.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown journal kind {kind!r}")
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    if len(lines) < 2 or any(not line.amount_minor for line in lines):
        raise Unbalanced("Un asiento necesita dos o más líneas con monto.")
    if any(not isinstance(line.account_id, int) for line in lines):
        raise UnknownAccount
    if len(key) > MAX_KEY or len(motive) > MAX_MOTIVE:
        raise ValueError("idempotency key or motive too long")
    if any(len(line.description) > MAX_DESCRIPTION for line in lines):
        raise ValueError(f"a posting description is longer than {MAX_DESCRIPTION} characters")
    booked_at = booking_time()
    value_date = value_date or timezone.localdate(booked_at)
    source_ref = _source_ref(source)
    actor_id = actor.pk if actor is not None else None
    hold_ids = [h.pk for h in capture_holds]
    digest = request_hash(
        kind=kind,
        lines=lines,
        channel=channel,
        motive=motive,
        actor_id=actor_id,
        source=source_ref,
        reverses_id=reverses.pk if reverses else None,
        hold_ids=hold_ids,
    )
    request = _Request(
        key=key,
        digest=digest,
        kind=kind,
        channel=channel,
        motive=motive,
        actor_id=actor_id,
        source=source_ref,
        value_date=value_date,
        reverses_id=reverses.pk if reverses else None,
        lines=tuple(lines),
        hold_ids=tuple(hold_ids),
        created_at=booked_at,
    )
    post = _post_postgresql if connection.vendor == "postgresql" else _post_sqlite
    return _with_retries(lambda: post(request, savepoint))


@dataclass(frozen=True)
class _Request:
    key: str
    digest: str
    kind: str
    channel: str
    motive: str
    actor_id: int | None
    source: tuple[str, str]
    value_date: date
    reverses_id: int | None
    lines: tuple[Line, ...]
    hold_ids: tuple[int, ...]
    created_at: datetime


def _with_retries(attempt):
    """Retries serialization failures and deadlocks a few times, invisibly to the caller.

    Only possible when the ledger owns the transaction; inside an outer transaction the
    error goes up so the outer unit of work can be retried as a whole.
    """
    for n in range(1, MAX_ATTEMPTS + 1):
        try:
            return attempt()
        except DatabaseError as exc:
            sqlstate = getattr(exc.__cause__, "sqlstate", None)
            if (
                sqlstate in RETRYABLE_SQLSTATES
                and not connection.in_atomic_block
                and n < MAX_ATTEMPTS
            ):
                time.sleep(0.005 * 2**n)
                continue
            raise
    raise AssertionError("unreachable")  # pragma: no cover


def _raise_domain_error(exc: DatabaseError):
    cause = exc.__cause__
    sqlstate = getattr(cause, "sqlstate", None)
    error_class = SQLSTATE_ERRORS.get(sqlstate)
    if error_class is None:
        raise exc
    detail = getattr(getattr(cause, "diag", None), "message_detail", None)
    context = {"account_id": int(detail)} if detail and detail.isdigit() else {}
    raise error_class(**context) from exc


_POST_SQL = """
    SELECT journal_id, replayed FROM ledger_post(
        %s, %s, %s, %s, %s, %s, %s, %s, %s::date, %s,
        %s::bigint[], %s::bigint[], %s::text[], %s::bigint[], %s)
"""


def _post_postgresql(request: _Request, savepoint: bool = True) -> Posted:
    params = [
        request.key,
        request.digest,
        request.kind,
        request.channel,
        request.motive,
        request.actor_id,
        request.source[0],
        request.source[1],
        request.value_date,
        request.reverses_id,
        [line.account_id for line in request.lines],
        [line.amount_minor for line in request.lines],
        [line.description for line in request.lines],
        list(request.hold_ids),
        request.created_at,
    ]
    try:
        # Outside a transaction the function call is its own transaction: one round trip.
        # Inside an outer transaction a savepoint lets the caller handle a refusal; without
        # one, an error marks the outer transaction for rollback.
        nested = connection.in_atomic_block
        scope = transaction.atomic(savepoint=savepoint) if nested else nullcontext()
        with scope, connection.cursor() as cursor:
            cursor.execute(_POST_SQL, params)
            journal_id, replayed = cursor.fetchone()
    except IntegrityError as exc:
        if nested and not savepoint:
            raise
        return _after_integrity_error(exc, request)
    except DatabaseError as exc:
        _raise_domain_error(exc)
    return Posted(journal_id=journal_id, replayed=replayed)


def violated_constraint(exc: IntegrityError) -> str:
    """The name of the unique constraint ``exc`` reports: PostgreSQL's diagnostics, or
    SQLite's "UNIQUE constraint failed: table.column"."""
    diag = getattr(exc.__cause__, "diag", None)
    if diag is not None and diag.constraint_name:
        return diag.constraint_name
    message = str(exc)
    if message.startswith("UNIQUE constraint failed: "):
        return {
            "ledger_journal.idempotency_key": "ledger_journal_key",
            "ledger_journal.reverses_id": "ledger_journal_reversed_once",
            "ledger_hold.idempotency_key": "ledger_hold_idempotency_key_key",
        }.get(message.removeprefix("UNIQUE constraint failed: ").strip(), message)
    return ""


def _after_integrity_error(exc: IntegrityError, request: _Request) -> Posted:
    """A concurrent writer won the race for the key, or the journal was reversed twice.

    The savepoint (or the function's own transaction) is gone, so the key can be read
    again: under READ COMMITTED it shows the winner's journal.
    """
    constraint = violated_constraint(exc)
    if constraint == "ledger_journal_reversed_once":
        raise AlreadyReversed from exc
    if constraint == "ledger_journal_key":
        existing = Journal.objects.filter(idempotency_key=request.key).first()
        if existing is not None:
            if existing.request_hash != request.digest:
                raise IdempotencyConflict from exc
            return Posted(journal_id=existing.pk, replayed=True)
    raise exc


def _post_sqlite(request: _Request, savepoint: bool = True) -> Posted:
    """The ``ledger_post`` algorithm in Python, for the embedded SQLite default."""
    with transaction.atomic(savepoint=savepoint):  # BEGIN IMMEDIATE: the single writer lock
        existing = (
            Journal.objects.filter(idempotency_key=request.key)
            .values_list("pk", "request_hash")
            .first()
        )
        if existing is not None:
            if existing[1] != request.digest:
                raise IdempotencyConflict
            return Posted(journal_id=existing[0], replayed=True)

        account_ids = sorted({line.account_id for line in request.lines})
        accounts = {a.pk: a for a in Account.objects.select_for_update().filter(pk__in=account_ids)}
        now = max(
            [request.created_at, *(a.last_posted_at for a in accounts.values() if a.last_posted_at)]
        )
        if request.hold_ids:
            outflow: dict[int, int] = defaultdict(int)
            for line in request.lines:
                if line.account_id in accounts:
                    outflow[line.account_id] -= accounts[line.account_id].normal_delta(
                        line.amount_minor
                    )
            holds = list(
                Hold.objects.select_for_update().filter(
                    pk__in=request.hold_ids, status=Hold.Status.ACTIVE, account_id__in=account_ids
                )
            )
            captured: dict[int, int] = defaultdict(int)
            for hold in holds:
                captured[hold.account_id] += hold.amount_minor
            if (
                len(holds) != len(request.hold_ids)
                or any(h.expires_at is not None and h.expires_at <= now for h in holds)
                or any(outflow[a] < amount for a, amount in captured.items())
            ):
                raise HoldNotActive
            for hold in holds:
                accounts[hold.account_id].held_minor -= hold.amount_minor

        if len(accounts) != len(account_ids):
            raise UnknownAccount
        for account_id in account_ids:
            if accounts[account_id].status != Account.Status.ACTIVE:
                raise AccountNotActive(account_id=account_id)
        # After every line, in order, no protected account's available balance is negative.
        running: dict[int, int] = defaultdict(int)
        short = set()
        for line in request.lines:
            account = accounts[line.account_id]
            running[account.pk] += account.normal_delta(line.amount_minor)
            available_after = account.balance_minor - account.held_minor + running[account.pk]
            if account.forbid_negative and running[account.pk] < 0 and available_after < 0:
                short.add(account.pk)
        if short:
            raise InsufficientFunds(account_id=min(short))
        by_currency: dict[str, int] = defaultdict(int)
        for line in request.lines:
            by_currency[accounts[line.account_id].currency] += line.amount_minor
        if any(by_currency.values()):
            raise Unbalanced

        journal_id = (Journal.objects.aggregate(m=Max("pk"))["m"] or 0) + 1
        postings = []
        for line in request.lines:
            account = accounts[line.account_id]
            account.balance_minor += account.normal_delta(line.amount_minor)
            account.last_posted_at = now
            postings.append(
                Posting(
                    journal_id=journal_id,
                    account_id=line.account_id,
                    amount_minor=line.amount_minor,
                    currency=account.currency,
                    balance_after_minor=account.balance_minor,
                    description=line.description,
                    created_at=now,
                )
            )
        Account.objects.bulk_update(
            accounts.values(), ["balance_minor", "held_minor", "last_posted_at"]
        )
        if request.hold_ids:
            Hold.objects.filter(pk__in=request.hold_ids).update(
                status=Hold.Status.CAPTURED, journal_id=journal_id, resolved_at=now
            )
        Posting.objects.bulk_create(postings)
        try:
            with transaction.atomic():
                Journal.objects.create(
                    id=journal_id,
                    idempotency_key=request.key,
                    request_hash=request.digest,
                    kind=request.kind,
                    channel=request.channel,
                    motive=request.motive,
                    actor_id=request.actor_id,
                    source_type=request.source[0],
                    source_id=request.source[1],
                    reverses_id=request.reverses_id,
                    value_date=request.value_date,
                    created_at=now,
                )
        except IntegrityError as exc:
            if violated_constraint(exc) == "ledger_journal_reversed_once":
                raise AlreadyReversed from exc
            raise
    return Posted(journal_id=journal_id, replayed=False)


def journal_reverse(
    *,
    journal: Journal,
    motive: str,
    actor=None,
    channel: str = Channel.SYSTEM,
    postings: Sequence[Posting] | None = None,
    description_prefix: str = "REVERSO ",
) -> Posted:
    """Posts the mirror image of ``journal`` (or of some of its ``postings``, which must
    balance by themselves). A journal is reversed at most once; replaying returns the
    same reversal."""
    originals = list(postings) if postings is not None else list(journal.postings.order_by("pk"))
    if any(p.journal_id != journal.pk for p in originals):
        raise ValueError("only postings of the reversed journal can be reversed")
    if len({p.pk for p in originals}) != len(originals):
        raise ValueError("a posting can be reversed only once")
    lines = [
        Line(p.account_id, -p.amount_minor, (description_prefix + p.description)[:120])
        for p in originals
    ]
    try:
        return journal_post(
            key=f"reversal:{journal.pk}",
            kind=Kind.REVERSAL,
            lines=lines,
            channel=channel,
            motive=motive,
            actor=actor,
            reverses=journal,
        )
    except IdempotencyConflict as exc:
        raise AlreadyReversed from exc


def account_open(
    *,
    code: str,
    name: str,
    kind: str,
    normal_side: str,
    currency: str,
    forbid_negative: bool = False,
    parent: Account | None = None,
) -> Account:
    """Opens a ledger account with a zero balance (idempotent by ``code``)."""
    account, created = Account.objects.get_or_create(
        code=code,
        defaults={
            "name": name,
            "kind": kind,
            "normal_side": normal_side,
            "currency": currency,
            "forbid_negative": forbid_negative,
            "parent": parent,
        },
    )
    if not created and (account.currency, account.normal_side) != (currency, normal_side):
        raise ValueError(f"account {code} exists with another currency or side")
    return account


def account_set_status(*, account: Account, status: str) -> Account:
    """Blocks, closes or reactivates an account; a closed account must be empty."""
    if status not in Account.Status.values:
        raise ValueError(f"unknown account status {status!r}")
    with transaction.atomic():
        locked = Account.objects.select_for_update().get(pk=account.pk)
        if status == Account.Status.CLOSED and (locked.balance_minor or locked.held_minor):
            raise AccountNotActive("Solo se puede cerrar una cuenta sin saldo ni retenciones.")
        locked.status = status
        locked.save(update_fields=["status"])
    return locked


def hold_place(
    *,
    account: Account,
    amount: Decimal,
    key: str,
    description: str,
    expires_at: datetime | None = None,
    source=None,
    savepoint: bool = True,
) -> Hold:
    """Reserves ``amount`` on ``account`` (two-phase): captured later by a journal, or
    released. Idempotent by ``key``.

    As for ``journal_post``: inside an outer transaction whose every error ends it, the
    caller passes ``savepoint=False`` and saves two round trips; a race for the same key
    then raises ``IntegrityError`` for the caller."""
    amount_minor = _positive_minor(amount)
    source_type, source_id = _source_ref(source)
    try:
        return _hold_place(
            account, amount_minor, key, description, expires_at, source_type, source_id, savepoint
        )
    except IntegrityError as exc:  # the same key placed at the same moment elsewhere
        if not savepoint and connection.in_atomic_block:
            raise
        if violated_constraint(exc) != "ledger_hold_idempotency_key_key":
            raise
        existing = Hold.objects.get(idempotency_key=key)
        if (existing.account_id, existing.amount_minor) != (account.pk, amount_minor):
            raise IdempotencyConflict from exc
        return existing


def _hold_place(
    account, amount_minor, key, description, expires_at, source_type, source_id, savepoint=True
):
    with transaction.atomic(savepoint=savepoint):
        locked, existing = _account_locked_and_hold(account.pk, key)
        if locked is None:
            raise UnknownAccount
        if existing is not None:
            if (existing.account_id, existing.amount_minor) != (locked.pk, amount_minor):
                raise IdempotencyConflict
            return existing
        if locked.status != Account.Status.ACTIVE:
            raise AccountNotActive(account_id=locked.pk)
        if locked.forbid_negative and locked.balance_minor - locked.held_minor < amount_minor:
            raise InsufficientFunds(account_id=locked.pk)
        Account.objects.filter(pk=locked.pk).update(held_minor=F("held_minor") + amount_minor)
        return Hold.objects.create(
            account=locked,
            amount_minor=amount_minor,
            idempotency_key=key,
            description=description,
            expires_at=expires_at,
            source_type=source_type,
            source_id=source_id,
        )


_HOLD_ACCOUNT, _HOLD = Columns(Account, "a"), Columns(Hold, "h")


@cache
def _account_and_hold_sql() -> str:
    features = connection.features
    lock = ""
    if features.has_select_for_update:
        lock = " FOR UPDATE OF a" if features.has_select_for_update_of else " FOR UPDATE"
    return (
        f"SELECT {_HOLD_ACCOUNT.sql()}, {_HOLD.sql()} FROM ledger_account a "  # noqa: S608 - no input in the text
        f"LEFT JOIN ledger_hold h ON h.idempotency_key = %s WHERE a.id = %s{lock}"
    )


def _account_locked_and_hold(account_id: int, key: str) -> tuple[Account | None, Hold | None]:
    """The account under its row lock and the hold already placed with ``key``, if any,
    in one written statement (the ORM compiled two queries for them: more Python than
    the server spends running them). A hold placed with ``key`` by a transaction this one
    waited for is not in the row — the statement read before the wait — and the key's
    unique constraint refuses the second one, as when both are placed at the same moment."""
    with connection.cursor() as cursor:
        cursor.execute(_account_and_hold_sql(), [key, account_id])
        row = cursor.fetchone()
    if row is None:
        return None, None
    split = len(_HOLD_ACCOUNT)
    return _HOLD_ACCOUNT.build(row[:split]), _HOLD.build(row[split:])


@dataclass(frozen=True)
class HoldRequest:
    """One hold of :func:`holds_place`: as ``hold_place``'s arguments."""

    account_id: int
    amount: Decimal
    key: str
    description: str
    expires_at: datetime | None = None
    source: object = None


def holds_place(*, requests: Sequence[HoldRequest]) -> list[Hold]:
    """Places the holds of ``requests`` — a worker's batch (the scheduled payments of a
    run) — in the caller's transaction, which every refusal ends: their accounts locked
    once, in id order, each hold checked as :func:`hold_place` checks it against what the
    batch's earlier holds reserved on the same account, every account's reserve raised in
    one statement and the holds inserted in one. A refusal (``UnknownAccount``,
    ``AccountNotActive``, ``InsufficientFunds``) refuses the whole batch; a key already
    used raises ``IntegrityError`` (the caller places that batch's holds one by one).
    Returns the holds, in the order of ``requests``."""
    if not requests:
        return []
    if not connection.in_atomic_block:
        raise transaction.TransactionManagementError("holds_place needs a transaction")
    account_ids = sorted({r.account_id for r in requests})
    accounts = {a.pk: a for a in accounts_lock(account_ids=account_ids)}
    reserved: dict[int, int] = defaultdict(int)
    holds = []
    for request in requests:
        amount_minor = _positive_minor(request.amount)
        account = accounts.get(request.account_id)
        if account is None:
            raise UnknownAccount
        if account.status != Account.Status.ACTIVE:
            raise AccountNotActive(account_id=account.pk)
        available = account.balance_minor - account.held_minor - reserved[account.pk]
        if account.forbid_negative and available < amount_minor:
            raise InsufficientFunds(account_id=account.pk)
        reserved[account.pk] += amount_minor
        source_type, source_id = _source_ref(request.source)
        holds.append(
            Hold(
                account_id=account.pk,
                amount_minor=amount_minor,
                idempotency_key=request.key,
                description=request.description,
                expires_at=request.expires_at,
                source_type=source_type,
                source_id=source_id,
            )
        )
    cases = " ".join("WHEN %s THEN %s" for _ in reserved)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE ledger_account SET held_minor = held_minor + CASE id {cases} END "  # noqa: S608 - no input in the text
            f"WHERE id IN ({', '.join(['%s'] * len(reserved))})",
            [*(v for item in reserved.items() for v in item), *reserved],
        )
    return rows_insert(holds)


_LOCK_ACCOUNT = Columns(Account, "a")


def accounts_lock(*, account_ids: Sequence[int]) -> list[Account]:
    """Locks the accounts of ``account_ids`` in id order until the transaction ends, and
    returns them as they are now — for a worker that posts or holds on many accounts in
    one transaction (``holds_place``, a batch of captures): taken together in the order
    every posting takes them, no two such transactions wait for each other in a cycle."""
    ids = sorted(set(account_ids))
    if not ids:
        return []
    features = connection.features
    lock = ""
    if features.has_select_for_update:
        lock = " FOR UPDATE"
    return [
        account
        for (account,) in rows_read(
            f"SELECT {_LOCK_ACCOUNT.sql()} FROM ledger_account a "  # noqa: S608 - no input in the text
            f"WHERE a.id IN ({', '.join(['%s'] * len(ids))}) ORDER BY a.id{lock}",
            ids,
            (_LOCK_ACCOUNT,),
        )
    ]


def hold_release(*, hold: Hold) -> Hold:
    """Stops reserving the hold's amount. Releasing twice changes nothing."""
    with transaction.atomic():
        Account.objects.select_for_update().get(pk=hold.account_id)  # accounts before holds
        locked = Hold.objects.select_for_update().get(pk=hold.pk)
        if locked.status != Hold.Status.ACTIVE:
            return locked
        Account.objects.filter(pk=locked.account_id).update(
            held_minor=F("held_minor") - locked.amount_minor
        )
        locked.status = Hold.Status.RELEASED
        locked.resolved_at = timezone.now()
        locked.save(update_fields=["status", "resolved_at"])
    return locked


def holds_release_expired(*, now: datetime | None = None) -> int:
    """Releases every active hold past its expiry; returns how many."""
    now = now or timezone.now()
    released = 0
    for hold in Hold.objects.filter(status=Hold.Status.ACTIVE, expires_at__lte=now).order_by("pk"):
        if hold_release(hold=hold).status == Hold.Status.RELEASED:
            released += 1
    return released

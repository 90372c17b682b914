"""What must hold after every step of the simulation, whatever was injected.

Each check returns the violations it found (sentences); the driver fails on the first
step with any. Money is read through the ledger's own check (``ledger_check``) and again
with direct SQL; "paid once" is one SQL query per business object that moves money, in
:data:`PAID_ONCE` — a new kind (a payroll line) adds its query there; state machines are
observed step by step in :class:`StateWatch`, against the engine's own ``TRANSITIONS``
for operations and the declared life cycle of each other row.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection

from accounts.models import Operation
from accounts.operations import MAX_ATTEMPTS, TRANSITIONS
from ledger.audit import ledger_check


def _rows(sql: str, params: Iterable = ()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return cursor.fetchall()


# --- money ------------------------------------------------------------------------------


def ledger_violations() -> list[str]:
    """The ledger's own audit: stored balances and held amounts against postings and
    holds, every journal balanced with two postings or more, each currency summing to
    zero, no forbidden negative available balance."""
    report = ledger_check()
    return [] if report.ok else [line for line in report.lines()[1:-1]]


def total_violations(initial: dict[str, int]) -> list[str]:
    """The total: the signed sum of every account's stored balance per currency (the
    money of members, companies and the cooperative's books together) stays what it was
    at the start — zero, since every journal balances — and no journal has a posting
    on the other side of the books from where its account can go."""
    out = []
    totals = dict(
        _rows(
            "SELECT currency, sum(CASE WHEN normal_side = 'D' THEN balance_minor "
            "ELSE -balance_minor END) FROM ledger_account GROUP BY currency"
        )
    )
    for currency in set(totals) | set(initial):
        if totals.get(currency, 0) != initial.get(currency, 0):
            out.append(
                f"total {currency}: {totals.get(currency, 0)} ≠ {initial.get(currency, 0)} al inicio"
            )
    return out


def negative_violations() -> list[str]:
    """Nothing negative where it cannot be: a member's or company's deposit account
    (available = balance − held), a hold, a card's revolving receivable (a payment never
    takes it below zero) or its deferred one, a loan's outstanding capital."""
    out = [
        f"saldo disponible negativo en {code}: {balance} − {held}"
        for code, balance, held in _rows(
            "SELECT a.code, a.balance_minor, a.held_minor FROM ledger_account a "
            "JOIN products_depositaccount d ON d.ledger_account_id = a.id "
            "WHERE a.balance_minor - a.held_minor < 0 OR a.held_minor < 0"
        )
    ]
    out += [
        f"cartera de tarjeta negativa en {code}: {balance}"
        for code, balance in _rows(
            "SELECT a.code, a.balance_minor FROM ledger_account a JOIN cards_card c "
            "ON a.id IN (c.revolving_account_id, c.deferred_account_id) WHERE a.balance_minor < 0"
        )
    ]
    out += [
        f"capital de crédito negativo en {code}: {balance}"
        for code, balance in _rows(
            "SELECT a.code, a.balance_minor FROM ledger_account a JOIN products_loan l "
            "ON l.ledger_account_id = a.id WHERE a.balance_minor < 0"
        )
    ]
    out += [
        f"retención no positiva {pk}"
        for (pk,) in _rows("SELECT id FROM ledger_hold WHERE amount_minor <= 0")
    ]
    return out


# --- paid once --------------------------------------------------------------------------

# Each query returns the business objects paid more than once (or paid and refunded both,
# or charged without being paid), one row each: (what, id, detail). A new money-moving
# object adds its query here (a payroll line: its journals by source, at most one).
PAID_ONCE: dict[str, str] = {
    # A bill: at most one payment not refused per biller, reference and bill number.
    "factura pagada dos veces": """
        SELECT 'factura', biller_id || ':' || reference || ':' || bill_number, count(*)
        FROM payments_billpayment WHERE bill_number <> '' AND state <> 'refused'
        GROUP BY biller_id, reference, bill_number HAVING count(*) > 1
    """,
    # A bill payment: the biller took at most one payment per key, and one per bill.
    "la empresa cobró dos veces": """
        SELECT 'recibo', biller_code || ':' || reference || ':' || bill_number, count(*)
        FROM payments_simulatedbillerpayment WHERE outcome = 'confirmed' AND bill_number <> ''
        GROUP BY biller_code, reference, bill_number HAVING count(*) > 1
    """,
    # A payment is charged (one journal captured its hold) exactly when it is paid.
    "pago de servicio cobrado sin estar pagado o pagado sin cobro": """
        SELECT 'pago', p.id, p.state || ' / ' || count(j.id)
        FROM payments_billpayment p
        LEFT JOIN ledger_journal j ON j.idempotency_key = 'bill:' || p.key
        GROUP BY p.id, p.state
        HAVING (p.state = 'paid') <> (count(j.id) = 1)
    """,
    # The member is charged only for what the biller confirmed, and every payment the
    # biller confirmed is charged (or still waiting for its answer, money held).
    "pago confirmado por la empresa y no cobrado, o cobrado sin confirmar": """
        SELECT 'pago', p.id, p.state || ' / ' || coalesce(s.outcome, '—')
        FROM payments_billpayment p
        LEFT JOIN payments_simulatedbillerpayment s ON s.key = p.key
        WHERE (p.state = 'paid' AND coalesce(s.outcome, '') <> 'confirmed')
           OR (p.state = 'refused' AND s.outcome = 'confirmed')
    """,
    # The hold of a payment: active while unresolved, captured once paid, else released.
    "retención de pago de servicio en estado incorrecto": """
        SELECT 'pago', p.id, p.state || ' / ' || coalesce(h.status, 'sin retención')
        FROM payments_billpayment p LEFT JOIN ledger_hold h ON h.id = p.hold_id
        WHERE (p.state IN ('held', 'resolving') AND coalesce(h.status, 'active') <> 'active')
           OR (p.state = 'paid' AND coalesce(h.status, '') <> 'captured')
           OR (p.state = 'refused' AND h.status = 'active')
    """,
    # A transfer: one journal of its own, settled at most once, refunded at most once,
    # never both; done or pending/sent/settled/rejected as those journals say.
    "transferencia pagada dos veces": """
        SELECT 'transferencia', t.id, t.status || ' / ' || count(j.id) || ' / '
               || count(s.id) || ' / ' || count(r.id)
        FROM transfers_transfer t
        LEFT JOIN ledger_journal j ON j.idempotency_key = 'transfer:' || t.key
        LEFT JOIN ledger_journal s ON s.idempotency_key = 'settle:' || t.key
        LEFT JOIN ledger_journal r ON r.reverses_id = t.journal_id
        GROUP BY t.id, t.status
        HAVING count(j.id) <> 1 OR count(s.id) > 1 OR count(r.id) > 1
            OR (count(s.id) = 1 AND count(r.id) = 1)
            OR (t.status = 'settled') <> (count(s.id) = 1)
            OR (t.status = 'rejected') <> (count(r.id) = 1)
    """,
    # An interbank transfer travels in one batch: its reference in at most one file.
    "transferencia enviada en dos lotes": """
        SELECT 'referencia', ref, count(DISTINCT b.id)
        FROM transfers_settlementbatch b,
             LATERAL regexp_split_to_table(b.file, E'\\n') AS line,
             LATERAL split_part(line, '|', 3) AS ref
        WHERE line LIKE 'D|%%'
        GROUP BY ref HAVING count(DISTINCT b.id) > 1
    """,
    # A card payment: one journal; another bank's card settled or returned at most once,
    # never both, as its status says.
    "pago de tarjeta pagado dos veces": """
        SELECT 'pago de tarjeta', c.id, c.status || ' / ' || count(j.id) || ' / '
               || count(s.id) || ' / ' || count(r.id)
        FROM cards_cardpayment c
        LEFT JOIN ledger_journal j ON j.idempotency_key = 'card-payment:' || c.key
        LEFT JOIN ledger_journal s ON s.idempotency_key = 'settle:card-payment:' || c.key
        LEFT JOIN ledger_journal r ON r.reverses_id = c.journal_id
        GROUP BY c.id, c.status
        HAVING count(j.id) <> 1 OR count(s.id) > 1 OR count(r.id) > 1
            OR (count(s.id) = 1 AND count(r.id) = 1)
            OR (c.status = 'settled') <> (count(s.id) = 1)
            OR (c.status = 'rejected') <> (count(r.id) = 1)
    """,
    # A purchase is deferred at most once; a deferral posts one journal.
    "diferido dos veces": """
        SELECT 'diferido', d.id, count(j.id)
        FROM cards_carddeferral d
        LEFT JOIN ledger_journal j ON j.idempotency_key = 'card_deferral:' || d.idempotency_key
        GROUP BY d.id HAVING count(j.id) <> 1
    """,
    # A loan is disbursed once; each installment paid by at most one journal.
    "crédito desembolsado dos veces": """
        SELECT 'crédito', l.id, count(j.id)
        FROM products_loan l
        LEFT JOIN ledger_journal j ON j.source_type = 'products.loan'
             AND j.source_id = l.id::text AND j.kind = 'loan_disbursement'
        GROUP BY l.id HAVING count(j.id) <> 1
    """,
    "cuota pagada dos veces": """
        SELECT 'crédito', l.id, count(j.id) || ' pagos / '
               || (SELECT count(*) FROM products_installment i
                   WHERE i.loan_id = l.id AND i.state = 'paid') || ' cuotas pagadas'
        FROM products_loan l
        LEFT JOIN ledger_journal j ON j.source_type = 'products.loan'
             AND j.source_id = l.id::text AND j.kind = 'loan_payment'
        GROUP BY l.id
        HAVING count(j.id) <> (SELECT count(*) FROM products_installment i
                               WHERE i.loan_id = l.id AND i.state = 'paid')
    """,
}


def paid_once_violations() -> list[str]:
    out = []
    for name, sql in PAID_ONCE.items():
        out += [f"{name}: {what} {ident} ({detail})" for what, ident, detail in _rows(sql)]
    return out


# --- state machines ---------------------------------------------------------------------

# Each row's life cycle outside the engine: the states it may move to from each state.
LIFE_CYCLES: dict[str, tuple[str, dict[str, set[str]]]] = {
    "operación": ("SELECT id, state FROM accounts_operation", TRANSITIONS),
    "transferencia": (
        "SELECT id, status FROM transfers_transfer",
        {"done": set(), "pending": {"sent"}, "sent": {"settled", "rejected"},
         "settled": set(), "rejected": set()},
    ),
    "pago de servicio": (
        "SELECT id, state FROM payments_billpayment",
        {"held": {"resolving", "paid", "refused"}, "resolving": {"paid", "refused"},
         "paid": set(), "refused": set()},
    ),
    "pago de tarjeta": (
        "SELECT id, status FROM cards_cardpayment",
        {"done": set(), "pending": {"sent"}, "sent": {"settled", "rejected"},
         "settled": set(), "rejected": set()},
    ),
    "lote": (
        "SELECT id, status FROM transfers_settlementbatch",
        {"open": {"sent"}, "sent": {"done"}, "done": set()},
    ),
    "retención": (
        "SELECT id, status FROM ledger_hold",
        {"active": {"captured", "released"}, "captured": set(), "released": set()},
    ),
    "cuota": (
        "SELECT id, state FROM products_installment",
        {"pending": {"overdue", "paid"}, "overdue": {"paid"}, "paid": set()},
    ),
}  # fmt: skip


def _reachable(machine: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = {start}, [start]
    while todo:
        for nxt in machine.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


class StateWatch:
    """Every row's state as last seen: a step may move a row several times, so the new
    state must be reachable from the last one through the declared moves (and a row
    first seen must start from a state something can be created in)."""

    def __init__(self) -> None:
        self.seen: dict[str, dict[int, str]] = {name: {} for name in LIFE_CYCLES}

    def violations(self) -> list[str]:
        out = []
        for name, (sql, machine) in LIFE_CYCLES.items():
            seen = self.seen[name]
            for pk, state in _rows(sql):
                before = seen.get(pk)
                if state not in machine:
                    out.append(f"{name} {pk}: estado desconocido {state!r}")
                elif before is not None and state != before:
                    allowed = _reachable(machine, before)
                    if state not in allowed:
                        out.append(f"{name} {pk}: {before} → {state} no es un paso permitido")
                seen[pk] = state
        return out


def operation_key_violations() -> list[str]:
    """An operation executed once: its key names at most one transfer (and the stored
    result's journal is that transfer's)."""
    rows = _rows(
        "SELECT o.id, count(t.id) FROM accounts_operation o "
        "JOIN transfers_transfer t ON t.key = o.key GROUP BY o.id HAVING count(t.id) > 1"
    )
    out = [f"operación {pk}: {n} transferencias" for pk, n in rows]
    executed_without = Operation.objects.filter(
        state=Operation.State.EXECUTED, purpose__startswith="transfer_", result__isnull=True
    ).values_list("pk", flat=True)
    out += [f"operación {pk}: ejecutada sin resultado" for pk in executed_without]
    return out


def all_violations(*, initial_totals: dict[str, int], watch: StateWatch) -> list[str]:
    return [
        *ledger_violations(),
        *total_violations(initial_totals),
        *negative_violations(),
        *paid_once_violations(),
        *operation_key_violations(),
        *watch.violations(),
    ]


def totals_now() -> dict[str, int]:
    return dict(
        _rows(
            "SELECT currency, sum(CASE WHEN normal_side = 'D' THEN balance_minor "
            "ELSE -balance_minor END) FROM ledger_account GROUP BY currency"
        )
    )


# --- after the world healed -------------------------------------------------------------

# Once faults stop and the beat and the workers have run for a day and a half, nothing may
# stay lost: each query lists what is still stuck, one row each: (what, id, detail).
LIVENESS: dict[str, str] = {
    "operación sin terminar": """
        SELECT 'operación', id, state || ' intentos ' || attempts FROM accounts_operation
        WHERE state IN ('executing', 'approved') AND attempts < %(max_attempts)s
    """,
    "pago de servicio sin resolver aunque la empresa ya sabe": """
        SELECT 'pago', p.id, p.state || ' / ' || coalesce(s.outcome, 'la red no lo vio')
        FROM payments_billpayment p
        LEFT JOIN payments_simulatedbillerpayment s ON s.key = p.key
        WHERE p.state = 'held'
           OR (p.state = 'resolving' AND coalesce(s.outcome, '') <> 'pending')
    """,
    "retención sin pago que la explique": """
        SELECT 'retención', h.id, h.description FROM ledger_hold h
        WHERE h.status = 'active' AND NOT EXISTS (
            SELECT 1 FROM payments_billpayment p
            WHERE p.hold_id = h.id AND p.state IN ('held', 'resolving'))
    """,
    "transferencia interbancaria sin liquidar": """
        SELECT 'transferencia', id, status || ' fecha valor ' || value_date
        FROM transfers_transfer
        WHERE status IN ('pending', 'sent') AND value_date < %(today)s
    """,
    "pago de tarjeta de otra entidad sin liquidar": """
        SELECT 'pago de tarjeta', id, status || ' fecha valor ' || value_date
        FROM cards_cardpayment
        WHERE status IN ('pending', 'sent') AND value_date < %(today)s
    """,
    "notificación sin enviar": """
        SELECT 'notificación', id, status || ' intentos ' || attempts FROM core_notification
        WHERE status = 'pending'
    """,
}


def liveness_violations() -> list[str]:
    from django.utils import timezone

    out = []
    for name, sql in LIVENESS.items():
        with connection.cursor() as cursor:
            cursor.execute(sql, {"today": timezone.localdate(), "max_attempts": MAX_ATTEMPTS})
            out += [
                f"{name}: {what} {ident} ({detail})" for what, ident, detail in cursor.fetchall()
            ]
    return out


def outcomes() -> dict[str, dict[str, int]]:
    """How many rows ended in each state, for the run's summary."""
    tables = {
        "operaciones": "accounts_operation",
        "transferencias": "transfers_transfer",
        "pagos_de_servicios": "payments_billpayment",
        "pagos_de_tarjetas": "cards_cardpayment",
    }
    column = {"accounts_operation": "state", "payments_billpayment": "state"}
    return {
        name: dict(
            _rows(
                f"SELECT {column.get(table, 'status')}, count(*) FROM {table} "  # noqa: S608 - no input
                f"GROUP BY 1 ORDER BY 1"
            )
        )
        for name, table in tables.items()
    }

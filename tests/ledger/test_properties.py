"""Property tests: whatever sequence of operations members and the system attempt, the
ledger stays balanced, conserves money, agrees with its own postings and never lets a
protected balance go negative — and it agrees with a simple model of what happened."""

import itertools
from collections import defaultdict
from decimal import Decimal

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from core.errors import DomainError
from core.money import from_minor
from ledger.audit import ledger_check
from ledger.models import Account, Hold, Journal, Kind
from ledger.services import Line, hold_place, hold_release, journal_post, journal_reverse
from tests.ledger.conftest import open_savings

ACCOUNTS = 4
_keys = itertools.count()

cents = st.integers(min_value=1, max_value=15_000)
index = st.integers(min_value=0, max_value=ACCOUNTS - 1)
operation = st.one_of(
    st.tuples(st.just("transfer"), index, index, cents),
    st.tuples(st.just("transfer_with_fee"), index, index, cents),
    st.tuples(st.just("hold"), index, cents, st.none()),
    st.tuples(st.just("release"), st.integers(0, 20), st.none(), st.none()),
    st.tuples(st.just("capture"), st.integers(0, 20), index, st.none()),
    st.tuples(st.just("reverse"), st.integers(0, 40), st.none(), st.none()),
    st.tuples(st.just("replay"), st.integers(0, 40), st.none(), st.none()),
)


def key(prefix: str) -> str:
    return f"prop-{prefix}-{next(_keys)}"


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=st.lists(operation, min_size=1, max_size=25))
# Found by this test: a debit-then-credit on one account overdrew it between the lines.
@example(operations=[("transfer", 0, 0, 10001)])
def test_random_operations_keep_every_invariant(cash, operations):
    accounts = [open_savings() for _ in range(ACCOUNTS)]
    fees = open_savings(name="Comisiones")
    model = defaultdict(int)  # account pk -> expected balance in cents
    for account in accounts:
        journal_post(
            key=key("fund"),
            kind=Kind.DEPOSIT,
            lines=[
                Line.debit(cash, Decimal("100.00"), "DEPÓSITO"),
                Line.credit(account, Decimal("100.00"), "DEPÓSITO AHORROS"),
            ],
        )
        model[account.pk] += 10_000
    posted: list[tuple[str, str, list[Line]]] = []  # key, kind, lines
    holds: list[Hold] = []

    def post(kind, lines, **kwargs):
        k = key(kind)
        journal_post(key=k, kind=kind, lines=lines, **kwargs)
        posted.append((k, kind, lines))
        apply(lines)

    def apply(lines, sign=1):
        for line in lines:
            account = Account.objects.get(pk=line.account_id)
            model[line.account_id] += sign * account.normal_delta(line.amount_minor)

    for name, a, b, c in operations:
        try:
            if name in {"transfer", "transfer_with_fee"}:
                amount = from_minor(c)
                lines = [
                    Line.debit(accounts[a], amount, "ND TRANSFERENCIA"),
                    Line.credit(accounts[b], amount, "NC TRANSFERENCIA"),
                ]
                if name == "transfer_with_fee":
                    lines += [
                        Line.debit(accounts[a], Decimal("0.36"), "COMISIÓN"),
                        Line.credit(fees, Decimal("0.36"), "COMISIÓN"),
                        Line.debit(accounts[a], Decimal("0.05"), "IVA"),
                        Line.credit(fees, Decimal("0.05"), "IVA"),
                    ]
                post(Kind.TRANSFER_INTERNAL, lines)
            elif name == "hold":
                holds.append(
                    hold_place(
                        account=accounts[a], amount=from_minor(b), key=key("hold"), description="R"
                    )
                )
            elif name == "release" and holds:
                hold_release(hold=holds[a % len(holds)])
            elif name == "capture" and holds:
                hold = Hold.objects.get(pk=holds[a % len(holds)].pk)
                lines = [
                    Line.debit(hold.account_id, hold.amount, "ND"),
                    Line.credit(accounts[b], hold.amount, "NC"),
                ]
                post(Kind.TRANSFER_INTERBANK, lines, capture_holds=[hold])
            elif name == "reverse" and posted:
                k, _, lines = posted[a % len(posted)]
                journal = Journal.objects.get(idempotency_key=k)
                if journal_reverse(journal=journal, motive="reverso").replayed is False:
                    apply(lines, sign=-1)
            elif name == "replay" and posted:
                k, kind, lines = posted[a % len(posted)]
                assert journal_post(key=k, kind=kind, lines=lines).replayed
        except DomainError:
            pass  # refused: the model does not change, and neither may the ledger

        for account in [*accounts, fees]:
            stored = Account.objects.get(pk=account.pk)
            assert stored.balance_minor == model[account.pk]
            assert stored.balance_minor - stored.held_minor >= 0

    report = ledger_check()
    assert report.ok, report.lines()

"""Every rule of journal_post, each refusal leaving the ledger exactly as it was."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ledger.audit import ledger_check
from ledger.exceptions import (
    AccountNotActive,
    AlreadyReversed,
    HoldNotActive,
    IdempotencyConflict,
    InsufficientFunds,
    Unbalanced,
    UnknownAccount,
)
from ledger.models import Account, AppendOnlyError, Hold, Journal, Kind, Posting
from ledger.services import (
    Line,
    Posted,
    account_open,
    account_set_status,
    hold_place,
    hold_release,
    holds_release_expired,
    journal_post,
    journal_reverse,
)
from tests.ledger.conftest import open_savings, refreshed

D = Decimal


def transfer(origin, target, amount, key="transfer-1", **kwargs):
    return journal_post(
        key=key,
        kind=Kind.TRANSFER_INTERNAL,
        lines=[
            Line.debit(origin, D(amount), "ND TRANSFERENCIA"),
            Line.credit(target, D(amount), "NC TRANSFERENCIA"),
        ],
        **kwargs,
    )


def state():
    """Everything money-related, to prove a refusal changed nothing."""
    return (
        sorted(Account.objects.values_list("pk", "balance_minor", "held_minor")),
        Journal.objects.count(),
        Posting.objects.count(),
        sorted(Hold.objects.values_list("pk", "status")),
    )


def test_a_transfer_moves_money_and_records_running_balances(maria_savings, gabriel_savings):
    posted = transfer(maria_savings, gabriel_savings, "30.25")
    assert not posted.replayed
    assert refreshed(maria_savings).balance == D("69.75")
    assert refreshed(gabriel_savings).balance == D("30.25")
    postings = list(posted.journal.postings.order_by("pk"))
    assert [(p.description, p.amount_minor, p.balance_after_minor) for p in postings] == [
        ("ND TRANSFERENCIA", 3025, 6975),
        ("NC TRANSFERENCIA", -3025, 3025),
    ]
    assert ledger_check().ok


def test_commission_and_iva_are_their_own_movements_with_their_own_balances(
    maria_savings, gabriel_savings, cash
):
    posted = journal_post(
        key="interbank-1",
        kind=Kind.TRANSFER_INTERBANK,
        lines=[
            Line.debit(maria_savings, D("6.00"), "ND TRANSFERENCIA PAGO DIRECTO"),
            Line.credit(cash, D("6.00"), "ND TRANSFERENCIA PAGO DIRECTO"),
            Line.debit(maria_savings, D("0.36"), "COMISIÓN TRANSFERENCIA PAGO DIRECTO"),
            Line.credit(cash, D("0.36"), "COMISIÓN TRANSFERENCIA PAGO DIRECTO"),
            Line.debit(maria_savings, D("0.05"), "IVA TRANSFERENCIA PAGO DIRECTO"),
            Line.credit(cash, D("0.05"), "IVA TRANSFERENCIA PAGO DIRECTO"),
        ],
    )
    mine = posted.journal.postings.filter(account=maria_savings).order_by("pk")
    assert [p.balance_after_minor for p in mine] == [9400, 9364, 9359]
    assert refreshed(maria_savings).balance == D("93.59")


def test_the_journal_records_who_why_where_and_what_for(maria_savings, gabriel_savings, member):
    posted = transfer(
        maria_savings,
        gabriel_savings,
        "1.00",
        channel="web",
        motive="Pago arriendo",
        actor=member.user,
        source=member,
    )
    journal = posted.journal
    assert (journal.channel, journal.motive, journal.actor) == ("web", "Pago arriendo", member.user)
    assert (journal.source_type, journal.source_id) == ("accounts.member", str(member.pk))
    assert journal.get_channel_display() == "Banca Web"
    assert str(journal) == f"Comprobante N.º {journal.pk}"
    assert journal.value_date == timezone.localdate()


def test_the_same_key_and_content_returns_the_original_journal(maria_savings, gabriel_savings):
    first = transfer(maria_savings, gabriel_savings, "10.00")
    before = state()
    again = transfer(maria_savings, gabriel_savings, "10.00")
    assert again.journal_id == first.journal_id
    assert again.replayed
    assert state() == before


def test_the_same_key_with_other_content_is_refused(maria_savings, gabriel_savings):
    transfer(maria_savings, gabriel_savings, "10.00")
    before = state()
    with pytest.raises(IdempotencyConflict):
        transfer(maria_savings, gabriel_savings, "10.01")
    assert state() == before


def test_insufficient_funds_change_nothing(maria_savings, gabriel_savings):
    before = state()
    with pytest.raises(InsufficientFunds) as exc:
        transfer(maria_savings, gabriel_savings, "100.01")
    assert exc.value.message == "Saldo insuficiente en la cuenta de origen."
    assert exc.value.context == {"account_id": maria_savings.pk}
    assert state() == before


def test_inside_a_transaction_a_refusal_leaves_the_caller_free_to_go_on(
    maria_savings, gabriel_savings
):
    with transaction.atomic():
        with pytest.raises(InsufficientFunds):
            transfer(maria_savings, gabriel_savings, "100.01")
        transfer(maria_savings, gabriel_savings, "100.00", key="transfer-2")
    assert refreshed(maria_savings).balance == D("0.00")


def test_without_a_savepoint_a_refusal_ends_the_callers_transaction(maria_savings, gabriel_savings):
    before = state()
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        with pytest.raises(InsufficientFunds):
            transfer(maria_savings, gabriel_savings, "100.01", savepoint=False)
        with pytest.raises(TransactionManagementError):
            Journal.objects.count()
    assert state() == before
    savepoints = [q for q in queries.captured_queries if str(q["sql"]).startswith("SAVEPOINT")]
    assert len(savepoints) == 1  # the test's own block: none of the journal's


def test_the_whole_balance_can_be_spent(maria_savings, gabriel_savings):
    transfer(maria_savings, gabriel_savings, "100.00")
    assert refreshed(maria_savings).balance == D("0.00")


def test_an_account_that_allows_it_may_go_negative(gabriel_savings):
    suspense = account_open(
        code="TEST-SUSPENSE", name="Suspenso", kind="liability", normal_side="C", currency="USD"
    )
    transfer(suspense, gabriel_savings, "5.00")
    assert refreshed(suspense).balance == D("-5.00")
    assert ledger_check().ok


@pytest.mark.parametrize("status", [Account.Status.BLOCKED, Account.Status.CLOSED])
def test_blocked_and_closed_accounts_take_no_postings(maria_savings, gabriel_savings, status):
    Account.objects.filter(pk=gabriel_savings.pk).update(status=status)
    before = state()
    with pytest.raises(AccountNotActive):
        transfer(maria_savings, gabriel_savings, "1.00")
    with pytest.raises(AccountNotActive):
        transfer(gabriel_savings, maria_savings, "1.00", key="transfer-2")
    assert state() == before


def test_an_account_with_money_cannot_be_closed(maria_savings):
    with pytest.raises(AccountNotActive):
        account_set_status(account=maria_savings, status=Account.Status.CLOSED)
    account_set_status(account=maria_savings, status=Account.Status.BLOCKED)
    assert refreshed(maria_savings).status == Account.Status.BLOCKED


def test_unknown_accounts_are_refused(maria_savings):
    before = state()
    with pytest.raises(UnknownAccount):
        transfer(maria_savings, 999_999_999, "1.00")
    assert state() == before


def test_lines_that_do_not_balance_are_refused(maria_savings, gabriel_savings):
    before = state()
    with pytest.raises(Unbalanced):
        journal_post(
            key="bad",
            kind=Kind.TRANSFER_INTERNAL,
            lines=[
                Line.debit(maria_savings, D("10.00"), "X"),
                Line.credit(gabriel_savings, D("9.99"), "X"),
            ],
        )
    with pytest.raises(Unbalanced):
        journal_post(key="one", kind=Kind.FEE, lines=[Line.debit(maria_savings, D("1"), "X")])
    assert state() == before


def test_currencies_balance_separately(cash):
    usd = open_savings("USD")
    bob = open_savings("BOB")
    with pytest.raises(Unbalanced):
        journal_post(
            key="fx",
            kind=Kind.EXCHANGE,
            lines=[Line.debit(cash, D("7.00"), "X"), Line.credit(bob, D("7.00"), "X")],
        )
    assert refreshed(usd).balance == refreshed(bob).balance == D("0")


def test_amounts_must_be_positive_cents(maria_savings, gabriel_savings):
    for amount in ("0", "-1.00", "0.001"):
        with pytest.raises(ValueError):
            Line.debit(maria_savings, D(amount), "X")


def test_unknown_kinds_and_channels_are_programming_errors(maria_savings, gabriel_savings):
    with pytest.raises(ValueError):
        transfer(maria_savings, gabriel_savings, "1.00", channel="fax")


# --- holds --------------------------------------------------------------------------------


def test_a_hold_reserves_available_balance(maria_savings, gabriel_savings):
    hold = hold_place(account=maria_savings, amount=D("60.00"), key="hold-1", description="SPI")
    account = refreshed(maria_savings)
    assert (account.balance, account.held, account.available) == (
        D("100.00"),
        D("60.00"),
        D("40.00"),
    )
    with pytest.raises(InsufficientFunds):
        transfer(maria_savings, gabriel_savings, "40.01")
    with pytest.raises(InsufficientFunds):
        hold_place(account=maria_savings, amount=D("40.01"), key="hold-2", description="SPI")
    assert (
        hold_place(account=maria_savings, amount=D("60.00"), key="hold-1", description="SPI")
        == hold
    )


def test_a_captured_hold_becomes_a_journal(maria_savings, gabriel_savings):
    hold = hold_place(account=maria_savings, amount=D("60.00"), key="hold-1", description="SPI")
    posted = transfer(maria_savings, gabriel_savings, "60.00", capture_holds=[hold])
    hold.refresh_from_db()
    assert (hold.status, hold.journal_id) == (Hold.Status.CAPTURED, posted.journal_id)
    account = refreshed(maria_savings)
    assert (account.balance, account.held) == (D("40.00"), D("0.00"))
    with pytest.raises(HoldNotActive):
        transfer(maria_savings, gabriel_savings, "1.00", key="again", capture_holds=[hold])
    assert ledger_check().ok


def test_a_released_hold_frees_the_money_once(maria_savings):
    hold = hold_place(account=maria_savings, amount=D("60.00"), key="hold-1", description="SPI")
    hold_release(hold=hold)
    hold_release(hold=hold)
    assert refreshed(maria_savings).held == D("0.00")
    assert Hold.objects.get(pk=hold.pk).status == Hold.Status.RELEASED


def test_expired_holds_are_released(maria_savings):
    past = timezone.now() - timedelta(minutes=1)
    hold_place(account=maria_savings, amount=D("5"), key="h1", description="x", expires_at=past)
    hold_place(account=maria_savings, amount=D("7"), key="h2", description="x")
    assert holds_release_expired() == 1
    assert holds_release_expired() == 0
    assert refreshed(maria_savings).held == D("7.00")


# --- reversals ---------------------------------------------------------------------------


def test_a_reversal_mirrors_the_journal_and_points_to_it(maria_savings, gabriel_savings):
    original = transfer(maria_savings, gabriel_savings, "25.00").journal
    reversal = journal_reverse(journal=original, motive="Transferencia rechazada").journal
    assert reversal.reverses == original
    assert reversal.kind == Kind.REVERSAL
    assert refreshed(maria_savings).balance == D("100.00")
    descriptions = list(reversal.postings.values_list("description", flat=True))
    assert descriptions[0] == "REVERSO ND TRANSFERENCIA"
    assert ledger_check().ok


def test_a_journal_is_reversed_only_once(maria_savings, gabriel_savings):
    original = transfer(maria_savings, gabriel_savings, "25.00").journal
    first = journal_reverse(journal=original, motive="x")
    assert journal_reverse(journal=original, motive="x") == Posted(first.journal_id, replayed=True)
    partial = list(original.postings.order_by("pk"))[:1]
    with pytest.raises((AlreadyReversed, Unbalanced)):
        journal_reverse(journal=original, motive="otra", postings=partial)


def test_a_partial_reversal_refunds_the_amount_but_keeps_the_fee(maria_savings, cash):
    original = journal_post(
        key="interbank",
        kind=Kind.TRANSFER_INTERBANK,
        lines=[
            Line.debit(maria_savings, D("10.00"), "ND TRANSFERENCIA"),
            Line.credit(cash, D("10.00"), "ND TRANSFERENCIA"),
            Line.debit(maria_savings, D("0.36"), "COMISIÓN"),
            Line.credit(cash, D("0.36"), "COMISIÓN"),
        ],
    ).journal
    principal = list(original.postings.order_by("pk"))[:2]
    journal_reverse(journal=original, motive="Rechazada por el SPI", postings=principal)
    assert refreshed(maria_savings).balance == D("99.64")


# --- append-only, everywhere ------------------------------------------------------------


def test_the_orm_refuses_to_change_or_delete_journals_and_postings(maria_savings, gabriel_savings):
    journal = transfer(maria_savings, gabriel_savings, "1.00").journal
    posting = journal.postings.first()
    with pytest.raises(AppendOnlyError):
        journal.motive = "otro"
        journal.save()
    with pytest.raises(AppendOnlyError):
        posting.delete()
    with pytest.raises(AppendOnlyError):
        Posting.objects.filter(pk=posting.pk).update(amount_minor=1)
    with pytest.raises(AppendOnlyError):
        Journal.objects.all().delete()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger_posting SET amount_minor = amount_minor + 1",
        "DELETE FROM ledger_posting",
        "UPDATE ledger_journal SET motive = 'x'",
        "DELETE FROM ledger_journal",
    ],
)
def test_the_database_refuses_raw_updates_and_deletes(maria_savings, statement):
    with pytest.raises((DatabaseError, IntegrityError)), transaction.atomic():
        connection.cursor().execute(statement)
    assert ledger_check().ok


def test_the_database_refuses_postings_added_to_a_written_journal(maria_savings, gabriel_savings):
    journal = transfer(maria_savings, gabriel_savings, "1.00").journal
    with pytest.raises((DatabaseError, IntegrityError)), transaction.atomic():
        Posting.objects.create(
            journal=journal,
            account=maria_savings,
            amount_minor=100,
            currency="USD",
            balance_after_minor=0,
            description="X",
            created_at=timezone.now(),
        )


def test_the_database_refuses_an_unbalanced_journal_written_by_hand(maria_savings):
    now = timezone.now()
    with pytest.raises((DatabaseError, IntegrityError)), transaction.atomic():
        Posting.objects.create(
            journal_id=10**9,
            account=maria_savings,
            amount_minor=100,
            currency="USD",
            balance_after_minor=0,
            description="X",
            created_at=now,
        )
        Journal.objects.create(
            id=10**9,
            idempotency_key="forged",
            request_hash="x",
            kind=Kind.FEE,
            value_date=now.date(),
            created_at=now,
        )


def test_the_database_refuses_a_negative_available_balance(maria_savings):
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(pk=maria_savings.pk).update(held_minor=10_001)


def test_the_admin_cannot_change_the_ledger(admin_client, maria_savings, gabriel_savings):
    journal = transfer(maria_savings, gabriel_savings, "1.00").journal
    assert admin_client.get(f"/admin/ledger/journal/{journal.pk}/change/").status_code == 200
    response = admin_client.post(f"/admin/ledger/journal/{journal.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert admin_client.get("/admin/ledger/posting/add/").status_code == 403
    assert Journal.objects.filter(pk=journal.pk).exists()


def test_serialization_failures_are_retried_invisibly(monkeypatch):
    from ledger import services

    class Cause(Exception):
        sqlstate = "40001"

    attempts = []

    def flaky():
        attempts.append(1)
        if len(attempts) < 3:
            raise DatabaseError("could not serialize access") from Cause()
        return "posted"

    monkeypatch.setattr(services.time, "sleep", lambda s: None)
    assert services._with_retries(flaky) == "posted"
    assert len(attempts) == 3


def test_retries_are_bounded(monkeypatch):
    from ledger import services

    class Cause(Exception):
        sqlstate = "40P01"

    def deadlocked():
        raise DatabaseError("deadlock detected") from Cause()

    monkeypatch.setattr(services.time, "sleep", lambda s: None)
    with pytest.raises(DatabaseError):
        services._with_retries(deadlocked)


def test_no_line_may_overdraw_even_if_a_later_line_would_cover_it(maria_savings):
    before = state()
    with pytest.raises(InsufficientFunds):
        journal_post(
            key="self",
            kind=Kind.TRANSFER_OWN,
            lines=[
                Line.debit(maria_savings, D("100.01"), "ND"),
                Line.credit(maria_savings, D("100.01"), "NC"),
            ],
        )
    assert state() == before


def test_a_credit_earlier_in_the_journal_can_pay_a_later_debit(cash, gabriel_savings):
    """A loan disbursed into an empty account, with its fee taken in the same journal."""
    journal_post(
        key="disbursement",
        kind=Kind.LOAN_DISBURSEMENT,
        lines=[
            Line.debit(cash, D("1000.00"), "DESEMBOLSO"),
            Line.credit(gabriel_savings, D("1000.00"), "DESEMBOLSO DE CRÉDITO"),
            Line.debit(gabriel_savings, D("10.00"), "COMISIÓN"),
            Line.credit(cash, D("10.00"), "COMISIÓN"),
        ],
    )
    assert refreshed(gabriel_savings).balance == D("990.00")


def test_large_and_small_journals_record_the_same_running_balances(cash):
    """The function loops over a member's few lines and goes set-based for hundreds."""
    from tests.ledger.conftest import deposit, open_savings

    accounts = [open_savings() for _ in range(3)]
    for account in accounts:
        deposit(cash, account, "50.00")

    def lines(n):
        out = []
        for i in range(n):
            out += [
                Line.debit(accounts[i % 3], D("0.10"), f"ND {i}"),
                Line.credit(accounts[(i + 1) % 3], D("0.10"), f"NC {i}"),
            ]
        return out

    small = journal_post(key="small", kind=Kind.PAYROLL, lines=lines(4)).journal
    large = journal_post(key="large", kind=Kind.PAYROLL, lines=lines(40)).journal
    for journal in (small, large):
        balances = {}
        for posting in journal.postings.select_related("account").order_by("pk"):
            expected = balances.get(posting.account_id)
            if expected is not None:
                expected += posting.account.normal_delta(posting.amount_minor)
                assert posting.balance_after_minor == expected
            balances[posting.account_id] = posting.balance_after_minor
    assert ledger_check().ok


# --- regressions found in review ------------------------------------------------------


def test_a_partial_reversal_cannot_list_a_posting_twice(cash, gabriel_savings):
    from tests.ledger.conftest import deposit

    deposit(cash, gabriel_savings, "10.00", key="dep")
    journal = Journal.objects.get(idempotency_key="dep")
    postings = list(journal.postings.all())
    before = state()
    with pytest.raises(ValueError):
        journal_reverse(journal=journal, motive="x", postings=postings + postings)
    assert state() == before


def test_a_journal_never_dates_itself_before_its_accounts_last_posting(
    maria_savings, gabriel_savings
):
    import time_machine

    later = timezone.now() + timedelta(hours=2)
    with time_machine.travel(later, tick=False):
        transfer(maria_savings, gabriel_savings, "1.00", key="later")
    transfer(maria_savings, gabriel_savings, "1.00", key="earlier-clock")
    last = Posting.objects.filter(account=gabriel_savings).order_by("-pk")
    assert last[0].created_at >= last[1].created_at


def test_a_retry_after_midnight_is_a_replay_not_a_conflict(maria_savings, gabriel_savings):
    first = transfer(
        maria_savings, gabriel_savings, "1.00", key="k", value_date=timezone.localdate()
    )
    again = transfer(
        maria_savings,
        gabriel_savings,
        "1.00",
        key="k",
        value_date=timezone.localdate() + timedelta(days=1),
    )
    assert again == Posted(first.journal_id, replayed=True)


def test_overlong_texts_are_refused_the_same_way_on_both_databases(maria_savings, gabriel_savings):
    with pytest.raises(ValueError):
        journal_post(
            key="long",
            kind=Kind.FEE,
            lines=[Line(maria_savings.pk, 1, "X" * 121), Line(gabriel_savings.pk, -1, "X")],
        )
    with pytest.raises(ValueError):
        transfer(maria_savings, gabriel_savings, "1.00", key="k" * 201)


def test_zero_lines_and_unsaved_accounts_are_refused_the_same_way(maria_savings, gabriel_savings):
    with pytest.raises(Unbalanced):
        journal_post(
            key="zero",
            kind=Kind.FEE,
            lines=[Line(maria_savings.pk, 0, "X"), Line(gabriel_savings.pk, 0, "X")],
        )
    with pytest.raises(UnknownAccount):
        journal_post(
            key="none",
            kind=Kind.FEE,
            lines=[Line(None, 1, "X"), Line(gabriel_savings.pk, -1, "X")],
        )


def test_a_hold_is_captured_only_by_a_journal_that_takes_its_amount(maria_savings, gabriel_savings):
    hold = hold_place(account=maria_savings, amount=D("40.00"), key="h", description="x")
    with pytest.raises(HoldNotActive):  # credits the held account: takes nothing
        transfer(gabriel_savings, maria_savings, "0.01", key="x", capture_holds=[hold])
    with pytest.raises((HoldNotActive, InsufficientFunds)):  # takes less than held
        transfer(maria_savings, gabriel_savings, "10.00", key="y", capture_holds=[hold])
    assert refreshed(maria_savings).held == D("40.00")


def test_an_expired_hold_cannot_be_captured(maria_savings, gabriel_savings):
    past = timezone.now() - timedelta(seconds=1)
    hold = hold_place(
        account=maria_savings, amount=D("5"), key="h", description="x", expires_at=past
    )
    with pytest.raises(HoldNotActive):
        transfer(maria_savings, gabriel_savings, "5.00", capture_holds=[hold])


def test_holds_on_unknown_accounts_are_refused(db):
    with pytest.raises(UnknownAccount):
        hold_place(account=Account(pk=987654321), amount=D("1"), key="h", description="x")


def test_an_explicit_id_cannot_turn_a_new_journal_into_an_update(maria_savings, gabriel_savings):
    journal = transfer(maria_savings, gabriel_savings, "1.00").journal
    forged = Journal(
        id=journal.pk,
        idempotency_key="forged",
        request_hash="x",
        kind=Kind.FEE,
        value_date=journal.value_date,
        created_at=journal.created_at,
    )
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
        forged.save()
    assert Journal.objects.get(pk=journal.pk).idempotency_key == "transfer-1"


def test_account_status_must_be_a_known_one(maria_savings):
    with pytest.raises(ValueError):
        account_set_status(account=maria_savings, status="bogus")

"""The security log is a hash chain nobody can edit without it showing."""

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, IntegrityError, connection, transaction

from accounts.audit import GENESIS, audit_log, audit_verify
from accounts.models import AuditEvent
from tests.ledger.test_concurrency import in_threads


@pytest.fixture
def chain(member):
    audit_log(event="login_failed", user=member.user, reason="password")
    audit_log(event="login_ok", user=member.user)
    audit_log(event="logout", user=member.user)
    return list(AuditEvent.objects.order_by("seq"))


def test_each_entry_carries_the_previous_ones_hash(chain):
    assert chain[0].prev_hash == GENESIS
    assert [e.prev_hash for e in chain[1:]] == [e.hash for e in chain[:-1]]
    assert audit_verify().ok


def test_the_log_cannot_be_edited_or_deleted(chain):
    for statement in (
        "UPDATE accounts_audit_event SET event = 'x'",
        "DELETE FROM accounts_audit_event",
    ):
        with pytest.raises((DatabaseError, IntegrityError)), transaction.atomic():
            connection.cursor().execute(statement)


def _tamper(sql: str, params) -> None:
    """What an attacker with table-owner rights could do: lift the guard and edit."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE accounts_audit_event DISABLE TRIGGER USER")
            cursor.execute(sql, params)
            cursor.execute("ALTER TABLE accounts_audit_event ENABLE TRIGGER USER")
        else:
            cursor.execute("DROP TRIGGER accounts_audit_event_no_update")
            cursor.execute("DROP TRIGGER accounts_audit_event_no_delete")
            cursor.execute(sql, params)


def test_verification_names_the_first_edited_entry(chain, capsys):
    _tamper("UPDATE accounts_audit_event SET event = 'login_ok' WHERE seq = %s", [chain[0].seq])
    report = audit_verify()
    assert report.first_broken_seq == chain[0].seq
    with pytest.raises(CommandError, match=f"evento N.º {chain[0].seq}"):
        call_command("audit_verify")


def test_verification_notices_a_deleted_entry(chain):
    _tamper("DELETE FROM accounts_audit_event WHERE seq = %s", [chain[1].seq])
    assert audit_verify().first_broken_seq == chain[2].seq


def test_the_command_confirms_an_intact_log(chain, capsys):
    call_command("audit_verify")
    assert "Bitácora íntegra: 3 eventos" in capsys.readouterr().out


def test_unknown_events_are_programming_errors(db):
    with pytest.raises(ValueError):
        audit_log(event="whatever")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_writers_at_once_extend_one_chain_without_a_fork(member):
    def write(i):
        for _ in range(5):
            with transaction.atomic():
                audit_log(event="login_ok", user=member.user, writer=i)

    in_threads(6, write)
    entries = list(AuditEvent.objects.order_by("seq"))
    assert [e.seq for e in entries] == list(range(1, 31))
    assert audit_verify().ok

"""Interbank settlement: batches, the network's answers, refunds, and crashes at every step
leave each transfer settled or refunded exactly once and the clearing account at zero."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.test import TestCase

from core.models import Cooperative
from ledger.models import Journal, Kind
from ledger.selectors import book_balance
from transfers import settlement
from transfers.beneficiaries import beneficiary_add_external
from transfers.models import SettlementBatch, Transfer, TransferKind
from transfers.network import NetworkUnavailable, SimulatedNetwork
from transfers.services import TransferOrder, transfer_execute
from transfers.settlement import batch_file_parse, settlement_run

from .conftest import aged

D = Decimal
GYE = ZoneInfo("America/Guayaquil")
TUESDAY_10 = datetime(2026, 11, 24, 10, 0, tzinfo=GYE)


@pytest.fixture
def jorge(member, pichincha):
    """A beneficiary whose account the simulated network knows as closed."""
    from transfers.models import Institution

    pacifico = Institution.objects.get(code="0030")
    return aged(
        beneficiary_add_external(
            member=member,
            institution=pacifico,
            account_type="savings",
            account_number="1045678901",
            name="Jorge Luis Alvarado Ruiz",
            id_type="cedula",
            id_number="0926687856",
        )
    )


def send(member, savings, beneficiary, amount, key):
    order = TransferOrder(
        kind=TransferKind.INTERBANK, origin=savings, beneficiary=beneficiary, amount=D(amount)
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        return transfer_execute(member=member, order=order, key=key)


def balance(account):
    account.ledger_account.refresh_from_db()
    return account.ledger_account.balance


def run(**kw):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return settlement_run(network=kw.pop("network", SimulatedNetwork()), **kw)


@pytest.fixture
def two_transfers(member, savings, carlos, jorge):
    with time_machine.travel(TUESDAY_10):
        ok = send(member, savings, carlos, "6.00", "t-ok")
        bad = send(member, savings, jorge, "20.00", "t-bad")
    return ok, bad


def test_a_batch_settles_accepted_and_refunds_rejected_transfers(member, savings, two_transfers):
    ok, bad = two_transfers
    assert balance(savings) == D("1000.00") - D("6.41") - D("20.41")
    with time_machine.travel(TUESDAY_10.replace(minute=5)):
        summary = run()
    assert (summary.prepared, summary.sent, summary.closed) == (1, 1, 1)
    ok.refresh_from_db(), bad.refresh_from_db()
    assert ok.status == Transfer.Status.SETTLED and ok.network_reference.startswith("SPI")
    assert bad.status == Transfer.Status.REJECTED and bad.rejection_reason == "CUENTA CERRADA"
    # the whole rejected transfer, fee and IVA included, comes back (the profile's policy)
    assert balance(savings) == D("1000.00") - D("6.41")
    assert book_balance("SPI_CLEARING", "USD") == D("0.00")
    assert book_balance("CENTRAL_BANK", "USD") == D("-6.00")
    refund = bad.refund_journal
    assert refund.kind == Kind.REVERSAL and refund.reverses_id == bad.journal_id
    assert "DEVOLUCIÓN ND TRANSFERENCIA PAGO DIRECTO" in {
        p.description for p in refund.postings.all()
    }
    assert "rechazó tu transferencia" in mail.outbox[-1].body
    assert "Devolvimos $20.41" in mail.outbox[-1].body
    batch = SettlementBatch.objects.get()
    assert batch.status == SettlementBatch.Status.DONE
    assert [i.reference for i in batch_file_parse(batch.file).items] == [
        ok.public_id.hex,
        bad.public_id.hex,
    ]


def test_a_profile_that_keeps_the_fee_refunds_only_the_amount(member, savings, two_transfers):
    coop = Cooperative.objects.get(is_active=True)
    coop.refund_fee_on_rejection = False
    coop.save()
    with time_machine.travel(TUESDAY_10.replace(minute=5)):
        run()
    assert balance(savings) == D("1000.00") - D("6.41") - D("0.41")
    assert book_balance("SPI_CLEARING", "USD") == D("0.00")
    assert "Devolvimos $20.00" in mail.outbox[-1].body


def test_running_again_changes_nothing(member, savings, two_transfers):
    with time_machine.travel(TUESDAY_10.replace(minute=5)):
        run()
        journals = Journal.objects.count()
        summary = run()
    assert (summary.prepared, summary.sent, summary.closed) == (0, 0, 0)
    assert Journal.objects.count() == journals


def test_transfers_dated_for_a_later_day_wait_for_it(member, savings, carlos):
    with time_machine.travel(datetime(2026, 11, 27, 16, 0, tzinfo=GYE)):  # Friday after 15:00
        late = send(member, savings, carlos, "6.00", "late")
        assert run().prepared == 0
    with time_machine.travel(datetime(2026, 11, 28, 10, 0, tzinfo=GYE)):  # Saturday
        assert run().prepared == 0
    with time_machine.travel(datetime(2026, 11, 30, 8, 0, tzinfo=GYE)):  # Monday
        assert run().prepared == 1
    late.refresh_from_db()
    assert late.status == Transfer.Status.SETTLED


class Crash(Exception):
    pass


class RecordingNetwork(SimulatedNetwork):
    """The simulator, remembering which batch numbers it was sent."""

    def __init__(self):
        self.sent = []

    def send(self, *, batch_number, content):
        self.sent.append(batch_number)
        return super().send(batch_number=batch_number, content=content)


def test_a_crash_after_sending_sends_the_same_batch_again(
    member, savings, two_transfers, monkeypatch
):
    network = RecordingNetwork()
    original = SettlementBatch.save

    def crash_on_sent(self, *args, **kwargs):
        if self.status == SettlementBatch.Status.SENT:
            raise Crash
        return original(self, *args, **kwargs)

    with time_machine.travel(TUESDAY_10.replace(minute=5)):
        monkeypatch.setattr(SettlementBatch, "save", crash_on_sent)
        with pytest.raises(Crash):
            run(network=network)
        monkeypatch.setattr(SettlementBatch, "save", original)
        assert SettlementBatch.objects.get().status == SettlementBatch.Status.OPEN
        run(network=network)
    batch = SettlementBatch.objects.get()
    assert network.sent == [batch.number, batch.number]  # the same batch, not a new one
    assert batch.status == SettlementBatch.Status.DONE
    assert Journal.objects.filter(kind=Kind.SETTLEMENT).count() == 1
    assert Journal.objects.filter(kind=Kind.REVERSAL).count() == 1
    assert book_balance("SPI_CLEARING", "USD") == D("0.00")


def test_a_crash_halfway_through_closing_finishes_the_rest_once(
    member, savings, two_transfers, monkeypatch
):
    ok, bad = two_transfers
    original = settlement._refund

    def crash(*args, **kwargs):
        raise Crash

    with time_machine.travel(TUESDAY_10.replace(minute=5)):
        monkeypatch.setattr(settlement, "_refund", crash)
        with pytest.raises(Crash):
            run()
        ok.refresh_from_db(), bad.refresh_from_db()
        assert ok.status == Transfer.Status.SETTLED and bad.status == Transfer.Status.SENT
        assert book_balance("SPI_CLEARING", "USD") == D("20.00")
        monkeypatch.setattr(settlement, "_refund", original)
        run()
        run()
    bad.refresh_from_db()
    assert bad.status == Transfer.Status.REJECTED
    assert Journal.objects.filter(kind=Kind.SETTLEMENT).count() == 1
    assert Journal.objects.filter(kind=Kind.REVERSAL).count() == 1
    assert book_balance("SPI_CLEARING", "USD") == D("0.00")
    assert balance(savings) == D("1000.00") - D("6.41")


def test_an_unavailable_network_leaves_the_batch_for_the_next_run(member, savings, two_transfers):
    class Down(SimulatedNetwork):
        def send(self, **kwargs):
            raise NetworkUnavailable

    with time_machine.travel(TUESDAY_10.replace(minute=5)):
        assert run(network=Down()).sent == 0
        assert SettlementBatch.objects.get().status == SettlementBatch.Status.OPEN
        run()
    assert SettlementBatch.objects.get().status == SettlementBatch.Status.DONE


def test_results_not_ready_keep_the_batch_sent(member, savings, two_transfers):
    class Slow(SimulatedNetwork):
        def results(self, **kwargs):
            return None

    with time_machine.travel(TUESDAY_10.replace(minute=5)):
        run(network=Slow())
        assert SettlementBatch.objects.get().status == SettlementBatch.Status.SENT
        assert set(Transfer.objects.values_list("status", flat=True)) == {"sent"}
        run()
    assert set(Transfer.objects.values_list("status", flat=True)) == {"settled", "rejected"}


def test_the_batch_file_refuses_tampering(member, savings, two_transfers):
    with time_machine.travel(TUESDAY_10.replace(minute=5)):
        batch = settlement.batch_prepare()
    tampered = batch.file.replace("|600|", "|6000|")
    with pytest.raises(settlement.MalformedBatchFile):
        batch_file_parse(tampered)
    parsed = batch_file_parse(batch.file)
    assert parsed.number == batch.number and sum(i.amount_minor for i in parsed.items) == 2600


def test_payee_check_compares_names(carlos):
    network = SimulatedNetwork()
    check = network.payee_check
    kw = {"institution_code": "0010", "account_type": "savings", "account_number": "2201234567"}
    assert check(name="Carlos Andrés Mendoza Vera", **kw).result == "match"
    close = check(name="Carlos Mendoza", **kw)
    assert close.result == "close" and close.holder == "CARLOS A*** M*** V***"
    assert check(name="Pedro Pérez", **kw).result == "no_match"
    assert (
        check(name="X", institution_code="0010", account_type="savings", account_number="1").result
        == "unavailable"
    )


def test_the_beat_runs_the_settlement_task(member, savings, two_transfers):
    from django.conf import settings

    from transfers.tasks import settle_interbank_transfers

    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "transfers.tasks.settle_interbank_transfers" in scheduled
    with (
        time_machine.travel(TUESDAY_10.replace(minute=5)),
        TestCase.captureOnCommitCallbacks(execute=True),
    ):
        result = settle_interbank_transfers.apply().get()
    assert result == {"prepared": 1, "sent": 1, "closed": 1}
    assert book_balance("SPI_CLEARING", "USD") == D("0.00")

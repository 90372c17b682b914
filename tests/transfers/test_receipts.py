"""An interbank transfer's receipts name the beneficiary, the other institution and the
transfer's state: transfers describes the journals it writes (``transfers/receipts.py``),
found by the journal's source or, for journals that name none, by the transfer's own
links to them."""

from decimal import Decimal

from django.test import TestCase

from ledger.books import book_account
from ledger.models import Channel, Kind, Posting
from ledger.services import Line, journal_post, journal_reverse
from products.receipts import receipt_build
from transfers.models import Transfer, TransferKind
from transfers.services import TransferOrder, transfer_execute

CARLOS = "CARLOS ANDRÉS MENDOZA VERA — Ahorros *****4567"


def interbank(member, savings, carlos, key="t-1") -> Transfer:
    order = TransferOrder(
        kind=TransferKind.INTERBANK, origin=savings, beneficiary=carlos, amount=Decimal("6.00")
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        return transfer_execute(member=member, order=order, key=key)


def receipt_of(journal_id, savings):
    """The receipt of the journal's first leg on ``savings`` (the amount, before fees)."""
    posting = (
        Posting.objects.filter(journal_id=journal_id, account=savings.ledger_account)
        .order_by("pk")
        .first()
    )
    return receipt_build(account=savings, posting_id=posting.pk)


def test_a_journal_that_names_its_transfer_as_source_gets_the_interbank_receipt(
    member, savings, carlos
):
    transfer = interbank(member, savings, carlos)
    # A journal written as transfer_execute writes them once it passes ``source=``.
    posted = journal_post(
        key="named-source",
        kind=Kind.TRANSFER_INTERBANK,
        channel=Channel.WEB,
        lines=[
            Line.debit(savings.ledger_account, Decimal("1.00"), "ND TRANSFERENCIA"),
            Line.credit(book_account("SPI_CLEARING", "USD"), Decimal("1.00"), "TRANSFERENCIA"),
        ],
        source=transfer,
    )
    receipt = receipt_of(posted.journal_id, savings)
    assert receipt.beneficiary == CARLOS
    assert receipt.institution == "BANCO PICHINCHA"
    assert receipt.status == "Por enviar"


def test_a_transfer_journal_written_without_a_source_is_found_by_the_transfer(
    member, savings, carlos
):
    transfer = interbank(member, savings, carlos)
    assert transfer.journal.source_type in ("", "transfers.transfer")
    receipt = receipt_of(transfer.journal_id, savings)
    assert (receipt.beneficiary, receipt.institution) == (CARLOS, "BANCO PICHINCHA")


def test_a_refund_has_the_receipt_of_the_transfer_it_returns(member, savings, carlos):
    transfer = interbank(member, savings, carlos)
    refund = journal_reverse(journal=transfer.journal, motive="Transferencia rechazada")
    transfer.refund_journal_id = refund.journal_id
    transfer.status = Transfer.Status.REJECTED
    transfer.save(update_fields=["refund_journal", "status"])
    receipt = receipt_of(refund.journal_id, savings)
    assert receipt.title == "NOTA DE CRÉDITO"
    assert (receipt.beneficiary, receipt.institution) == (CARLOS, "BANCO PICHINCHA")
    assert receipt.status == transfer.get_status_display()


def test_a_transfer_inside_the_cooperative_reads_the_ledger_alone(
    member, savings, gabriel, gabriel_savings
):
    order = TransferOrder(
        kind=TransferKind.INTERNAL,
        origin=savings,
        beneficiary=gabriel,
        destination=gabriel_savings,
        amount=Decimal("6.00"),
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        transfer = transfer_execute(member=member, order=order, key="t-internal")
    receipt = receipt_of(transfer.journal_id, savings)
    assert receipt.institution == "COOPROGRESO" and receipt.status == ""
    assert receipt.beneficiary.endswith(f"*****{gabriel_savings.number[-4:]}")

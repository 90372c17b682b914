"""Interbank settlement: due transfers → a batch file → the payment network → each transfer
settled (the clearing account paid out to the central bank) or rejected (refunded to the
member by a reversal journal).

Every step can be interrupted and run again (``settlement_run`` is the beat's task):

1. ``batch_prepare`` assigns due transfers to a new batch and writes its file, in one
   transaction (a crash leaves either the whole batch or nothing);
2. ``batch_send`` sends an ``OPEN`` batch; the network accepts the same batch number
   twice without making two batches, so a crash between sending and recording ``SENT``
   just sends it again;
3. ``batch_settle`` reads the result and closes each transfer in its own transaction,
   with a journal keyed by the transfer: a crash halfway leaves the rest for the next run,
   and a transfer already closed is skipped.

Other apps' interbank items (a payment to another bank's card) travel in the same batches:
each app registers a source in ``products.settlement_items``, whose due items
``batch_prepare`` claims into the batch, and whose callbacks ``batch_send`` and
``batch_settle`` call with the same guarantees (``docs/settlement.md``).
"""

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from core.crypto import decrypt
from core.masking import mask_number
from core.money import format_money, from_minor, to_minor
from core.notifications import notify
from core.profile import cooperative_current
from ledger import calendar
from ledger.books import book_account_id
from ledger.models import Kind
from ledger.services import Line, journal_post, journal_reverse
from products import settlement_items
from products.settlement_items import SettlementItem, settlement_sources
from transfers.models import Beneficiary, SettlementBatch, Transfer
from transfers.network import ItemResult, NetworkUnavailable, PaymentNetwork, network_get

logger = logging.getLogger(__name__)

BATCH_SIZE = 1000
SEP = "|"
ACCOUNT_TYPE_CODES = {
    Beneficiary.AccountType.SAVINGS: "AHO",
    Beneficiary.AccountType.CHECKING: "CTE",
    settlement_items.CARD: "TAR",
}
# An account number kept encrypted (another bank's card): the stored file carries the
# ciphertext after this mark; only the copy handed to the network is opened.
SEALED = "ENC:"
ID_TYPE_CODES = {"cedula": "C", "ruc": "R", "pasaporte": "P"}
ADVISORY_LOCK = 610_006  # one batch preparation at a time


# --- The batch file (docs/settlement.md) --------------------------------------------------


@dataclass(frozen=True)
class BatchItem:
    seq: int
    reference: str
    institution_code: str
    account_type: str
    account_number: str
    id_type: str
    id_number: str
    name: str
    amount_minor: int
    currency: str
    motive: str


@dataclass(frozen=True)
class BatchFile:
    number: str
    business_date: date
    sender: str
    items: list[BatchItem] = field(default_factory=list)


def _clean(text: str, width: int) -> str:
    """A field as the file carries it: no separators or line breaks, at most ``width``."""
    return " ".join(text.replace(SEP, " ").split())[:width]


def _transfer_item(t: Transfer) -> SettlementItem:
    b = t.beneficiary
    return SettlementItem(
        reference=t.public_id.hex,
        institution_code=b.institution.code,
        account_type=b.account_type,
        account_number=b.account_number,
        id_type=b.id_type,
        id_number=b.id_number,
        name=b.name,
        amount=t.amount,
        currency=t.currency,
        motive=t.motive,
    )


def batch_file_build(
    *,
    number: str,
    business_date: date,
    transfers: list[Transfer],
    items: Sequence[SettlementItem] = (),
) -> str:
    """The batch file of ``transfers`` and then the other sources' ``items``, as stored:
    a sealed account number stays sealed (``batch_file_wire`` opens it)."""
    coop = cooperative_current()
    lines = []
    total = 0
    for seq, item in enumerate([*map(_transfer_item, transfers), *items], start=1):
        minor = to_minor(item.amount)
        total += minor
        account = item.account_number
        lines.append(
            SEP.join(
                [
                    "D",
                    str(seq),
                    item.reference,
                    item.institution_code,
                    ACCOUNT_TYPE_CODES[item.account_type],
                    SEALED + account if item.sealed else account,
                    ID_TYPE_CODES.get(item.id_type, ""),
                    item.id_number,
                    _clean(item.name, 60),
                    str(minor),
                    item.currency,
                    _clean(item.motive, 60),
                ]
            )
        )
    return _with_trailer(coop.slug.upper(), number, business_date, lines, total)


def _with_trailer(
    sender: str, number: str, business_date: date, lines: list[str], total: int
) -> str:
    header = SEP.join(
        [
            "H",
            number,
            business_date.strftime("%Y%m%d"),
            sender,
            str(len(lines)),
            str(total),
        ]
    )
    body = "\n".join([header, *lines])
    digest = hashlib.sha256(body.encode()).hexdigest()
    return f"{body}\nT{SEP}{len(lines)}{SEP}{total}{SEP}{digest}\n"


def batch_file_wire(content: str) -> str:
    """The file as the network receives it: every sealed account number opened, and the
    trailer's digest computed again over what is sent. A file with nothing sealed is
    sent as stored. Never stored nor logged."""
    if SEALED not in content:
        return content
    stored = batch_file_parse(content)
    rows = content.rstrip("\n").split("\n")
    lines = []
    for row in rows[1:-1]:
        parts = row.split(SEP)
        if parts[5].startswith(SEALED):
            parts[5] = decrypt(parts[5].removeprefix(SEALED))
        lines.append(SEP.join(parts))
    total = sum(item.amount_minor for item in stored.items)
    return _with_trailer(stored.sender, stored.number, stored.business_date, lines, total)


class MalformedBatchFile(ValueError):
    pass


def batch_file_parse(content: str) -> BatchFile:
    """Reads a batch file back, checking its counts, total and digest."""
    rows = content.rstrip("\n").split("\n")
    if len(rows) < 2 or not rows[0].startswith("H|") or not rows[-1].startswith("T|"):
        raise MalformedBatchFile("missing header or trailer")
    _, number, day, sender, count, total = rows[0].split(SEP)
    _, t_count, t_total, digest = rows[-1].split(SEP)
    body = "\n".join(rows[:-1])
    if hashlib.sha256(body.encode()).hexdigest() != digest:
        raise MalformedBatchFile("digest does not match")
    items = []
    for row in rows[1:-1]:
        parts = row.split(SEP)
        if len(parts) != 12 or parts[0] != "D":
            raise MalformedBatchFile(f"bad detail line {row!r}")
        items.append(
            BatchItem(
                seq=int(parts[1]),
                reference=parts[2],
                institution_code=parts[3],
                account_type=parts[4],
                account_number=parts[5],
                id_type=parts[6],
                id_number=parts[7],
                name=parts[8],
                amount_minor=int(parts[9]),
                currency=parts[10],
                motive=parts[11],
            )
        )
    if not (int(count) == int(t_count) == len(items)) or not (
        int(total) == int(t_total) == sum(i.amount_minor for i in items)
    ):
        raise MalformedBatchFile("counts or totals do not match")
    return BatchFile(number, datetime.strptime(day, "%Y%m%d").date(), sender, items)


# --- The steps ----------------------------------------------------------------------------


def _advisory_lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK])


def batch_prepare(*, now: datetime | None = None) -> SettlementBatch | None:
    """Gathers the pending transfers whose value date has come into a new batch (on
    business days only). ``None`` when there is nothing to send."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    if not calendar.is_business_day(today):
        return None
    with transaction.atomic():
        _advisory_lock()
        due = list(
            Transfer.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(status=Transfer.Status.PENDING, batch__isnull=True, value_date__lte=today)
            .select_related("beneficiary__institution")
            .order_by("pk")[:BATCH_SIZE]
        )
        seq = SettlementBatch.objects.filter(business_date=today).count() + 1
        number = f"{today:%Y%m%d}{seq:04d}"
        items: list[SettlementItem] = []
        for source in settlement_sources():  # the other apps' items, claimed for this batch
            room = BATCH_SIZE - len(due) - len(items)
            if room <= 0:
                break
            items += source.claim(today=today, limit=room, batch_number=number)
        if not due and not items:
            return None
        batch = SettlementBatch.objects.create(
            number=number,
            business_date=today,
            file=batch_file_build(number=number, business_date=today, transfers=due, items=items),
        )
        Transfer.objects.filter(pk__in=[t.pk for t in due]).update(batch=batch)
    logger.info(
        "settlement batch prepared",
        extra={"batch": number, "transfers": len(due), "other_items": len(items)},
    )
    return batch


def batch_send(batch: SettlementBatch, *, network: PaymentNetwork) -> SettlementBatch:
    """Sends an ``OPEN`` batch and marks it and its transfers ``SENT``."""
    if batch.status != SettlementBatch.Status.OPEN:
        return batch
    acknowledgement = network.send(batch_number=batch.number, content=batch_file_wire(batch.file))
    with transaction.atomic():
        batch = SettlementBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.status == SettlementBatch.Status.OPEN:
            batch.status = SettlementBatch.Status.SENT
            batch.sent_at = timezone.now()
            batch.save(update_fields=["status", "sent_at"])
            batch.transfers.filter(status=Transfer.Status.PENDING).update(
                status=Transfer.Status.SENT, updated_at=timezone.now()
            )
            for source in settlement_sources():
                source.sent(batch_number=batch.number)
    logger.info("settlement batch sent", extra={"batch": batch.number, "ack": acknowledgement})
    return batch


def batch_settle(batch: SettlementBatch, *, network: PaymentNetwork) -> SettlementBatch:
    """Closes each transfer of a ``SENT`` batch as the network's result says."""
    if batch.status != SettlementBatch.Status.SENT:
        return batch
    results = network.results(batch_number=batch.number, content=batch_file_wire(batch.file))
    if results is None:
        return batch
    by_reference = {r.reference: r for r in results}
    for transfer_id, public_id in batch.transfers.order_by("pk").values_list("pk", "public_id"):
        result = by_reference.get(public_id.hex)
        if result is not None:
            transfer_close(transfer_id, result=result, batch=batch)
    for source in settlement_sources():
        for reference in source.open_references(batch_number=batch.number):
            result = by_reference.get(reference)
            if result is None:
                continue
            if result.accepted:
                source.accepted(
                    reference=reference,
                    network_reference=result.network_reference,
                    batch_number=batch.number,
                )
            else:
                source.rejected(
                    reference=reference, reason=result.reason, batch_number=batch.number
                )
    with transaction.atomic():
        batch = SettlementBatch.objects.select_for_update().get(pk=batch.pk)
        open_left = batch.transfers.filter(status=Transfer.Status.SENT).exists() or any(
            source.open_references(batch_number=batch.number) for source in settlement_sources()
        )
        if batch.status == SettlementBatch.Status.SENT and not open_left:
            batch.status = SettlementBatch.Status.DONE
            batch.done_at = timezone.now()
            batch.save(update_fields=["status", "done_at"])
    return batch


def transfer_close(transfer_id: int, *, result: ItemResult, batch: SettlementBatch) -> Transfer:
    """Settles or refunds one sent transfer, once."""
    with transaction.atomic():
        transfer = (
            Transfer.objects.select_for_update(of=("self",))
            .select_related("journal", "origin__ledger_account")
            .get(pk=transfer_id)
        )
        if transfer.status != Transfer.Status.SENT:
            return transfer
        if result.accepted:
            _settle(transfer, batch, result)
        else:
            _refund(transfer, result)
    return transfer


def _settle(transfer: Transfer, batch: SettlementBatch, result: ItemResult) -> None:
    text = f"LIQUIDACIÓN SPI LOTE {batch.number}"
    journal_post(
        key=f"settle:{transfer.key}",
        kind=Kind.SETTLEMENT,
        lines=[
            Line.debit(
                book_account_id("SPI_CLEARING", transfer.currency, spread=transfer.key),
                transfer.amount,
                text,
            ),
            Line.credit(book_account_id("CENTRAL_BANK", transfer.currency), transfer.amount, text),
        ],
        motive=f"Transferencia {result.network_reference or transfer.public_id.hex}",
        source=transfer,
    )
    transfer.status = Transfer.Status.SETTLED
    transfer.network_reference = result.network_reference
    transfer.save(update_fields=["status", "network_reference", "updated_at"])


def _refund(transfer: Transfer, result: ItemResult) -> None:
    """The reversal of the transfer's journal: all of it when the profile refunds the
    fee, else only the amount's two legs."""
    postings = list(transfer.journal.postings.select_related("account").order_by("pk"))
    if not cooperative_current().refund_fee_on_rejection:
        clearing_prefix = "SPI_CLEARING:"
        amount_minor = to_minor(transfer.amount)
        origin_leg = next(
            p
            for p in postings
            if p.account_id == transfer.origin.ledger_account_id and p.amount_minor == amount_minor
        )
        clearing_leg = next(p for p in postings if p.account.code.startswith(clearing_prefix))
        postings = [origin_leg, clearing_leg]
    posted = journal_reverse(
        journal=transfer.journal,
        motive=f"Transferencia rechazada: {result.reason}",
        postings=postings,
        description_prefix="DEVOLUCIÓN ",
    )
    transfer.status = Transfer.Status.REJECTED
    transfer.rejection_reason = result.reason[:120]
    transfer.refund_journal_id = posted.journal_id
    transfer.save(update_fields=["status", "rejection_reason", "refund_journal", "updated_at"])
    refunded = from_minor(
        sum(p.amount_minor for p in postings if p.account_id == transfer.origin.ledger_account_id)
    )
    _notify_rejected(transfer.pk, refunded)


def _notify_rejected(transfer_id: int, refunded: Decimal) -> None:
    transfer = Transfer.objects.select_related("member", "origin", "beneficiary__institution").get(
        pk=transfer_id
    )
    coop = cooperative_current()
    notify(
        email=transfer.member.email,
        subject=f"{coop.short_name}: transferencia rechazada y devuelta",
        body=(
            f"Hola {transfer.member.greeting_name}:\n\n"
            f"{transfer.beneficiary.institution.name} rechazó tu transferencia de "
            f"{format_money(transfer.amount, transfer.currency)} a {transfer.beneficiary.name} "
            f"({mask_number(transfer.beneficiary.account_number)}) del "
            f"{timezone.localtime(transfer.created_at):%d/%m/%Y}. Motivo: "
            f"{transfer.rejection_reason}.\n\n"
            f"Devolvimos {format_money(refunded, transfer.currency)} a tu cuenta "
            f"{mask_number(transfer.origin.number)}.\n"
        ),
        kind="Transferencia rechazada",
    )


@dataclass
class SettlementSummary:
    prepared: int = 0
    sent: int = 0
    closed: int = 0


def settlement_run(*, now: datetime | None = None, network: PaymentNetwork | None = None):
    """One pass of the beat's task: prepare what is due, send what is open, close what
    the network has answered. Safe to run at any time and any number of times."""
    network = network or network_get()
    summary = SettlementSummary()
    if batch_prepare(now=now) is not None:
        summary.prepared += 1
    for batch in SettlementBatch.objects.filter(status=SettlementBatch.Status.OPEN).order_by("pk"):
        try:
            batch_send(batch, network=network)
        except NetworkUnavailable:
            logger.warning("payment network unavailable", extra={"batch": batch.number})
            return summary
        summary.sent += 1
    for batch in SettlementBatch.objects.filter(status=SettlementBatch.Status.SENT).order_by("pk"):
        try:
            batch = batch_settle(batch, network=network)
        except NetworkUnavailable:
            logger.warning("payment network unavailable", extra={"batch": batch.number})
            return summary
        summary.closed += batch.status == SettlementBatch.Status.DONE
    return summary

"""Payments to other banks' cards on the interbank rail: the cards app's source of
settlement items (``products.settlement_items``), registered in ``CardsConfig.ready``.

The transfers app runs the rail (``transfers.settlement``, the beat's
``settle_interbank_transfers``) and cannot import this app; each run pulls the payments
*Por enviar* whose value date has come into the same batch file as the transfers — the
card's number sealed, the account type ``TAR`` — and hands each result back:

- sent → *Enviado*;
- accepted → *Acreditado*: journal ``settle:card-payment:<key>`` debits the SPI clearing
  book the payment credited and credits the central bank;
- rejected → *Rechazado y devuelto*: the reversal of the payment's journal — the amount
  and, when the profile returns the fee of rejected interbank payments (by default), the
  commission and IVA — and the member is told why by e-mail.

Each callback locks the payment's row and does nothing to a payment no longer in the
state it expects, and every journal is keyed by the payment: whatever runs twice or
crashes halfway, each payment is settled or returned exactly once.
"""

import logging
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from cards.models import CardPayment
from core.masking import mask_number
from core.money import format_money, from_minor, to_minor
from core.notifications import notify
from core.profile import cooperative_current
from ledger.books import book_account_id
from ledger.models import Kind
from ledger.services import Line, journal_post, journal_reverse
from products.settlement_items import CARD, SettlementItem, SettlementSource

logger = logging.getLogger(__name__)

Status = CardPayment.Status


def _item(payment: CardPayment) -> SettlementItem:
    payee = payment.payee
    return SettlementItem(
        reference=payment.public_id.hex,
        institution_code=payee.institution_code,
        account_type=CARD,
        account_number=payee.pan_encrypted,  # opened only in the copy sent to the network
        sealed=True,
        id_type=payee.id_type,
        id_number=payee.id_number,
        name=payee.name,
        amount=payment.amount,
        currency=payment.currency,
        motive=payment.motive or "PAGO TARJETA",
    )


def claim(*, today: date, limit: int, batch_number: str) -> list[SettlementItem]:
    """The payments waiting to be sent whose value date has come, marked as in the batch
    (inside the rail's transaction: they commit with it)."""
    due = list(
        CardPayment.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(
            status=Status.PENDING,
            batch_number="",
            value_date__lte=today,
            card__isnull=True,
        )
        .select_related("payee")
        .order_by("pk")[:limit]
    )
    if due:
        CardPayment.objects.filter(pk__in=[p.pk for p in due]).update(
            batch_number=batch_number, updated_at=timezone.now()
        )
    return [_item(payment) for payment in due]


def sent(*, batch_number: str) -> None:
    CardPayment.objects.filter(batch_number=batch_number, status=Status.PENDING).update(
        status=Status.SENT, updated_at=timezone.now()
    )


def open_references(*, batch_number: str) -> list[str]:
    return [
        public_id.hex
        for public_id in CardPayment.objects.filter(
            batch_number=batch_number, status=Status.SENT
        ).values_list("public_id", flat=True)
    ]


def _locked(reference: str, batch_number: str) -> CardPayment | None:
    """The sent payment ``reference`` of ``batch_number`` under its row lock, or ``None``
    when it is not (any longer) waiting for a result."""
    payment = (
        CardPayment.objects.select_for_update(of=("self",))
        .select_related("journal", "origin__ledger_account")
        .filter(public_id=reference, batch_number=batch_number)
        .first()
    )
    if payment is None or payment.status != Status.SENT:
        return None
    return payment


def accepted(*, reference: str, network_reference: str, batch_number: str) -> None:
    """Settles one payment the network accepted: the money left the clearing book for
    the central bank."""
    with transaction.atomic():
        payment = _locked(reference, batch_number)
        if payment is None:
            return
        text = f"LIQUIDACIÓN SPI LOTE {batch_number}"
        journal_post(
            key=f"settle:card-payment:{payment.key}",
            kind=Kind.SETTLEMENT,
            lines=[
                Line.debit(
                    book_account_id("SPI_CLEARING", payment.currency, spread=payment.key),
                    payment.amount,
                    text,
                ),
                Line.credit(
                    book_account_id("CENTRAL_BANK", payment.currency), payment.amount, text
                ),
            ],
            motive=f"Pago de tarjeta {network_reference or payment.public_id.hex}",
            source=payment,
        )
        payment.status = Status.SETTLED
        payment.network_reference = network_reference[:40]
        payment.save(update_fields=["status", "network_reference", "updated_at"])


def rejected(*, reference: str, reason: str, batch_number: str) -> None:
    """Returns one payment the other institution rejected: the reversal of its journal —
    with the fee, unless the profile keeps it — and a notice to the member."""
    with transaction.atomic():
        payment = _locked(reference, batch_number)
        if payment is None:
            return
        postings = list(payment.journal.postings.select_related("account").order_by("pk"))
        origin_id = payment.origin.ledger_account_id
        if not cooperative_current().refund_fee_on_rejection:
            amount_minor = to_minor(payment.amount)
            origin_leg = next(
                p for p in postings if p.account_id == origin_id and p.amount_minor == amount_minor
            )
            clearing_leg = next(p for p in postings if p.account.code.startswith("SPI_CLEARING:"))
            postings = [origin_leg, clearing_leg]
        posted = journal_reverse(
            journal=payment.journal,
            motive=f"Pago de tarjeta rechazado: {reason}"[:120],
            postings=postings,
            description_prefix="DEVOLUCIÓN ",
        )
        payment.status = Status.REJECTED
        payment.rejection_reason = reason[:120]
        payment.refund_journal_id = posted.journal_id
        payment.save(update_fields=["status", "rejection_reason", "refund_journal", "updated_at"])
        refunded = from_minor(sum(p.amount_minor for p in postings if p.account_id == origin_id))
        _notify_rejected(payment, refunded)
    logger.info("card payment rejected and returned", extra={"batch": batch_number})


def _notify_rejected(payment: CardPayment, refunded: Decimal) -> None:
    coop = cooperative_current()
    payee = payment.payee
    member = payment.member
    notify(
        email=member.email,
        subject=f"{coop.short_name}: pago de tarjeta rechazado y devuelto",
        body=(
            f"Hola {member.greeting_name}:\n\n"
            f"{payee.institution_name} rechazó tu pago de "
            f"{format_money(payment.amount, payment.currency)} a la tarjeta "
            f"{payee.masked_number} de {payee.name} del "
            f"{timezone.localtime(payment.created_at):%d/%m/%Y}. Motivo: "
            f"{payment.rejection_reason}.\n\n"
            f"Devolvimos {format_money(refunded, payment.currency)} a tu cuenta "
            f"{mask_number(payment.origin.number)}.\n"
        ),
        kind="Pago de tarjeta rechazado",
    )


CARD_PAYMENTS = SettlementSource(
    name="cards.cardpayment",
    claim=claim,
    sent=sent,
    open_references=open_references,
    accepted=accepted,
    rejected=rejected,
)

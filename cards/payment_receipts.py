"""What a card payment adds to its receipts: the card paid — masked — and its holder, the
institution, and for another institution's card how far settlement got. The ledger knows
the amounts and the account; the payment knows the rest. Registered in
``CardsConfig.ready`` (``core.receipts``) for the journals whose source is a
``CardPayment`` and for the refund of a rejected one (a reversal names no source)."""

from cards.models import CardPayment
from cards.payees import cooperative_label
from core.receipts import Description

CARD_PAYMENT_SOURCE = CardPayment._meta.label_lower


def card_payment_describe(journal) -> Description | None:
    """The receipt lines of the card payment ``journal`` made."""
    payment = (
        CardPayment.objects.select_related("card", "payee").filter(pk=journal.source_id).first()
    )
    return _described(payment) if payment is not None else None


def card_payment_refund_describe(journal) -> Description | None:
    """The receipt of the refund of a rejected card payment (``UNSOURCED``)."""
    payment = (
        CardPayment.objects.select_related("card", "payee")
        .filter(refund_journal_id=journal.pk)
        .first()
    )
    return _described(payment) if payment is not None else None


def _described(payment: CardPayment) -> Description:
    if payment.payee is not None:
        name, masked = payment.payee.name, payment.payee.masked_number
        institution = payment.payee.institution_name
    else:
        name, masked = payment.card.holder_name, payment.card.masked_number
        institution = cooperative_label()
    return Description(
        beneficiary=f"{name} — Tarjeta {masked}",
        institution=institution,
        status=payment.get_status_display() if payment.interbank else "",
    )

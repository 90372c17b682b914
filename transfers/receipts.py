"""What an interbank transfer adds to its receipts: the beneficiary at the other
institution, that institution, and the transfer's state. The ledger only knows the
clearing account; the transfer knows the rest. Registered in ``TransfersConfig.ready``
(``core.receipts``); a transfer inside the cooperative adds nothing, its receipt names
the other member's account from the ledger."""

from django.db.models import Q

from core.masking import mask_number
from core.receipts import Description
from ledger.models import Kind
from transfers.models import Transfer

TRANSFER_SOURCE = Transfer._meta.label_lower


def transfer_describe(journal) -> Description | None:
    """The receipt lines of the interbank transfer ``journal`` made or refunded."""
    if journal.source_type == TRANSFER_SOURCE and journal.kind != Kind.TRANSFER_INTERBANK:
        return None  # a transfer inside the cooperative: its receipt is the ledger's
    transfer = _transfer_of(journal)
    if transfer is None:
        return None
    beneficiary = transfer.beneficiary
    if beneficiary is None or beneficiary.institution_id is None:
        return None
    return Description(
        beneficiary=(
            f"{beneficiary.name} — {beneficiary.get_account_type_display()} "
            f"{mask_number(beneficiary.account_number)}"
        ),
        institution=beneficiary.institution.name,
        status=transfer.get_status_display(),
    )


def _transfer_of(journal) -> Transfer | None:
    transfers = Transfer.objects.select_related("beneficiary__institution")
    if journal.source_type == TRANSFER_SOURCE:
        return transfers.filter(pk=journal.source_id).first()
    # A journal written before transfers named their source, or a refund (a reversal
    # names none): the transfer points at it.
    return transfers.filter(Q(journal_id=journal.pk) | Q(refund_journal_id=journal.pk)).first()

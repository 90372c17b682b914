"""What an interbank transfer adds to its receipts: the beneficiary at the other
institution, that institution, and the transfer's state. The ledger only knows the
clearing account; the transfer knows the rest. Registered in ``TransfersConfig.ready``
(``core.receipts``); a transfer inside the cooperative adds nothing, its receipt names
the other member's account from the ledger.

And the «Detalle» the manual prints under "¡Transferencia exitosa!" (``transfer_detail``),
from the transfer just made."""

from django.db.models import Q
from django.utils import timezone

from core.masking import mask_number
from core.money import format_money
from core.profile import cooperative_current
from core.receipts import Description
from ledger.models import Kind
from transfers.models import Transfer, TransferKind

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


def transfer_detail(transfer: Transfer) -> list[list]:
    """The done step's «Detalle», as the manual prints it: the amounts, the motive and the
    date, then «Cuenta de origen» and «Cuenta de destino», each with its Nombre and N.º
    Cta., and the «Institución financiera» (with an interbank transfer's state while it is
    on its way). ``[heading, [[label, value], …]]`` sections (JSON: the operation keeps
    them). ``transfer``: the one just made, with its accounts and beneficiary."""
    currency = transfer.currency
    amounts = [
        ["Valor transferido", format_money(transfer.amount, currency)],
        ["Comisión", format_money(transfer.commission, currency)],
    ]
    if transfer.iva:
        amounts.append(["IVA", format_money(transfer.iva, currency)])
    amounts.append(["Total debitado", format_money(transfer.total, currency)])
    if transfer.motive:
        amounts.append(["Motivo", transfer.motive])
    amounts.append(["Fecha", timezone.localtime(transfer.created_at).strftime("%d/%m/%Y %H:%M")])
    member = transfer.member.full_name
    origin = transfer.origin
    beneficiary = transfer.beneficiary
    if transfer.kind == TransferKind.INTERBANK:
        to_name = beneficiary.name
        to_account = (
            f"{beneficiary.get_account_type_display()} {mask_number(beneficiary.account_number)}"
        )
        institution = beneficiary.institution.name
    else:
        destination = transfer.destination
        to_name = member if beneficiary is None else beneficiary.name
        to_account = destination.masked_name
        institution = cooperative_current().short_name.upper()
    closing = [["Institución financiera", institution]]
    if transfer.status == Transfer.Status.PENDING:
        closing.append(["Estado", transfer.get_status_display()])
    return [
        ["Detalle", amounts],
        [
            "Cuenta de origen",
            [
                ["Nombre", member],
                ["N.º Cta.", origin.masked_name],
            ],
        ],
        ["Cuenta de destino", [["Nombre", to_name], ["N.º Cta.", to_account], *closing]],
    ]

"""Comprobantes: what one journal means to one of the member's accounts.

A receipt is built from the ledger — the journal, its postings and the products the other
legs belong to — so every movement has one, whichever operation wrote it. What only the
operation knows (an interbank transfer's beneficiary, institution and state) comes from
the describer its app registered for the journal's source (``core.receipts``); plain
movements have none and read the ledger alone.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from core.masking import mask_name, mask_number
from core.money import format_money, from_minor
from core.profile import cooperative_current
from core.receipts import receipt_describe
from ledger.models import Journal, Kind, Posting
from products.models import DepositAccount
from products.queries import Legs, journal_legs_read

# Lines a receipt prints that its public verification page leaves out: who the other
# party is, the member's own words, and a bill's reference (a contract, a cédula, a
# phone number).
UNVERIFIED_LINES = frozenset({"Beneficiario", "Motivo", "Referencia"})

# The transfers' journals: their receipts say "Valor transferido" and "Institución
# financiera", as the manual's transfer receipts do.
TRANSFER_KINDS = frozenset({Kind.TRANSFER_OWN, Kind.TRANSFER_INTERNAL, Kind.TRANSFER_INTERBANK})

COMMISSION_BOOK = "FEE_INCOME:"
IVA_BOOK = "IVA_PAYABLE:"
FEE_BOOKS = (COMMISSION_BOOK, IVA_BOOK)


@dataclass(frozen=True)
class Receipt:
    account: DepositAccount
    posting_id: int
    reference: str
    title: str  # NOTA DE DÉBITO / NOTA DE CRÉDITO
    operation: str  # the journal's kind, e.g. "Pago de crédito"
    amount: Decimal
    fee: Decimal  # commission and IVA
    iva: Decimal
    currency: str
    created_at: datetime
    channel: str
    motive: str
    description: str
    origin: str
    beneficiary: str
    institution: str
    status: str = ""  # from the operation's describer: an interbank transfer's Por enviar…
    described_lines: tuple[tuple[str, str], ...] = ()  # an operation's own receipt
    transfer: bool = False  # a transfer's journal: the manual's "Valor transferido"

    @property
    def lines(self) -> list[tuple[str, str]]:
        """The manual's fields, in its order (an operation's own, when it gives them)."""
        if self.described_lines:
            return list(self.described_lines)
        rows = [
            ("Comprobante N.º", self.reference),
            ("Tipo", self.operation),
            (
                "Valor transferido" if self.transfer else "Valor",
                format_money(self.amount, self.currency),
            ),
            ("Comisión", format_money(self.fee - self.iva, self.currency)),
        ]
        if self.iva:
            rows.append(("IVA", format_money(self.iva, self.currency)))
        if self.fee:
            rows.append(("Total debitado", format_money(self.amount + self.fee, self.currency)))
        rows += [
            ("Fecha", self.created_at.strftime("%d/%m/%Y %H:%M")),
            ("Canal", self.channel),
            ("Motivo", self.motive or self.description),
            ("Cuenta de origen", self.origin),
        ]
        if self.beneficiary:
            rows.append(("Beneficiario", self.beneficiary))
        rows.append(
            ("Institución financiera" if self.transfer else "Institución", self.institution)
        )
        if self.status:
            rows.append(("Estado", self.status))
        return rows

    @property
    def url(self) -> str:
        return reverse("products:receipt", args=[self.account.public_id, self.posting_id])


def _product_label(posting: Posting) -> tuple[str, str, int | None]:
    """(what the leg's account is to a member, whose name, whose id) — blank for the
    books."""
    ledger = posting.account
    for attr, describe in (
        ("deposit_account", lambda p: (p.masked_name, p)),
        ("loan", lambda p: (f"Crédito {p.loan_type.name} {mask_number(p.number)}", p)),
        ("term_deposit", lambda p: (f"Inversión {mask_number(p.number)}", p)),
    ):
        try:
            product = getattr(ledger, attr)
        except ObjectDoesNotExist:
            continue
        label, owned = describe(product)
        return label, owned.member.full_name, owned.member_id
    return "", "", None


def _deposit_account(posting: Posting) -> DepositAccount | None:
    try:
        return posting.account.deposit_account
    except ObjectDoesNotExist:
        return None


def receipt_build(*, account: DepositAccount, posting_id: int) -> Receipt:
    """The receipt of movement ``posting_id`` of ``account``; 404 unless it is one."""
    journal, postings = journal_legs_read(
        posting_id=posting_id, ledger_account_id=account.ledger_account_id
    )
    mine = next((p for p in postings if p.pk == posting_id), None)
    if mine is None:
        raise Http404
    return _receipt(account, mine, journal, postings)


def _receipt(account: DepositAccount, mine: Posting, journal, postings: list[Posting]) -> Receipt:
    """The receipt of ``mine``, ``account``'s leg of ``journal`` (``postings``: all its
    legs, as ``journal_legs_read`` gives them)."""
    own = [p for p in postings if p.account_id == account.ledger_account_id]
    fee = from_minor(-sum(p.amount_minor for p in postings if p.account.code.startswith(FEE_BOOKS)))
    iva = from_minor(-sum(p.amount_minor for p in postings if p.account.code.startswith(IVA_BOOK)))
    is_debit = mine.amount_minor > 0
    total = from_minor(abs(sum(p.amount_minor for p in own)))
    amount = total - fee if is_debit else total
    mine_label = account.masked_name
    others = [
        _product_label(p)
        for p in postings
        if p.account_id != account.ledger_account_id and (p.amount_minor > 0) != is_debit
    ]
    others = [other for other in others if other[0]]
    if is_debit:
        origin = mine_label
        # Another member's name only masked: a receipt must not reveal who holds an
        # account number to whoever sends it a cent.
        beneficiary = " · ".join(
            f"{name if owner == account.member_id else mask_name(name)} — {label}"
            for label, name, owner in others[:1]
        )
    else:
        origin = others[0][0] if others else ""
        beneficiary = f"{account.member.full_name} — {mine_label}"
    institution = cooperative_current().short_name.upper()
    status, described_lines = "", ()
    described = receipt_describe(journal)
    if described is not None:
        beneficiary, institution = described.beneficiary, described.institution
        status, described_lines = described.status, described.lines
    return Receipt(
        account=account,
        posting_id=mine.pk,
        reference=journal.reference,
        title="NOTA DE DÉBITO" if is_debit else "NOTA DE CRÉDITO",
        operation=journal.get_kind_display(),
        transfer=journal.kind in TRANSFER_KINDS,
        amount=amount,
        fee=fee if is_debit else Decimal("0.00"),
        iva=iva if is_debit else Decimal("0.00"),
        currency=mine.currency,
        created_at=timezone.localtime(journal.created_at),
        channel=journal.get_channel_display(),
        motive=journal.motive,
        description=mine.description,
        origin=origin or mine.description,
        beneficiary=beneficiary,
        institution=institution,
        status=status,
        described_lines=described_lines,
    )


def receipt_result(journal: Journal | int, *, viewer, legs: Legs | None = None) -> dict:
    """What an operation's done step shows: the receipt of the journal's debit on the
    member's account, as plain data (JSON: the operation's row keeps it). ``journal``: the
    journal or its id; ``legs``: the journal with its legs as ``journal_legs_read`` gives
    them, when the caller read them already (else the receipt reads them)."""
    journal_id = journal if isinstance(journal, int) else journal.pk
    journal_read, postings = legs or journal_legs_read(journal_id=journal_id)
    mine = next(
        (
            (p, account)
            for p in postings
            if p.amount_minor > 0
            and (account := _deposit_account(p)) is not None
            and account.member_id == viewer.pk
        ),
        None,
    )
    if mine is None:
        return {"message": f"Comprobante N.º {Journal.reference_of(journal_id)}"}
    posting, account = mine
    receipt = _receipt(account, posting, journal_read, postings)
    return {
        "title": f"Comprobante {receipt.title}",
        "receipt": {"lines": receipt.lines, "url": receipt.url},
    }


def receipt_fields(receipt: Receipt) -> list[tuple[str, str]]:
    """What a receipt's verification page shows: its lines as printed — reference, type,
    value, commission, IVA, total, date, channel, the masked origin, institution, state —
    less the beneficiary and the motive."""
    return [(label, value) for label, value in receipt.lines if label not in UNVERIFIED_LINES]


def receipt_pdf(receipt: Receipt, *, request) -> bytes:
    """The receipt as a PDF with its verification code (:func:`receipt_fields`)."""
    from products.documents import document_register, render_pdf
    from products.models import VerifiedDocument

    document = document_register(kind=VerifiedDocument.Kind.RECEIPT, fields=receipt_fields(receipt))
    return render_pdf(
        template="products/pdf/receipt.html",
        context={"receipt": receipt},
        request=request,
        document=document,
    )

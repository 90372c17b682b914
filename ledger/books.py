"""The cooperative's own books, per currency.

Accounts every operation touches (fee income, IVA payable, the interbank clearing
account) would serialize all members' operations behind one row lock. They are split
into shards — ordinary accounts whose ``parent`` is the book's root account — and each
journal picks one shard from a stable hash of its key. Reports add the shards up
(``ledger.selectors.book_balance``); the root itself holds no postings.
"""

import zlib
from dataclasses import dataclass

from django.db import transaction

from ledger.models import Account
from ledger.services import account_open

A, L, E, I, X = (  # noqa: E741 - short names for the table below
    Account.Kind.ASSET,
    Account.Kind.LIABILITY,
    Account.Kind.EQUITY,
    Account.Kind.INCOME,
    Account.Kind.EXPENSE,
)
DEBIT, CREDIT = Account.Side.DEBIT, Account.Side.CREDIT


@dataclass(frozen=True)
class Book:
    name: str
    kind: str
    normal_side: str
    shards: int = 1


BOOKS = {
    "CASH": Book("Caja general", A, DEBIT),
    "CENTRAL_BANK": Book("Banco Central, cuenta corriente", A, DEBIT),
    "SPI_CLEARING": Book("Compensación interbancaria SPI (en tránsito)", L, CREDIT, shards=8),
    "FEE_INCOME": Book("Ingresos por comisiones", I, CREDIT, shards=8),
    "IVA_PAYABLE": Book("IVA por pagar", L, CREDIT, shards=8),
    "BILLER_PAYABLE": Book("Recaudaciones por pagar a empresas de servicios", L, CREDIT, shards=4),
    "CARD_SETTLEMENT": Book("Compensación de tarjetas", L, CREDIT, shards=4),
    "INTEREST_EXPENSE": Book("Gasto de intereses", X, DEBIT, shards=4),
    "INTEREST_INCOME": Book("Ingreso por intereses", I, CREDIT, shards=4),
    "INSURANCE_PAYABLE": Book("Seguro de desgravamen por pagar", L, CREDIT),
    "WITHHOLDING_PAYABLE": Book("Retenciones en la fuente por pagar", L, CREDIT),
    "LOAN_DISBURSEMENT": Book("Desembolsos de crédito por liquidar", L, CREDIT),
    "FX_POSITION": Book("Posición de cambio", E, CREDIT),
    "OPENING_EQUITY": Book("Patrimonio de apertura", E, CREDIT),
    "SUSPENSE": Book("Partidas pendientes de imputación", L, CREDIT),
}


def _root(code: str, currency: str) -> Account:
    book = BOOKS[code]
    return account_open(
        code=f"{code}:{currency}",
        name=f"{book.name} ({currency})",
        kind=book.kind,
        normal_side=book.normal_side,
        currency=currency,
    )


def books_open(*, currency: str) -> int:
    """Opens every book (and its shards) for ``currency``; idempotent. Returns a count.

    One read finds what is open already and one insert per level adds the rest (roots,
    then their shards), instead of a get-or-create per account."""
    wanted = {}  # code -> (book, shard number or None)
    for code, book in BOOKS.items():
        wanted[f"{code}:{currency}"] = (code, None)
        for n in range(book.shards if book.shards > 1 else 0):
            wanted[f"{code}:{currency}:{n}"] = (code, n)
    with transaction.atomic():
        existing = {a.code: a for a in Account.objects.filter(code__in=wanted)}
        for account in existing.values():
            book = BOOKS[wanted[account.code][0]]
            if (account.currency, account.normal_side) != (currency, book.normal_side):
                raise ValueError(f"account {account.code} exists with another currency or side")
        for level in (None, "shard"):
            missing = []
            for account_code, (code, n) in wanted.items():
                if account_code in existing or (n is None) != (level is None):
                    continue
                book = BOOKS[code]
                missing.append(
                    Account(
                        code=account_code,
                        name=f"{book.name} ({currency})" + ("" if n is None else f" #{n}"),
                        kind=book.kind,
                        normal_side=book.normal_side,
                        currency=currency,
                        parent=None if n is None else existing[f"{code}:{currency}"],
                    )
                )
            Account.objects.bulk_create(missing, ignore_conflicts=True)
            existing.update(
                (a.code, a) for a in Account.objects.filter(code__in=[m.code for m in missing])
            )
    return len(wanted)


def book_account(code: str, currency: str, *, spread: str = "") -> Account:
    """The account to post to for book ``code``: its root, or for a sharded book the shard
    that ``spread`` (usually the journal's idempotency key) hashes to."""
    book = BOOKS[code]
    if book.shards == 1:
        return _root(code, currency)
    shard = zlib.crc32(spread.encode()) % book.shards
    account = Account.objects.filter(code=f"{code}:{currency}:{shard}").first()
    if account is None:
        books_open(currency=currency)
        account = Account.objects.get(code=f"{code}:{currency}:{shard}")
    return account

"""The cooperative's own books, per currency.

Accounts every operation touches (fee income, IVA payable, the interbank clearing
account) would serialize all members' operations behind one row lock. They are split
into shards — ordinary accounts whose ``parent`` is the book's root account — and each
journal picks one shard from a stable hash of its key. Reports add the shards up
(``ledger.selectors.book_balance``); the root itself holds no postings.

Which account a book's code is never changes once opened: the codes' ids are a catalog
(``core.cached``), read once per process and currency.
"""

import zlib
from dataclasses import dataclass

from django.db import transaction

from core.cached import catalog_cached, catalog_changed, catalog_watch
from ledger.models import Account

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


def _wanted(currency: str) -> dict[str, tuple[str, int | None]]:
    """Every book account of ``currency``: its code -> (book, shard number or None)."""
    wanted = {}
    for code, book in BOOKS.items():
        wanted[f"{code}:{currency}"] = (code, None)
        for n in range(book.shards if book.shards > 1 else 0):
            wanted[f"{code}:{currency}:{n}"] = (code, n)
    return wanted


def _is_book(account: Account) -> bool:
    return account.code.partition(":")[0] in BOOKS


def books_open(*, currency: str) -> int:
    """Opens every book (and its shards) for ``currency``; idempotent. Returns a count.

    One read finds what is open already and one insert per level adds the rest (roots,
    then their shards), instead of a get-or-create per account."""
    wanted = _wanted(currency)
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
            if missing:
                Account.objects.bulk_create(missing, ignore_conflicts=True)  # sends no signal
                catalog_changed()
                existing.update(
                    (a.code, a) for a in Account.objects.filter(code__in=[m.code for m in missing])
                )
    return len(wanted)


@catalog_cached
def _book_ids(currency: str) -> dict[str, int]:
    """The open book accounts of ``currency``: code -> id (one query)."""
    return dict(Account.objects.filter(code__in=_wanted(currency)).values_list("code", "pk"))


catalog_watch(Account, when=_is_book)


def book_account_id(code: str, currency: str, *, spread: str = "") -> int:
    """The id of the account to post to for book ``code``: its root, or for a sharded book
    the shard that ``spread`` (usually the journal's idempotency key) hashes to. Opens the
    currency's books the first time they are needed."""
    book = BOOKS[code]
    account_code = f"{code}:{currency}"
    if book.shards > 1:
        account_code += f":{zlib.crc32(spread.encode()) % book.shards}"
    ids = _book_ids(currency)
    if account_code not in ids:
        books_open(currency=currency)
        ids = _book_ids(currency)
    return ids[account_code]


def book_account(code: str, currency: str, *, spread: str = "") -> Account:
    """The account ``book_account_id`` names, read now (its balance is current)."""
    return Account.objects.get(pk=book_account_id(code, currency, spread=spread))

"""The member's products, read with written SQL.

The consolidated position reads every product family a member holds, and every
operation's form lists the member's accounts. Through the ORM each of those reads cost
more Python compiling the query (wide select lists of joined models) than PostgreSQL took
to run it — a third of the position's time. These statements take their column lists from
the models (``core.db.rows.Columns``), run on PostgreSQL and SQLite alike and return model
instances converted as the ORM converts them, with their related rows attached as
``select_related`` attaches them; the product, loan and deposit types come from the
process's catalog copy (``core.cached``), not from a join.
"""

from datetime import date
from functools import cache

from django.core.exceptions import ValidationError
from django.db import connection

from accounts.models import Member
from core.cached import catalog_cached, catalog_watch
from core.db.rows import Columns, Reading, columns_sql, reading_run, rows_cut, rows_read
from ledger.models import Account, Journal, Posting
from products.models import (
    DepositAccount,
    Installment,
    Loan,
    LoanType,
    ProductType,
    TermDeposit,
    TermDepositType,
)


@catalog_cached
def product_types() -> dict[int, ProductType]:
    return ProductType.objects.in_bulk()


@catalog_cached
def loan_types() -> dict[int, LoanType]:
    return LoanType.objects.in_bulk()


@catalog_cached
def deposit_types() -> dict[int, TermDepositType]:
    return TermDepositType.objects.in_bulk()


catalog_watch(ProductType)
catalog_watch(LoanType)
catalog_watch(TermDepositType)


_ACCOUNTS = (Columns(DepositAccount, "d"), Columns(Account, "a"))


@cache
def _accounts_sql(*, one: bool = False) -> str:
    return (
        f"SELECT {columns_sql(_ACCOUNTS)} FROM products_depositaccount d "  # noqa: S608 - no input in the text
        "JOIN ledger_account a ON a.id = d.ledger_account_id "
        "WHERE d.member_id = %s" + (" AND d.public_id = %s" if one else "") + " "
        "ORDER BY d.opened_at, d.id"
    )


def deposit_accounts_read(member: Member) -> list[DepositAccount]:
    """The member's accounts, oldest first, each with its ledger account, product type
    and member: one query."""
    return reading_run(deposit_accounts_reading(member))


def deposit_accounts_reading(member: Member) -> Reading[list[DepositAccount]]:
    """``deposit_accounts_read`` as a reading (``core.db.rows``)."""
    rows = yield _accounts_sql(), [member.pk]
    return _accounts_built(member, rows_cut(rows, _ACCOUNTS))


def deposit_account_read(member: Member, public_id) -> DepositAccount | None:
    """One of the member's accounts by its public id (``None`` if the member has no such
    account), with its ledger account, product type and member: one query."""
    field = DepositAccount._meta.get_field("public_id")
    try:
        value = field.get_db_prep_value(public_id, connection)
    except ValidationError:
        return None
    rows = rows_read(_accounts_sql(one=True), [member.pk, value], _ACCOUNTS)
    accounts = _accounts_built(member, rows)
    return accounts[0] if accounts else None


def _accounts_built(member: Member, rows: list[list]) -> list[DepositAccount]:
    types = product_types()
    accounts = []
    for account, ledger_account in rows:
        account.ledger_account = ledger_account
        account.product_type = types[account.product_type_id]
        account.member = member
        accounts.append(account)
    return accounts


_LOANS = (Columns(Loan, "l"), Columns(Account, "a"), Columns(Installment, "i"))


@cache
def _loans_sql() -> str:
    unpaid = Columns(Installment, "u")
    return (
        f"SELECT {columns_sql(_LOANS)}, i.unpaid FROM products_loan l "  # noqa: S608 - no input in the text
        "JOIN ledger_account a ON a.id = l.ledger_account_id "
        f"LEFT JOIN (SELECT {unpaid.sql()}, "
        "ROW_NUMBER() OVER (PARTITION BY u.loan_id ORDER BY u.number) AS n, "
        "COUNT(*) OVER (PARTITION BY u.loan_id) AS unpaid "
        "FROM products_installment u JOIN products_loan k ON k.id = u.loan_id "
        "WHERE k.member_id = %s AND u.state <> %s) i "
        "ON i.loan_id = l.id AND (i.n = 1 OR i.due_date < %s) "
        "WHERE l.member_id = %s AND l.status <> %s "
        "ORDER BY l.granted_on, l.id, i.number"
    )


def loans_read(member: Member, *, on: date) -> list[Loan]:
    """The member's loans not paid off, each with its ledger account and type, what it
    owes on ``on`` as ``owed`` — its installments overdue, else its next one, in order —
    and how many are unpaid as ``unpaid_count``: one query, however many."""
    return reading_run(loans_reading(member, on=on))


def loans_reading(member: Member, *, on: date) -> Reading[list[Loan]]:
    """``loans_read`` as a reading (``core.db.rows``)."""
    params = [member.pk, Installment.State.PAID, on, member.pk, Loan.Status.PAID_OFF]
    rows = yield _loans_sql(), params
    types = loan_types()
    loan_columns, account_columns, installment_columns = _LOANS
    split = len(loan_columns) + len(account_columns)
    end = split + len(installment_columns)
    loans: dict[int, Loan] = {}
    for row in rows:  # a loan's columns repeat on each of its installments' rows
        loan = loans.get(row[loan_columns.pk_index])
        if loan is None:
            loan = loan_columns.build(row[: len(loan_columns)])
            loan.ledger_account = account_columns.build(row[len(loan_columns) : split])
            loan.loan_type = types[loan.loan_type_id]
            loan.owed, loan.unpaid_count = [], row[end] or 0
            loans[loan.pk] = loan
        installment = installment_columns.build(row[split:end])
        if installment is not None:
            installment.loan = loan
            loan.owed.append(installment)
    return list(loans.values())


_DEPOSITS = (Columns(TermDeposit, "t"), Columns(DepositAccount, "d"))


@cache
def _deposits_sql() -> str:
    return (
        f"SELECT {columns_sql(_DEPOSITS)} FROM products_termdeposit t "  # noqa: S608 - no input in the text
        "LEFT JOIN products_depositaccount d ON d.id = t.account_id "
        "WHERE t.member_id = %s ORDER BY t.issued_on, t.id"
    )


def term_deposits_read(member: Member) -> list[TermDeposit]:
    """The member's pólizas, oldest first, each with its type and the account it was paid
    from: one query."""
    return reading_run(term_deposits_reading(member))


def term_deposits_reading(member: Member) -> Reading[list[TermDeposit]]:
    """``term_deposits_read`` as a reading (``core.db.rows``)."""
    rows = yield _deposits_sql(), [member.pk]
    types = deposit_types()
    deposits = []
    for deposit, account in rows_cut(rows, _DEPOSITS):
        deposit.deposit_type = types[deposit.deposit_type_id]
        deposit.account = account
        deposits.append(deposit)
    return deposits


_LEGS = (
    Columns(Posting, "p"),
    Columns(Account, "a"),
    Columns(Journal, "j"),
    Columns(DepositAccount, "d"),
    Columns(Loan, "l"),
    Columns(TermDeposit, "t"),
    Columns(Member, "m"),
)


@cache
def _legs_sql(*, by_posting: bool) -> str:
    journal = (
        "(SELECT q.journal_id FROM ledger_posting q WHERE q.id = %s AND q.account_id = %s)"
        if by_posting
        else "%s"
    )
    return (
        f"SELECT {columns_sql(_LEGS)} FROM ledger_posting p "  # noqa: S608 - no input in the text
        "JOIN ledger_journal j ON j.id = p.journal_id "
        "JOIN ledger_account a ON a.id = p.account_id "
        "LEFT JOIN products_depositaccount d ON d.ledger_account_id = a.id "
        "LEFT JOIN products_loan l ON l.ledger_account_id = a.id "
        "LEFT JOIN products_termdeposit t ON t.ledger_account_id = a.id "
        "LEFT JOIN accounts_member m ON m.id = COALESCE(d.member_id, l.member_id, t.member_id) "
        f"WHERE p.journal_id = {journal} ORDER BY p.id"
    )


def journal_legs_read(
    *, journal_id: int | None = None, posting_id: int | None = None, ledger_account_id=None
) -> tuple[Journal | None, list[Posting]]:
    """A journal and its postings in order, each with its ledger account and the product
    that account belongs to (``account.deposit_account``, ``.loan`` or ``.term_deposit``,
    with its type and member), as a receipt reads them: one query. By ``journal_id``, or
    by the movement ``posting_id`` of ``ledger_account_id`` (nothing when it is not one)."""
    return reading_run(
        journal_legs_reading(
            journal_id=journal_id, posting_id=posting_id, ledger_account_id=ledger_account_id
        )
    )


Legs = tuple[Journal | None, list[Posting]]


def journal_legs_reading(
    *, journal_id: int | None = None, posting_id: int | None = None, ledger_account_id=None
) -> Reading[Legs]:
    """``journal_legs_read`` as a reading (``core.db.rows``): to read a journal's legs in
    the exchange that writes what it records."""
    if journal_id is not None:
        rows = yield _legs_sql(by_posting=False), [journal_id]
    else:
        rows = yield _legs_sql(by_posting=True), [posting_id, ledger_account_id]
    rows = rows_cut(rows, _LEGS)
    if not rows:
        return None, []
    journal = rows[0][2]
    kinds, loans, deposits = product_types(), loan_types(), deposit_types()
    postings = []
    for posting, account, _, deposit_account, loan, term_deposit, member in rows:
        for product in (deposit_account, loan, term_deposit):
            if product is not None:
                product.member = member
        if deposit_account is not None:
            deposit_account.product_type = kinds[deposit_account.product_type_id]
            deposit_account.ledger_account = account
        if loan is not None:
            loan.loan_type = loans[loan.loan_type_id]
            loan.ledger_account = account
        if term_deposit is not None:
            term_deposit.deposit_type = deposits[term_deposit.deposit_type_id]
            term_deposit.ledger_account = account
        cached = account._state.fields_cache  # the reverse one-to-ones, no query each
        cached["deposit_account"], cached["loan"], cached["term_deposit"] = (
            deposit_account,
            loan,
            term_deposit,
        )
        posting.account = account
        posting.journal = journal
        postings.append(posting)
    return journal, postings

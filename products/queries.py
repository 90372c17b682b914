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

from functools import cache

from django.core.exceptions import ValidationError
from django.db import connection

from accounts.models import Member
from core.cached import catalog_cached, catalog_watch
from core.db.rows import Columns, rows_read
from ledger.models import Account
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


def _select(columns: tuple[Columns, ...]) -> str:
    return ", ".join(part.sql() for part in columns)


_ACCOUNTS = (Columns(DepositAccount, "d"), Columns(Account, "a"))


@cache
def _accounts_sql(*, one: bool = False) -> str:
    return (
        f"SELECT {_select(_ACCOUNTS)} FROM products_depositaccount d "  # noqa: S608 - no input in the text
        "JOIN ledger_account a ON a.id = d.ledger_account_id "
        "WHERE d.member_id = %s" + (" AND d.public_id = %s" if one else "") + " "
        "ORDER BY d.opened_at, d.id"
    )


def deposit_accounts_read(member: Member) -> list[DepositAccount]:
    """The member's accounts, oldest first, each with its ledger account, product type
    and member: one query."""
    return _accounts_built(member, rows_read(_accounts_sql(), [member.pk], _ACCOUNTS))


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
    return (
        f"SELECT {_select(_LOANS)} FROM products_loan l "  # noqa: S608 - no input in the text
        "JOIN ledger_account a ON a.id = l.ledger_account_id "
        "LEFT JOIN products_installment i ON i.loan_id = l.id AND i.state <> %s "
        "WHERE l.member_id = %s AND l.status <> %s "
        "ORDER BY l.granted_on, l.id, i.number"
    )


def loans_read(member: Member) -> list[Loan]:
    """The member's loans not paid off, each with its ledger account and type, and its
    unpaid installments in order as ``unpaid``: one query, however many."""
    types = loan_types()
    loan_columns, account_columns, installment_columns = _LOANS
    split = len(loan_columns) + len(account_columns)
    with connection.cursor() as cursor:
        cursor.execute(_loans_sql(), [Installment.State.PAID, member.pk, Loan.Status.PAID_OFF])
        rows = cursor.fetchall()
    loans: dict[int, Loan] = {}
    for row in rows:  # a loan's columns repeat on each of its installments' rows
        loan = loans.get(row[loan_columns.pk_index])
        if loan is None:
            loan = loan_columns.build(row[: len(loan_columns)])
            loan.ledger_account = account_columns.build(row[len(loan_columns) : split])
            loan.loan_type = types[loan.loan_type_id]
            loan.unpaid = []
            loans[loan.pk] = loan
        installment = installment_columns.build(row[split:])
        if installment is not None:
            installment.loan = loan
            loan.unpaid.append(installment)
    return list(loans.values())


_DEPOSITS = (Columns(TermDeposit, "t"), Columns(DepositAccount, "d"))


@cache
def _deposits_sql() -> str:
    return (
        f"SELECT {_select(_DEPOSITS)} FROM products_termdeposit t "  # noqa: S608 - no input in the text
        "LEFT JOIN products_depositaccount d ON d.id = t.account_id "
        "WHERE t.member_id = %s ORDER BY t.issued_on, t.id"
    )


def term_deposits_read(member: Member) -> list[TermDeposit]:
    """The member's pólizas, oldest first, each with its type and the account it was paid
    from: one query."""
    types = deposit_types()
    deposits = []
    for deposit, account in rows_read(_deposits_sql(), [member.pk], _DEPOSITS):
        deposit.deposit_type = types[deposit.deposit_type_id]
        deposit.account = account
        deposits.append(deposit)
    return deposits


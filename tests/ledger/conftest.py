import itertools
from decimal import Decimal

import pytest

from ledger.models import Account, Kind
from ledger.services import Line, account_open, journal_post

_codes = itertools.count(1)


def open_savings(currency: str = "USD", *, name: str = "Ahorros") -> Account:
    n = next(_codes)
    return account_open(
        code=f"TEST-AHO-{n:06d}",
        name=f"{name} {n}",
        kind=Account.Kind.LIABILITY,
        normal_side=Account.Side.CREDIT,
        currency=currency,
        forbid_negative=True,
    )


def deposit(cash: Account, account: Account, amount: str, *, key: str | None = None) -> None:
    journal_post(
        key=key or f"test-deposit-{next(_codes)}",
        kind=Kind.DEPOSIT,
        lines=[
            Line.debit(cash, Decimal(amount), "DEPÓSITO EN EFECTIVO"),
            Line.credit(account, Decimal(amount), "DEPÓSITO AHORROS"),
        ],
    )


def refreshed(account: Account) -> Account:
    return Account.objects.get(pk=account.pk)


@pytest.fixture
def cash(db):
    return account_open(
        code=f"TEST-CASH-{next(_codes)}",
        name="Caja",
        kind=Account.Kind.ASSET,
        normal_side=Account.Side.DEBIT,
        currency="USD",
    )


@pytest.fixture
def maria_savings(cash):
    account = open_savings(name="María")
    deposit(cash, account, "100.00")
    return refreshed(account)


@pytest.fixture
def gabriel_savings(cash):
    return open_savings(name="Gabriel")

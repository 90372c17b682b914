"""Holds placed for a worker's batch (``holds_place``: a run's scheduled payments), on
PostgreSQL and SQLite alike: each checked as ``hold_place`` checks it against what the
batch's earlier holds reserved, all refused when one is, a key already used refused."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from ledger.audit import ledger_check
from ledger.exceptions import AccountNotActive, InsufficientFunds
from ledger.models import Hold
from ledger.services import (
    HoldRequest,
    account_set_status,
    accounts_lock,
    hold_place,
    holds_place,
)
from tests.ledger.conftest import refreshed

D = Decimal


def request(account, amount: str, key: str) -> HoldRequest:
    return HoldRequest(account_id=account.pk, amount=D(amount), key=key, description="LOTE")


def test_a_batch_reserves_each_hold_against_the_earlier_ones(maria_savings, gabriel_savings):
    with transaction.atomic():
        holds = holds_place(
            requests=[
                request(maria_savings, "60.00", "b-1"),
                request(maria_savings, "40.00", "b-2"),
            ]
        )
    assert [h.amount for h in holds] == [D("60.00"), D("40.00")]
    assert all(h.pk and h.status == Hold.Status.ACTIVE for h in holds)
    account = refreshed(maria_savings)
    assert (account.balance, account.held, account.available) == (D("100"), D("100"), D("0"))
    assert ledger_check().ok


def test_one_hold_that_does_not_fit_refuses_the_batch(maria_savings, gabriel_savings):
    with pytest.raises(InsufficientFunds), transaction.atomic():
        holds_place(
            requests=[
                request(maria_savings, "60.00", "b-1"),
                request(maria_savings, "40.01", "b-2"),
            ]
        )
    assert not Hold.objects.exists() and refreshed(maria_savings).held == D("0")
    account_set_status(account=gabriel_savings, status="blocked")
    with pytest.raises(AccountNotActive), transaction.atomic():
        holds_place(requests=[request(gabriel_savings, "1.00", "b-3")])
    assert not Hold.objects.exists()


def test_a_key_already_used_refuses_the_batch(maria_savings):
    hold_place(account=maria_savings, amount=D("10.00"), key="b-1", description="SPI")
    with pytest.raises(IntegrityError), transaction.atomic():
        holds_place(
            requests=[request(maria_savings, "5.00", "b-0"), request(maria_savings, "5.00", "b-1")]
        )
    assert Hold.objects.count() == 1 and refreshed(maria_savings).held == D("10.00")


def test_the_accounts_of_a_batch_are_locked_in_id_order(maria_savings, gabriel_savings):
    with transaction.atomic():
        locked = accounts_lock(account_ids=[gabriel_savings.pk, maria_savings.pk])
    assert [a.pk for a in locked] == sorted([maria_savings.pk, gabriel_savings.pk])

"""On real PostgreSQL: parallel transfers of one member cannot together pass a limit, and
one key sent by many requests at once posts once."""

from decimal import Decimal

import pytest
from django.db import close_old_connections

from ledger.models import Journal
from tests.ledger.test_concurrency import in_threads
from transfers.limits import LimitExceeded, member_limits_set
from transfers.models import Transfer, TransferKind
from transfers.services import TransferOrder, transfer_execute

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

D = Decimal


def order(savings, certificates, amount):
    return TransferOrder(
        kind=TransferKind.OWN, origin=savings, destination=certificates, amount=D(amount)
    )


def test_parallel_transfers_stay_within_the_daily_limit(member, savings, certificates):
    member_limits_set(
        member=member,
        kind=TransferKind.OWN,
        daily=D("100.00"),
        weekly=D("100.00"),
        monthly=D("100.00"),
    )

    def work(i):
        close_old_connections()
        try:
            transfer_execute(
                member=member, order=order(savings, certificates, "30.00"), key=f"par-{i}"
            )
            return "ok"
        except LimitExceeded:
            return "limit"

    results = in_threads(8, work)
    assert results.count("ok") == 3 and results.count("limit") == 5
    assert sum(t.amount for t in Transfer.objects.all()) == D("90.00")
    savings.ledger_account.refresh_from_db()
    assert savings.ledger_account.balance == D("910.00")


def test_one_key_from_many_requests_posts_once(member, savings, certificates):
    def work(i):
        return transfer_execute(
            member=member, order=order(savings, certificates, "25.00"), key="double-click"
        ).pk

    assert len(set(in_threads(6, work))) == 1
    assert Transfer.objects.count() == 1
    assert Journal.objects.filter(idempotency_key="transfer:double-click").count() == 1
    savings.ledger_account.refresh_from_db()
    assert savings.ledger_account.balance == D("975.00")

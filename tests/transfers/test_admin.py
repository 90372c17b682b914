"""Staff edit the institutions and the cooperative's limits; transfers, beneficiaries and
settlement batches are read-only records."""

from decimal import Decimal

import pytest

from tests.transfers.test_settlement import send
from transfers.models import TransferLimit


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


def test_staff_change_a_cooperative_limit(staff_client, transfer_catalog):
    limit = TransferLimit.objects.get(kind="interbank")
    response = staff_client.post(
        f"/admin/transfers/transferlimit/{limit.pk}/change/",
        {"kind": "interbank", "daily": "1500.00", "weekly": "5000.00", "monthly": "10000.00"},
    )
    assert response.status_code == 302
    limit.refresh_from_db()
    assert limit.daily == Decimal("1500.00")


def test_records_are_read_only(staff_client, member, savings, carlos):
    transfer = send(member, savings, carlos, "6.00", "adm")
    for model in ("transfer", "beneficiary", "settlementbatch"):
        assert staff_client.get(f"/admin/transfers/{model}/").status_code == 200
        assert staff_client.get(f"/admin/transfers/{model}/add/").status_code == 403
    page = staff_client.get(f"/admin/transfers/transfer/{transfer.pk}/change/")
    assert page.status_code == 200 and transfer.journal.reference in page.content.decode()
    assert staff_client.post(f"/admin/transfers/transfer/{transfer.pk}/delete/").status_code == 403

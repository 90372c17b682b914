"""Companies at the cooperative send and receive transfers through the same service: a
person pays a company's account, and a company's own transfer greets it by its razón
social."""

from decimal import Decimal

import pytest
from django.core import mail
from django.test import TestCase

from ledger.selectors import movements
from products.receipts import receipt_build
from tests.factories import CompanyFactory
from transfers.beneficiaries import beneficiary_add_internal
from transfers.models import TransferKind
from transfers.services import TransferOrder, transfer_execute

from .conftest import aged, open_funded


@pytest.fixture
def andina(db):
    return CompanyFactory(
        business_name="Comercial Andina S.A.", email="tesoreria@comercialandina.example.com"
    )


@pytest.fixture
def andina_savings(andina, transfer_catalog):
    return open_funded(andina, amount="2000.00")


def test_a_member_pays_a_companys_account_and_only_its_masked_name_is_shown(
    member, savings, andina_savings
):
    andina = aged(beneficiary_add_internal(member=member, account_number=andina_savings.number))
    assert andina.name == "COMERCIAL A*** S***"
    transfer = transfer_execute(
        member=member,
        order=TransferOrder(
            kind=TransferKind.INTERNAL,
            origin=savings,
            beneficiary=andina,
            destination=andina_savings,
            amount=Decimal("85.00"),
            motive="Factura 001-002-345",
        ),
        key="pay-andina",
        notify=False,
    )
    received = movements(account=andina_savings.ledger_account).items[0]
    assert received.amount == Decimal("85.00") and received.journal_id == transfer.journal_id
    theirs = receipt_build(account=andina_savings, posting_id=received.posting_id)
    assert theirs.beneficiary.startswith("Comercial Andina S.A. — ")


def test_a_companys_own_transfer_greets_it_by_its_business_name(andina, andina_savings):
    certificates = open_funded(andina, code="CER", amount="0")
    with TestCase.captureOnCommitCallbacks(execute=True):
        transfer_execute(
            member=andina,
            order=TransferOrder(
                kind=TransferKind.OWN,
                origin=andina_savings,
                destination=certificates,
                amount=Decimal("100.00"),
            ),
            key="andina-own",
        )
    assert mail.outbox[-1].to == ["tesoreria@comercialandina.example.com"]
    assert mail.outbox[-1].body.startswith("Hola Comercial Andina S.A.:")

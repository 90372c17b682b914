"""Staff register cards; the portal keeps the BIN, the last four and a keyed digest of the
number, never the number itself."""

from decimal import Decimal

import pytest
from django.contrib.admin.models import LogEntry
from django.db import connection

from accounts.models import AuditEvent
from cards.exceptions import BrandMismatch, CardAlreadyIssued, CardTermsInvalid, InvalidCardNumber
from cards.models import Card
from cards.numbers import pan_digest, pan_parse
from cards.selectors import card_by_number, member_cards
from cards.services import card_issue_credit, card_issue_debit
from ledger.models import Account as LedgerAccount
from products.models import ProductType
from products.services import deposit_account_open
from tests.cards.conftest import MARIA_CREDIT_PAN, MARIA_DEBIT_PAN, new_pan


def test_it_issues_a_debit_card_on_the_members_savings_account(member, savings, debit_card):
    assert debit_card.kind == Card.Kind.DEBIT
    assert debit_card.member == member and debit_card.account == savings
    assert debit_card.status == Card.Status.ACTIVE
    assert debit_card.holder_name == "MARIA FERNANDA PEREZ ANDRADE"
    assert debit_card.revolving_account is None and debit_card.credit_limit is None


def test_a_card_number_is_shown_masked(debit_card, credit_card):
    assert debit_card.masked_number == "550975XXXXXX7023"
    assert credit_card.masked_number == "513744XXXXXX0395"
    assert str(credit_card) == "MASTERCARD Crédito 513744XXXXXX0395"
    assert repr(pan_parse(MARIA_CREDIT_PAN)) == "Pan(513744XXXXXX0395)"


def test_the_full_number_is_never_stored(debit_card, credit_card):
    """Not in the card rows, the ledger accounts' codes and names, nor the audit log."""
    tables = [m._meta.db_table for m in (Card, LedgerAccount, AuditEvent, LogEntry)]
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            dump = repr(cursor.fetchall())
            for pan in (MARIA_CREDIT_PAN, MARIA_DEBIT_PAN):
                assert pan not in dump, table
                assert pan[6:12] not in dump, table  # not even the hidden middle digits
    assert credit_card.pan_hmac == pan_digest(MARIA_CREDIT_PAN)
    assert len(credit_card.pan_hmac) == 64


def test_the_digest_is_keyed_by_the_settings_secret(settings):
    before = pan_digest(MARIA_CREDIT_PAN)
    settings.FIELD_ENCRYPTION_KEY = "another-secret-" + "x" * 40
    assert pan_digest(MARIA_CREDIT_PAN) != before


def test_a_card_is_found_by_its_number(debit_card, credit_card):
    assert card_by_number(pan="5137 4400 0006 0395") == credit_card
    assert card_by_number(pan=new_pan()) is None


def test_the_same_number_cannot_be_registered_twice(member, savings, debit_card):
    with pytest.raises(CardAlreadyIssued):
        card_issue_credit(
            member=member,
            brand=Card.Brand.MASTERCARD,
            pan=MARIA_DEBIT_PAN,
            credit_limit=Decimal("100.00"),
        )
    assert Card.objects.count() == 1
    assert not LedgerAccount.objects.filter(code__startswith="CARD-").exists()


@pytest.mark.parametrize(
    ("pan", "brand", "error"),
    [
        ("5137440000060396", Card.Brand.MASTERCARD, InvalidCardNumber),  # check digit
        ("513744000006039", Card.Brand.MASTERCARD, InvalidCardNumber),  # 15 digits
        ("5137440000O60395", Card.Brand.MASTERCARD, InvalidCardNumber),  # a letter
        ("5137440000060395", Card.Brand.VISA, BrandMismatch),
    ],
)
def test_a_wrong_number_is_refused(member, catalog, pan, brand, error):
    with pytest.raises(error):
        card_issue_credit(member=member, brand=brand, pan=pan, credit_limit=Decimal("100.00"))
    assert not Card.objects.exists()


def test_a_visa_number_is_accepted_as_visa(member, catalog):
    card = card_issue_credit(
        member=member, brand=Card.Brand.VISA, pan=new_pan("411111"), credit_limit=Decimal("50")
    )
    assert card.get_brand_display() == "VISA" and card.masked_number.startswith("411111XXXXXX")


def test_a_debit_card_needs_an_account_that_can_transact(member, catalog):
    certificate = deposit_account_open(
        member=member, product_type=ProductType.objects.get(code="CER")
    )
    with pytest.raises(CardTermsInvalid, match="no admite tarjeta de débito"):
        card_issue_debit(account=certificate, brand=Card.Brand.MASTERCARD, pan=new_pan())


def test_an_expired_expiry_date_is_refused(savings):
    with pytest.raises(CardTermsInvalid, match="vencimiento"):
        card_issue_debit(
            account=savings,
            brand=Card.Brand.MASTERCARD,
            pan=new_pan(),
            expiry_month=1,
            expiry_year=2020,
        )


def test_a_credit_card_opens_two_empty_receivables(credit_card):
    for receivable in (credit_card.revolving_account, credit_card.deferred_account):
        assert receivable.kind == LedgerAccount.Kind.ASSET
        assert receivable.normal_side == LedgerAccount.Side.DEBIT
        assert receivable.forbid_negative and receivable.balance == Decimal("0.00")
        assert "513744XXXXXX0395" in receivable.name
    assert credit_card.revolving_account.code.endswith("-ROT")
    assert credit_card.deferred_account.code.endswith("-DIF")
    assert credit_card.credit_limit == Decimal("500.00")
    assert credit_card.annual_rate == Decimal("0.156")
    assert credit_card.available_limit == Decimal("500.00")


def test_issuing_is_audited_with_the_reason_and_the_masked_number(member, credit_card):
    event = AuditEvent.objects.filter(event="staff_action").latest("seq")
    assert event.data["action"] == "card_issue"
    assert event.data["card"] == "513744XXXXXX0395"
    assert event.data["reason"] == "Aprobada por comité"
    assert event.user == member.user


def test_member_cards_lists_only_the_members_own_cards(
    member, other_member, debit_card, credit_card
):
    card_issue_credit(
        member=other_member, brand=Card.Brand.MASTERCARD, pan=new_pan(), credit_limit=Decimal(9)
    )
    assert member_cards(member=member) == [credit_card, debit_card]

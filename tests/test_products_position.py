"""The consolidated position shows the member's own accounts from the ledger."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cards.models import Card
from cards.services import card_issue_credit, card_issue_debit, card_purchase
from ledger.books import books_open
from products.catalog import product_types_load
from products.models import ProductType
from products.services import cash_deposit, cash_withdrawal, deposit_account_open


@pytest.fixture
def maria_accounts(member):
    books_open(currency="USD")
    product_types_load(cooperative_slug="cooprogreso")
    savings = deposit_account_open(member=member, product_type=ProductType.objects.get(code="AHO"))
    certificate = deposit_account_open(
        member=member, product_type=ProductType.objects.get(code="CER")
    )
    cash_deposit(account=savings, amount=Decimal("295.65"), key="d1")
    cash_deposit(account=certificate, amount=Decimal("432.90"), key="d2")
    return savings, certificate


def test_the_position_lists_accounts_with_their_balances(member_client, maria_accounts):
    savings, certificate = maria_accounts
    html = member_client.get("/posicion-consolidada/").content.decode()
    assert savings.number in html and certificate.number in html
    assert "CUENTA DE AHORROS" in html and "CERTIFICADOS DE APORTACIÓN" in html
    assert "$295.65" in html and "$432.90" in html
    assert "ACTIVA" in html


def test_a_joint_account_says_it_cannot_transact_and_each_row_names_its_cells(
    member_client, member, maria_accounts
):
    joint = deposit_account_open(
        member=member, product_type=ProductType.objects.get(code="AHO"), signature="joint"
    )
    html = member_client.get("/posicion-consolidada/").content.decode()
    assert (
        '<span class="badge" title="Las cuentas con firma conjunta no podrán transaccionar.">'
        "Firma conjunta</span>"
    ) in html
    assert html.count("Firma conjunta</span>") == 1
    assert f'aria-label="Ver movimientos de la cuenta {joint.number}"' in html
    assert f'aria-label="Compartir los datos de la cuenta {joint.number}"' in html
    assert html.count('data-label="Saldo disponible"') == 3  # a cell per account


def test_another_members_accounts_are_not_shown(member_client, other_member, maria_accounts):
    product_type = ProductType.objects.get(code="AHO")
    foreign = deposit_account_open(member=other_member, product_type=product_type)
    assert foreign.number not in member_client.get("/posicion-consolidada/").content.decode()


def test_the_position_query_count_does_not_grow_with_the_products(
    member_client, member, maria_accounts
):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            member_client.get("/posicion-consolidada/")
        return len(captured)

    queries()  # the first request also saves the session and caches the profile
    before = queries()
    # The session with its user and member, then accounts, loans, pólizas and cards.
    assert before == 5
    for n in range(5):
        account = deposit_account_open(
            member=member, product_type=ProductType.objects.get(code="CPC")
        )
        card_issue_debit(account=account, brand=Card.Brand.VISA, pan=_pan(f"4{n:05d}1"))
        credit = card_issue_credit(
            member=member,
            brand=Card.Brand.MASTERCARD,
            pan=_pan(f"5137{n:02d}2"),
            credit_limit=Decimal("500.00"),
        )
        card_purchase(card=credit, amount=Decimal("12.34"), description="POS", key=f"q{n}")
    html = member_client.get("/posicion-consolidada/").content.decode()
    assert html.count("XXXXXX") == 10 and "$12.34" in html
    assert queries() == before


def _pan(prefix: str) -> str:
    from stdnum import luhn

    body = prefix.ljust(15, "0")
    return body + luhn.calc_check_digit(body)


def test_account_numbers_are_twelve_digits_with_a_check_digit(maria_accounts):
    from stdnum import luhn

    for account in maria_accounts:
        assert len(account.number) == 12 and luhn.is_valid(account.number)


def test_branch_withdrawals_cannot_overdraw(maria_accounts):
    from ledger.exceptions import InsufficientFunds

    savings, _ = maria_accounts
    with pytest.raises(InsufficientFunds):
        cash_withdrawal(account=savings, amount=Decimal("295.66"), key="w1")
    cash_withdrawal(account=savings, amount=Decimal("5.50"), key="w2")
    savings.ledger_account.refresh_from_db()
    assert savings.ledger_account.balance == Decimal("290.15")


def test_joint_accounts_and_certificates_cannot_transact(maria_accounts, member):
    savings, certificate = maria_accounts
    joint = deposit_account_open(
        member=member, product_type=ProductType.objects.get(code="AHO"), signature="joint"
    )
    assert savings.can_transact
    assert not certificate.can_transact
    assert not joint.can_transact

"""A company's products go through the same services and owner-scoped selectors as a
person's: its accounts, movements, position, receipts and estado de cuenta, read with
``member=`` the company and no user anywhere — and no owner ever reads another's."""

from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.http import Http404
from django.utils import timezone

from cards.models import Card
from cards.selectors import member_cards
from cards.services import card_issue_debit
from ledger.selectors import movements
from ledger.services import booked_at
from products.documents import movements_pdf, movements_report
from products.models import DepositAccount, ProductType
from products.movements import MovementQuery
from products.position import member_position
from products.receipts import receipt_build
from products.selectors import (
    member_deposit_account,
    member_deposit_accounts,
    member_has_active_products,
    member_loans,
    member_term_deposits,
)
from products.services import cash_deposit, cash_withdrawal, deposit_account_open
from products.statements import statement_build, statement_pdf, statements_send
from tests.documents import pdf_text
from tests.factories import CompanyFactory


@pytest.fixture
def andina(db):
    return CompanyFactory(
        business_name="Comercial Andina S.A.",
        id_number="1792456134001",
        address="Av. República de El Salvador N34-183, Quito",
    )


@pytest.fixture
def last_month():
    """The month before this one: its 3rd and its 20th, at ten in the morning."""
    first = timezone.localdate().replace(day=1) - timedelta(days=1)
    first = first.replace(day=1)
    return first, [
        timezone.make_aware(datetime.combine(first.replace(day=day), time(10))) for day in (3, 20)
    ]


@pytest.fixture
def andina_savings(andina, catalog, last_month):
    """Andina's savings account: sales deposited and cash withdrawn at the window last
    month."""
    account = deposit_account_open(
        member=andina, product_type=ProductType.objects.get(code="AHO"), reason="Apertura"
    )
    deposited, withdrawn = last_month[1]
    with booked_at(deposited):
        cash_deposit(account=account, amount=Decimal("4250.00"), key="andina-sales")
    with booked_at(withdrawn):
        cash_withdrawal(account=account, amount=Decimal("1180.40"), key="andina-cash")
    account.ledger_account.refresh_from_db()
    return account


def test_an_account_opened_for_a_company_carries_its_business_name(andina_savings):
    ledger = andina_savings.ledger_account
    assert ledger.name == f"CUENTA DE AHORROS {andina_savings.number} · Comercial Andina S.A."
    assert ledger.balance == Decimal("3069.60")


def test_staff_open_a_companys_account_in_the_admin(client, staff_user, andina, catalog):
    client.force_login(staff_user)
    response = client.post(
        "/admin/products/depositaccount/add/",
        {
            "member": andina.pk,
            "product_type": ProductType.objects.get(code="AHO").pk,
            "signature": DepositAccount.Signature.JOINT,
            "reason": "Formulario de apertura firmado por el representante legal",
        },
    )
    assert response.status_code == 302, response.content.decode()
    account = DepositAccount.objects.get(member=andina)
    assert account.signature == DepositAccount.Signature.JOINT
    assert account.ledger_account.name.endswith("· Comercial Andina S.A.")
    found = client.get("/admin/products/depositaccount/", {"q": "andina"}).content.decode()
    assert account.number in found


def test_a_companys_accounts_and_movements_read_through_the_members_selectors(
    andina, andina_savings
):
    assert member_deposit_accounts(member=andina) == [andina_savings]
    assert member_deposit_account(member=andina, public_id=andina_savings.public_id) == (
        andina_savings
    )
    assert member_has_active_products(member=andina)
    assert (
        member_loans(member=andina, on=timezone.localdate()) == []
        and member_term_deposits(member=andina) == []
    )
    page = movements(account=andina_savings.ledger_account)
    assert [(m.description, m.amount) for m in page.items] == [
        ("RETIRO DE AHORROS", Decimal("-1180.40")),
        ("DEPÓSITO AHORROS", Decimal("4250.00")),
    ]


def test_one_owner_never_reads_anothers_accounts(andina, andina_savings, member, savings):
    other = CompanyFactory(business_name="Ferretería Los Andes", id_number="1793017827001")
    others_account = deposit_account_open(
        member=other, product_type=ProductType.objects.get(code="AHO")
    )
    assert member_deposit_accounts(member=other) == [others_account]
    assert member_deposit_accounts(member=member) == [savings]
    for owner, foreign in [
        (other, andina_savings),
        (member, andina_savings),
        (andina, others_account),
        (andina, savings),
    ]:
        with pytest.raises(Http404):
            member_deposit_account(member=owner, public_id=foreign.public_id)
    deposit = movements(account=andina_savings.ledger_account).items[-1]
    with pytest.raises(Http404):
        receipt_build(account=savings, posting_id=deposit.posting_id)


def test_a_companys_position_sections_show_its_cards_only(andina, andina_savings, member, savings):
    card_issue_debit(account=andina_savings, brand=Card.Brand.VISA, pan="4000001234567899")
    (template, section), *_ = member_position(member=andina, on=timezone.localdate()).sections
    assert template == "cards/_position.html"
    (card,) = section["debit_cards"]
    assert card.holder_name == "COMERCIAL ANDINA S.A." and card.account == andina_savings
    assert member_cards(member=member) == []
    assert (
        member_position(member=member, on=timezone.localdate()).sections[0][1]["debit_cards"] == []
    )


def test_a_companys_receipt_names_the_company(andina_savings):
    deposit = movements(account=andina_savings.ledger_account).items[-1]
    receipt = receipt_build(account=andina_savings, posting_id=deposit.posting_id)
    assert receipt.title == "NOTA DE CRÉDITO"
    assert receipt.beneficiary.startswith("Comercial Andina S.A. — CUENTA DE AHORROS *****")


def test_a_companys_monthly_statement_names_the_company_by_its_ruc(
    andina_savings, last_month, member
):
    month = last_month[0]
    statement = statement_build(account=andina_savings, year=month.year, month=month.month)
    assert (statement.opening, statement.credits, statement.debits, statement.closing) == (
        Decimal("0.00"),
        Decimal("4250.00"),
        Decimal("1180.40"),
        Decimal("3069.60"),
    )
    text = " ".join(pdf_text(statement_pdf(statement)).split())
    assert "COMERCIAL ANDINA S.A." in text
    assert "C.I./RUC: 1792456134001" in text
    assert andina_savings.number in text and "$3,069.60" in text
    assert member.last_names.upper() not in text


def test_a_companys_movements_pdf_names_the_company(andina_savings):
    report = movements_report(
        account=andina_savings, query=MovementQuery(None, None, None, "Últimos movimientos")
    )
    assert len(report.rows) == 2
    text = " ".join(pdf_text(movements_pdf(report, request=None)).split())
    assert "Socio Comercial Andina S.A." in text


def test_the_monthly_statement_e_mail_skips_a_company_without_a_portal_user(
    andina_savings, last_month
):
    month = last_month[0]
    assert statements_send(year=month.year, month=month.month) == 0

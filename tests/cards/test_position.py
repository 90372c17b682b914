"""The consolidated position shows the member's cards: credit cards with their figures,
debit cards with their account; amounts hide behind the eye icon."""

from datetime import date
from decimal import Decimal

import pytest

from cards.models import Card
from cards.services import card_issue_credit, card_purchase, card_set_status, card_statement_close
from tests.cards.conftest import MARIA_CREDIT_PAN, MARIA_DEBIT_PAN, new_pan

POSITION = "/posicion-consolidada/"


@pytest.fixture
def used_card(credit_card):
    card_purchase(card=credit_card, amount=Decimal("165.55"), description="KYWI", key="p1")
    return card_statement_close(card=credit_card, on=date(2026, 2, 8))


def test_the_position_shows_a_credit_card_with_its_figures(member_client, used_card):
    html = member_client.get(POSITION).content.decode()
    assert "Tarjetas de crédito" in html
    for column in (
        "Marca",
        "Utilizado rotativo",
        "Pago mínimo",
        "Fecha máx. de pago",
        "Utilizado diferido",
        "Cupo disponible",
    ):
        assert column in html
    assert "MASTERCARD" in html and "513744XXXXXX0395" in html
    assert "$165.55" in html  # utilizado rotativo
    assert "$16.56" in html  # pago mínimo
    assert "02/03/2026" in html  # fecha máx. de pago
    assert "$334.45" in html  # cupo disponible
    assert MARIA_CREDIT_PAN not in html


def test_the_position_shows_a_debit_card_with_its_account(member_client, savings, debit_card):
    html = member_client.get(POSITION).content.decode()
    assert "Tarjetas de débito" in html
    assert "550975XXXXXX7023" in html and MARIA_DEBIT_PAN not in html
    assert f"CUENTA DE AHORROS {savings.number}" in html
    assert "ACTIVA" in html


def test_the_eye_hides_card_amounts(member_client, member, used_card):
    member.user.hide_amounts = True
    member.user.save(update_fields=["hide_amounts"])
    html = member_client.get(POSITION).content.decode()
    assert "513744XXXXXX0395" in html
    for amount in ("$165.55", "$16.56", "$334.45", "$0.00"):
        assert amount not in html
    assert "****" in html


def test_another_members_cards_are_never_shown(member_client, other_member, catalog):
    card_issue_credit(
        member=other_member,
        brand=Card.Brand.VISA,
        pan="4111110000091111",
        credit_limit=Decimal("800.00"),
    )
    html = member_client.get(POSITION).content.decode()
    assert "411111XXXXXX1111" not in html and "Tarjetas de crédito" not in html


def test_a_blocked_card_says_so_and_a_cancelled_card_is_gone(member_client, member, catalog):
    blocked = card_issue_credit(
        member=member, brand=Card.Brand.MASTERCARD, pan=new_pan(), credit_limit=Decimal(100)
    )
    cancelled = card_issue_credit(
        member=member, brand=Card.Brand.MASTERCARD, pan=new_pan(), credit_limit=Decimal(100)
    )
    card_set_status(card=blocked, status=Card.Status.BLOCKED, reason="Pérdida")
    card_set_status(card=cancelled, status=Card.Status.CANCELLED, reason="Solicitud")
    html = member_client.get(POSITION).content.decode()
    assert blocked.masked_number in html and "BLOQUEADA" in html
    assert cancelled.masked_number not in html


def test_the_cards_reach_the_position_only_through_the_section_they_register(
    member_client, savings, debit_card, monkeypatch
):
    """Products imports no app above it: the card tables are the section cards registers
    (``products.position``), and without it the page shows none."""
    from products import position

    assert "Tarjetas de débito" in member_client.get(POSITION).content.decode()
    monkeypatch.setattr(position, "_sections", [])
    html = member_client.get(POSITION).content.decode()
    assert "Tarjetas de débito" not in html and "550975XXXXXX7023" not in html

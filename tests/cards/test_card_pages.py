"""Tarjetas: the member chooses credit or debit cards, opens a card's page with what can be
done with it, and finds the debit cards under their account's "Tarjeta débito" tab — only
their own cards, every number masked, in a fixed number of queries."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cards.models import Card
from cards.services import (
    card_issue_credit,
    card_issue_debit,
    card_purchase,
    card_set_status,
    card_statement_close,
)
from tests.cards.conftest import MARIA_CREDIT_PAN, MARIA_DEBIT_PAN, issue_credit, new_pan
from tests.test_shell import marked

INDEX = "/tarjetas/"


def page(path: str) -> str:
    return f"/tarjetas/{path}"


@pytest.fixture
def used_card(credit_card):
    for n, (description, amount) in enumerate(
        [("SANA SANA N59 ANGEL LUDENA", "13.24"), ("SUPERMAXI SAN CARLOS", "86.40")]
    ):
        card_purchase(
            card=credit_card, amount=Decimal(amount), description=description, key=f"p{n}"
        )
    return card_statement_close(card=credit_card, on=date(2026, 11, 20))


def test_the_menu_leads_to_tarjetas_and_marks_it(member_client, used_card):
    html = member_client.get(INDEX).content.decode()
    assert marked(html) == [("Tarjetas Cooprogreso", "page")]  # the menu, as the manual
    assert "Tarjetas Cooprogreso" in html
    detail = member_client.get(page(f"{used_card.public_id}/")).content.decode()
    assert marked(detail) == [("Tarjetas Cooprogreso", "true")]


def test_the_credit_cards_show_their_figures_and_latest_purchases(member_client, used_card):
    html = member_client.get(INDEX).content.decode()
    for label in (
        "Tarjeta de crédito",
        "Tarjetas de débito",
        "Consumo hasta la fecha",
        "Cupo total",
        "Disponibles",
        "Pago mínimo",
        "Pagar hasta el",
        "Utilizado rotativo",
        "Utilizado diferido",
        "Últimos consumos",
    ):
        assert label in html, label
    assert "MASTERCARD 513744XXXXXX0395" in html
    assert "$99.64" in html  # consumo hasta la fecha
    assert "$500.00" in html and "$400.36" in html  # cupo total, disponibles
    assert "$9.96" in html  # pago mínimo: 10 % of 99.64
    assert "10/12/2026" in html  # pagar hasta el: 20 Nov + 20 days
    assert "SANA SANA N59 ANGEL LUDENA" in html and "$13.24" in html
    assert MARIA_CREDIT_PAN not in html


def test_only_the_five_latest_purchases_show_on_the_list(member_client, credit_card):
    for n in range(7):
        card_purchase(
            card=credit_card, amount=Decimal("1.00"), description=f"TIENDA {n}", key=f"t{n}"
        )
    html = member_client.get(INDEX).content.decode()
    assert all(f"TIENDA {n}<" in html for n in range(2, 7))
    assert "TIENDA 0<" not in html and "TIENDA 1<" not in html


def test_the_debit_cards_show_brand_number_status_expiry_and_holder(
    member_client, savings, debit_card
):
    html = member_client.get(INDEX, {"ver": "debito"}).content.decode()
    for label in ("Marca", "Número", "Estado", "Fecha de vencimiento", "Titular"):
        assert label in html
    assert "MASTERCARD" in html and "550975XXXXXX7023" in html and "ACTIVA" in html
    assert debit_card.expiry in html and "MARIA FERNANDA PEREZ ANDRADE" in html
    assert f"/tarjetas/{debit_card.public_id}/" in html
    assert MARIA_DEBIT_PAN not in html


def test_a_member_with_only_debit_cards_sees_them_first(member_client, savings, debit_card):
    html = member_client.get(INDEX).content.decode()
    assert '<a href="?ver=debito" aria-current="page">' in html
    assert "550975XXXXXX7023" in html


def test_a_member_without_cards_is_told_so(member_client, member):
    html = member_client.get(INDEX).content.decode()
    assert "No tienes tarjetas de crédito." in html
    assert (
        "No tienes tarjetas de débito."
        in member_client.get(INDEX, {"ver": "debito"}).content.decode()
    )


def test_the_eye_hides_the_card_amounts(member_client, member, used_card):
    member.user.hide_amounts = True
    member.user.save(update_fields=["hide_amounts"])
    for url in (INDEX, page(f"{used_card.public_id}/")):
        html = member_client.get(url).content.decode()
        assert "513744XXXXXX0395" in html and "****" in html
        assert "$99.64" not in html and "$13.24" not in html


def test_a_credit_cards_page_shows_its_figures_purchases_and_statements(member_client, used_card):
    html = member_client.get(page(f"{used_card.public_id}/")).content.decode()
    assert "Tarjeta de Crédito" in html and "MASTERCARD Crédito 513744XXXXXX0395" in html
    assert "MARIA FERNANDA PEREZ ANDRADE" in html and used_card.expiry in html
    assert "Consumo hasta la fecha" in html and "$99.64" in html
    assert "SUPERMAXI SAN CARLOS" in html
    assert "Extracto de tarjeta" in html and "20/11/2026" in html
    statement = used_card.statements.get()
    assert f"/tarjetas/{used_card.public_id}/extractos/{statement.public_id}/" in html
    assert (
        "Bloqueo temporal" in html and f"/tarjetas/{used_card.public_id}/bloqueo-temporal/" in html
    )
    assert MARIA_CREDIT_PAN not in html


def test_a_debit_cards_page_shows_its_account(member_client, savings, debit_card):
    html = member_client.get(page(f"{debit_card.public_id}/")).content.decode()
    assert "Tarjeta débito" in html and "MASTERCARD Débito 550975XXXXXX7023" in html
    assert f"CUENTA DE AHORROS {savings.number}" in html
    assert "Extracto de tarjeta" not in html
    assert MARIA_DEBIT_PAN not in html


# --- The actions: shown once the pages that do them exist --------------------------------


def test_a_credit_card_offers_every_action(member_client, credit_card):
    html = member_client.get(page(f"{credit_card.public_id}/")).content.decode()
    card = credit_card.public_id
    assert f'href="/tarjetas/{card}/cambiar-clave/">Cambiar clave<' in html
    assert f'href="/tarjetas/{card}/recuperar-clave/">Recuperar clave<' in html
    assert f'href="/pago-tarjetas/?tarjeta={card}">Pagar tarjeta<' in html
    assert f'href="/tarjetas/diferir/?tarjeta={card}">Diferir consumos<' in html


def test_a_debit_card_is_never_paid_or_deferred(member_client, debit_card):
    html = member_client.get(page(f"{debit_card.public_id}/")).content.decode()
    assert "Cambiar clave" in html
    assert "Pagar tarjeta" not in html and "Diferir consumos" not in html


def test_a_card_the_cooperative_blocked_can_only_be_paid(member_client, credit_card):
    card_set_status(card=credit_card, status=Card.Status.BLOCKED, reason="Robo")
    html = member_client.get(page(f"{credit_card.public_id}/")).content.decode()
    assert "Pagar tarjeta" in html
    assert "Cambiar clave" not in html and "Bloqueo temporal" not in html
    assert "La cooperativa bloqueó esta tarjeta" in html and "BLOQUEADA" in html


# --- The account's "Tarjeta débito" tab ---------------------------------------------------


def test_the_account_detail_has_a_debit_card_tab(member_client, savings, debit_card):
    account = f"/cuentas/{savings.public_id}/"
    movements = member_client.get(account).content.decode()
    assert "Últimos Movimientos" in movements and "?vista=tarjeta-debito" in movements
    html = member_client.get(account, {"vista": "tarjeta-debito"}).content.decode()
    assert "Tarjeta débito" in html and "MASTERCARD Débito" in html
    assert "550975XXXXXX7023" in html and "ACTIVA" in html
    assert f"/tarjetas/{debit_card.public_id}/" in html
    assert "Movimientos ·" not in html  # the tab instead of the movements
    assert MARIA_DEBIT_PAN not in html


def test_an_account_without_a_debit_card_says_so(member_client, member, savings, debit_card):
    from products.models import ProductType
    from products.services import deposit_account_open

    other = deposit_account_open(member=member, product_type=ProductType.objects.get(code="AHO"))
    html = member_client.get(f"/cuentas/{other.public_id}/", {"vista": "tarjeta-debito"})
    assert "Esta cuenta no tiene tarjeta de débito." in html.content.decode()
    assert "550975XXXXXX7023" not in html.content.decode()


def test_the_tab_reaches_the_account_page_only_through_the_registry(
    member_client, savings, debit_card, monkeypatch
):
    """Products imports no app above it: the tab is the one cards registers
    (``products.account_tabs``), and without it the page shows none."""
    from products import account_tabs

    monkeypatch.setattr(account_tabs, "_tabs", [])
    html = member_client.get(f"/cuentas/{savings.public_id}/", {"vista": "tarjeta-debito"})
    assert "550975XXXXXX7023" not in html.content.decode()
    assert "Tarjeta débito" not in html.content.decode()


# --- Only one's own cards -------------------------------------------------------------------


def test_another_members_cards_answer_404(client, other_member, savings, debit_card, used_card):
    client.force_login(other_member.user)
    statement = used_card.statements.get()
    for card in (debit_card, used_card):
        for suffix in ("", "bloqueo-temporal/", "desbloquear/"):
            assert client.get(page(f"{card.public_id}/{suffix}")).status_code == 404, suffix
        assert (
            client.post(page(f"{card.public_id}/bloqueo-temporal/"), {"step": "form"}).status_code
            == 404
        )
    assert (
        client.get(page(f"{used_card.public_id}/extractos/{statement.public_id}/")).status_code
        == 404
    )
    html = client.get(INDEX).content.decode()
    assert "513744XXXXXX0395" not in html and "550975XXXXXX7023" not in html
    account = client.get(f"/cuentas/{savings.public_id}/", {"vista": "tarjeta-debito"})
    assert account.status_code == 404


def test_a_cancelled_card_leaves_the_list(member_client, member, catalog):
    card = card_issue_credit(
        member=member, brand=Card.Brand.MASTERCARD, pan=new_pan(), credit_limit=Decimal(100)
    )
    card_set_status(card=card, status=Card.Status.CANCELLED, reason="Solicitud")
    assert card.masked_number not in member_client.get(INDEX).content.decode()


# --- No query per card ------------------------------------------------------------------


def count(client, url, **params) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, params).status_code == 200
    return len(captured)


def test_the_lists_query_count_does_not_grow_with_the_cards(
    member_client, member, savings, debit_card, credit_card
):
    # The first request of each page also saves the session and fills the caches.
    count(member_client, INDEX)
    count(member_client, f"/cuentas/{savings.public_id}/", vista="tarjeta-debito")
    before = (count(member_client, INDEX), count(member_client, INDEX, ver="debito"))
    account_before = count(member_client, f"/cuentas/{savings.public_id}/", vista="tarjeta-debito")
    for n in range(4):
        card = issue_credit(member)
        for m in range(3):
            card_purchase(card=card, amount=Decimal("2.50"), description="POS", key=f"q{n}{m}")
        card_issue_debit(account=savings, brand=Card.Brand.VISA, pan=new_pan("411111"))
    html = member_client.get(INDEX).content.decode()
    assert html.count("Últimos consumos") == 5 and "$7.50" in html
    assert (count(member_client, INDEX), count(member_client, INDEX, ver="debito")) == before
    assert (
        count(member_client, f"/cuentas/{savings.public_id}/", vista="tarjeta-debito")
        == account_before
    )


def test_a_cards_page_reads_in_a_fixed_number_of_queries(member_client, used_card):
    url = page(f"{used_card.public_id}/")
    count(member_client, url)
    before = count(member_client, url)
    for n in range(5):
        card_purchase(card=used_card, amount=Decimal("1.00"), description="POS", key=f"m{n}")
    assert count(member_client, url) == before

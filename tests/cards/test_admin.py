"""Branch staff register cards and block, reactivate or cancel them in the admin, each
with a reason in the audit log; the full number is typed once and never shown back."""

from decimal import Decimal

import pytest

from accounts.models import AuditEvent
from cards.models import Card
from cards.services import card_purchase
from ledger.models import Account as LedgerAccount
from tests.cards.conftest import MARIA_CREDIT_PAN, MARIA_DEBIT_PAN, new_pan

ADD = "/admin/cards/card/add/"
LIST = "/admin/cards/card/"


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


def test_staff_issue_a_debit_card_for_an_account(staff_client, staff_user, member, savings):
    form = staff_client.get(ADD).content.decode()
    assert "Número de tarjeta" in form and "Cuenta vinculada" in form and "Motivo" in form
    response = staff_client.post(
        ADD,
        {
            "member": member.pk,
            "kind": "debit",
            "brand": "mastercard",
            "pan": "5509 7500 0003 7023",
            "account": savings.number,
            "reason": "Entrega en agencia",
        },
        follow=True,
    )
    assert response.status_code == 200
    card = Card.objects.get()
    assert (card.kind, card.account, card.masked_number) == ("debit", savings, "550975XXXXXX7023")
    html = response.content.decode()
    assert "550975XXXXXX7023" in html and MARIA_DEBIT_PAN not in html
    event = AuditEvent.objects.filter(event="staff_action").latest("seq")
    assert event.actor == staff_user and event.data["reason"] == "Entrega en agencia"


def test_staff_issue_a_credit_card_with_a_limit(staff_client, member, catalog):
    staff_client.post(
        ADD,
        {
            "member": member.pk,
            "kind": "credit",
            "brand": "mastercard",
            "pan": MARIA_CREDIT_PAN,
            "credit_limit": "2500.00",
            "expiry_month": "8",
            "expiry_year": "2031",
            "reason": "Aprobada por comité de crédito",
        },
    )
    card = Card.objects.get()
    assert card.credit_limit == Decimal("2500.00") and card.expiry == "08/31"
    assert card.revolving_account.kind == LedgerAccount.Kind.ASSET
    detail = staff_client.get(f"{LIST}{card.pk}/change/").content.decode()
    assert "513744XXXXXX0395" in detail
    assert MARIA_CREDIT_PAN not in detail and card.pan_hmac not in detail


def test_a_refused_form_does_not_show_the_number_again(staff_client, member, savings):
    response = staff_client.post(
        ADD,
        {
            "member": member.pk,
            "kind": "debit",
            "brand": "visa",  # the number is a MASTERCARD
            "pan": MARIA_DEBIT_PAN,
            "account": savings.number,
            "reason": "x",
        },
    )
    html = response.content.decode()
    assert "no corresponde a la marca seleccionada" in html
    assert MARIA_DEBIT_PAN not in html
    assert not Card.objects.exists()


def test_staff_cannot_link_another_members_account(staff_client, other_member, savings):
    staff_client.post(
        ADD,
        {
            "member": other_member.pk,
            "kind": "debit",
            "brand": "mastercard",
            "pan": new_pan("550975"),
            "account": savings.number,
            "reason": "x",
        },
    )
    assert not Card.objects.exists()


def test_a_number_already_registered_is_refused(staff_client, member, debit_card):
    response = staff_client.post(
        ADD,
        {
            "member": member.pk,
            "kind": "credit",
            "brand": "mastercard",
            "pan": MARIA_DEBIT_PAN,
            "credit_limit": "100",
            "reason": "x",
        },
    )
    assert "Esta tarjeta ya está registrada" in response.content.decode()
    assert Card.objects.count() == 1


def _act(staff_client, action, card, reason=None):
    data = {"action": action, "_selected_action": [card.pk]}
    if reason is not None:
        data["reason"] = reason
    return staff_client.post(LIST, data, follow=True)


def test_blocking_asks_for_a_reason_and_audits_it(staff_client, staff_user, credit_card):
    asked = _act(staff_client, "block", credit_card)
    assert "Motivo" in asked.content.decode()
    credit_card.refresh_from_db()
    assert credit_card.status == Card.Status.ACTIVE

    _act(staff_client, "block", credit_card, "Reporte de pérdida por el socio")
    credit_card.refresh_from_db()
    assert credit_card.status == Card.Status.BLOCKED
    event = AuditEvent.objects.filter(event="staff_action").latest("seq")
    assert event.actor == staff_user
    assert event.data == {
        "action": "card_block",
        "card": "513744XXXXXX0395",
        "previous": "active",
        "reason": "Reporte de pérdida por el socio",
    }

    _act(staff_client, "activate", credit_card, "Tarjeta recuperada")
    credit_card.refresh_from_db()
    assert credit_card.status == Card.Status.ACTIVE
    assert AuditEvent.objects.latest("seq").data["action"] == "card_activate"


def test_a_credit_card_with_a_balance_cannot_be_cancelled(staff_client, credit_card):
    card_purchase(card=credit_card, amount=Decimal("10.00"), description="X", key="p1")
    response = _act(staff_client, "cancel", credit_card, "Solicitud del socio")
    assert "tiene saldo pendiente" in response.content.decode()
    credit_card.refresh_from_db()
    assert credit_card.status == Card.Status.ACTIVE


def test_cancelling_closes_the_receivables_and_is_final(staff_client, credit_card):
    _act(staff_client, "cancel", credit_card, "Solicitud del socio")
    credit_card.refresh_from_db()
    assert credit_card.status == Card.Status.CANCELLED
    credit_card.revolving_account.refresh_from_db()
    assert credit_card.revolving_account.status == LedgerAccount.Status.CLOSED
    response = _act(staff_client, "activate", credit_card, "Error")
    assert "ya no puede cambiar de estado" in response.content.decode()
    credit_card.refresh_from_db()
    assert credit_card.status == Card.Status.CANCELLED


def test_the_list_shows_masked_numbers_only(staff_client, debit_card, credit_card):
    html = staff_client.get(LIST).content.decode()
    assert "550975XXXXXX7023" in html and "513744XXXXXX0395" in html
    assert MARIA_CREDIT_PAN not in html and credit_card.pan_hmac not in html


def test_cards_cannot_be_deleted(staff_client, credit_card):
    staff_client.post(f"{LIST}{credit_card.pk}/delete/", {"post": "yes"})
    assert Card.objects.filter(pk=credit_card.pk).exists()

"""Pago de tarjetas: paying a card of the cooperative from one's account — at once, through
the ledger, never more than the card owes — and another bank's card through the interbank
rail, settled by the beat (accepted, or rejected and returned with its fee)."""

from datetime import date
from decimal import Decimal

import pytest
from django.core import mail
from django.db.models import Sum

from accounts.models import Operation
from accounts.operations import Actor, operation_prepare
from accounts.tasks import execute_operation
from cards.models import Card, CardPayment
from cards.payees import COOPERATIVE, card_payee_add
from cards.payment_operations import card_payment_kind
from cards.payments import (
    AmountOverDue,
    CardPaymentOrder,
    NothingDue,
    PaymentNotEnoughFunds,
    card_payment_execute,
    card_payment_figures,
)
from cards.services import card_purchase, card_set_status, card_statement_close
from ledger.exceptions import IdempotencyConflict
from ledger.models import Journal, Kind, Posting
from products.models import ProductType
from products.services import cash_deposit, deposit_account_open
from tests.auth import last_code, op_id
from tests.cards.conftest import issue_credit, new_pan, refreshed
from transfers.catalog import transfer_catalog_load

D = Decimal
PAY = "/pago-tarjetas/pagar/"
MASKED = "513744XXXXXX0395"


@pytest.fixture(autouse=True)
def institutions(catalog):
    transfer_catalog_load(cooperative_slug="cooprogreso")


@pytest.fixture
def owing(credit_card):
    """María's card with $200.00 of purchases and a statement: minimum $20.00."""
    card_purchase(card=credit_card, amount=D("120.00"), description="SUPERMAXI", key="p1")
    card_purchase(card=credit_card, amount=D("80.00"), description="FYBECA", key="p2")
    card_statement_close(card=credit_card, on=date.today())
    return refreshed(credit_card)


def balance(account) -> Decimal:
    account.ledger_account.refresh_from_db()
    return account.ledger_account.balance


def pay(member, savings, card, amount, key, **kw) -> CardPayment:
    order = CardPaymentOrder(origin=savings, amount=D(amount), card=card, **kw)
    return card_payment_execute(member=member, order=order, key=key)


def journal_balances(journal: Journal) -> bool:
    return Posting.objects.filter(journal=journal).aggregate(s=Sum("amount_minor"))["s"] == 0


def submit(client, url=PAY, **data):
    return client.post(url, {"step": "form", "motivo": "", "monto": "", "pago": "otro", **data})


def confirm(client, step, url=PAY):
    return client.post(url, {"step": "confirm", "op": op_id(step), "answer": last_code()})


# --- an own card of the cooperative --------------------------------------------------------


def test_the_card_page_link_opens_the_payment_of_that_card(member_client, owing):
    response = member_client.get(f"/pago-tarjetas/?tarjeta={owing.public_id}")
    assert response.status_code == 302
    assert response["Location"] == f"{PAY}?tarjeta={owing.public_id}"
    html = member_client.get(response["Location"]).content.decode()
    assert "Pago de tarjetas" in html and "Cuenta de origen" in html
    assert f'<option value="{owing.public_id}" selected>' in html
    assert "Pago mínimo" in html and "$20.00" in html and "$200.00" in html
    assert "Ingresa el monto a pagar" in html and "Motivo (Opcional)" in html


def test_the_member_pays_the_minimum_of_their_card_with_the_code(
    member_client, member, savings, owing
):
    step = submit(
        member_client,
        f"{PAY}?tarjeta={owing.public_id}",
        origen=savings.public_id,
        tarjeta=owing.public_id,
        pago="minimo",
        motivo="Pago noviembre",
    )
    review = step.content.decode()
    assert "Confirmar pago" in review
    assert "Monto a pagar" in review and "$20.00" in review and MASKED in review
    assert "Comisión" in review and "$0.00" in review and "Pago noviembre" in review
    done = confirm(member_client, step, f"{PAY}?tarjeta={owing.public_id}").content.decode()
    assert "¡Pago exitoso!" in done and "Comprobante N.º" in done
    for action in ("Descargar", "Compartir", "Regresar al inicio"):
        assert action in done
    assert f"Tarjeta {MASKED}" in done  # the receipt names the card, masked
    payment = CardPayment.objects.get()
    assert (payment.amount, payment.status, payment.commission) == (D("20.00"), "done", D("0"))
    assert payment.journal.kind == Kind.CARD_PAYMENT and journal_balances(payment.journal)
    card = refreshed(owing)
    assert card.revolving_used == D("180.00") and card.available_limit == D("320.00")
    assert balance(savings) == D("480.00")
    assert "Pagaste $20.00 a la tarjeta 513744XXXXXX0395" in mail.outbox[-1].body
    # what is left to pay after it
    figures = card_payment_figures(card)
    assert (figures.minimum, figures.total, figures.due) == (D("0.00"), D("180.00"), D("180.00"))


def test_total_pays_the_statement_less_what_was_paid_since(member, savings, owing):
    pay(member, savings, owing, "50.00", "first")
    card_purchase(card=owing, amount=D("30.00"), description="KFC", key="p3")  # after the cut
    figures = card_payment_figures(refreshed(owing))
    assert (figures.minimum, figures.total, figures.due) == (D("0.00"), D("150.00"), D("180.00"))


def test_the_total_shortcut_through_a_worker(member, savings, owing):
    operation = operation_prepare(
        kind=card_payment_kind,
        actor=Actor(user=None, owner=member, channel="system"),
        data={"origen": str(savings.public_id), "tarjeta": str(owing.public_id), "pago": "total"},
    )
    execute_operation(operation.pk)
    operation.refresh_from_db()
    assert operation.state == Operation.State.EXECUTED
    assert refreshed(owing).revolving_used == D("0.00")
    assert balance(savings) == D("300.00")


def test_more_than_the_card_owes_is_refused_with_nothing_written(
    member_client, member, savings, owing
):
    page = submit(
        member_client, origen=savings.public_id, tarjeta=owing.public_id, monto="200.01"
    ).content.decode()
    assert "El monto supera lo que debes en la tarjeta: puedes pagar hasta $200.00." in page
    with pytest.raises(AmountOverDue):
        pay(member, savings, owing, "200.01", "k")
    assert not CardPayment.objects.exists()
    assert refreshed(owing).revolving_used == D("200.00") and balance(savings) == D("500.00")


def test_a_card_that_owes_nothing_is_refused(member, savings, credit_card):
    with pytest.raises(NothingDue):
        pay(member, savings, credit_card, "1.00", "k")


def test_a_shortcut_with_nothing_pending_asks_for_the_amount(member_client, savings, credit_card):
    card_purchase(card=credit_card, amount=D("10.00"), description="KFC", key="p1")  # no cut yet
    page = submit(
        member_client, origen=savings.public_id, tarjeta=credit_card.public_id, pago="minimo"
    ).content.decode()
    assert "No tienes pago mínimo pendiente en esta tarjeta" in page


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("-5", "El monto a pagar debe ser mayor a cero."),
        ("0", "El monto debe ser mayor a cero."),
        ("", "Ingresa el monto a pagar."),
        ("1.005", "decimales"),
    ],
)
def test_the_amount_is_checked(member_client, savings, owing, typed, message):
    page = submit(
        member_client, origen=savings.public_id, tarjeta=owing.public_id, monto=typed
    ).content.decode()
    assert message in page
    assert not Operation.objects.filter(state=Operation.State.AWAITING_CODE).exists()


def test_more_than_the_origin_has_is_refused(member, catalog, owing):
    poor = deposit_account_open(member=member, product_type=ProductType.objects.get(code="AHO"))
    cash_deposit(account=poor, amount=D("10.00"), key="poor")
    with pytest.raises(PaymentNotEnoughFunds) as refused:
        pay(member, poor, owing, "10.01", "k")
    assert "el total a debitar es $10.01 y tu saldo disponible es $10.00" in refused.value.message
    assert not CardPayment.objects.exists()


def test_a_replayed_key_pays_once(member, savings, owing):
    first = pay(member, savings, owing, "25.00", "same")
    again = pay(member, savings, owing, "25.00", "same")
    assert again.pk == first.pk
    assert CardPayment.objects.count() == 1
    assert Journal.objects.filter(kind=Kind.CARD_PAYMENT).count() == 1
    assert refreshed(owing).revolving_used == D("175.00")
    with pytest.raises(IdempotencyConflict):
        pay(member, savings, owing, "26.00", "same")


def test_a_card_the_cooperative_blocked_can_still_be_paid(member, savings, owing):
    card_set_status(card=owing, status=Card.Status.BLOCKED, reason="Reporte de robo")
    pay(member, savings, owing, "10.00", "k")
    assert refreshed(owing).revolving_used == D("190.00")


def test_the_payment_is_a_credit_of_the_next_statement(member, savings, owing):
    pay(member, savings, owing, "60.00", "k")
    from datetime import timedelta

    statement = card_statement_close(card=owing, on=date.today() + timedelta(days=32))
    latest = statement.statements.order_by("-statement_date").first()
    assert (latest.opening, latest.credits, latest.closing) == (
        D("200.00"),
        D("60.00"),
        D("140.00"),
    )


def test_another_members_card_is_not_offered(member_client, savings, other_member):
    card = issue_credit(other_member)
    card_purchase(card=card, amount=D("50.00"), description="KFC", key="g1")
    page = submit(
        member_client, origen=savings.public_id, tarjeta=card.public_id, monto="5.00"
    ).content.decode()
    assert "Selecciona una tarjeta de tu lista." in page
    assert member_client.get(f"{PAY}?tarjeta={card.public_id}").status_code == 200
    assert not CardPayment.objects.exists()


def test_another_members_card_registered_is_paid_without_showing_its_figures(
    member_client, member, savings, other_member
):
    pan = new_pan()
    card = issue_credit(other_member, pan=pan)
    card_purchase(card=card, amount=D("50.00"), description="KFC", key="g1")
    payee = card_payee_add(
        member=member,
        institution=COOPERATIVE,
        pan=pan,
        id_type="cedula",
        id_number=other_member.id_number,
    )
    html = member_client.get(f"{PAY}?tarjeta={payee.public_id}").content.decode()
    assert "$50.00" not in html  # another member's figures are not shown
    page = submit(
        member_client, origen=savings.public_id, tarjeta=payee.public_id, monto="50.01"
    ).content.decode()
    assert "El monto supera el valor pendiente de pago de la tarjeta." in page
    assert "$50.00" not in page
    payment = pay(member, savings, card, "30.00", "k", payee=payee)
    assert payment.payee == payee and refreshed(card).revolving_used == D("20.00")

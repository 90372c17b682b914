"""Pago de tarjetas: paying a card of the cooperative from one's account — at once, through
the ledger, never more than the card owes — and another bank's card through the interbank
rail, settled by the beat (accepted, or rejected and returned with its fee)."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.db.models import Sum
from django.test import TestCase

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
from ledger.models import Journal, Kind, Posting, Tariff
from ledger.selectors import book_balance
from products.models import ProductType
from products.services import cash_deposit, deposit_account_open
from tests.auth import last_code, op_id
from tests.cards.conftest import issue_credit, new_pan, refreshed
from transfers.catalog import transfer_catalog_load
from transfers.models import SettlementBatch
from transfers.network import ItemResult, SimulatedNetwork
from transfers.settlement import batch_file_parse, settlement_run

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


# --- another bank's card: the interbank rail ---------------------------------------------------

GYE = ZoneInfo("America/Guayaquil")
TUESDAY_10 = datetime(2026, 11, 24, 10, 0, tzinfo=GYE)
OTHER_PAN = "4111111111111111"
OTHER_MASKED = "411111XXXXXX1111"


@pytest.fixture
def spi_tariff(db):
    Tariff.objects.create(
        code=Tariff.Code.CARD_PAYMENT_INTERBANK,
        valid_from=date(2024, 4, 1),
        commission=D("0.36"),
        iva_rate=D("0.15"),
        commission_description="COSTO TRANSFERENCIA / PAGO TARJETAS SPI",
        iva_description="IVA TRANSFERENCIA / PAGO TARJETAS SPI",
    )


@pytest.fixture
def ana(member, spi_tariff):
    """Another bank's card María registered: Ana's VISA at Banco Pichincha."""
    return card_payee_add(
        member=member,
        institution="0010",
        pan=OTHER_PAN,
        id_type="cedula",
        id_number="1710034065",
        name="Ana Lucía Torres",
        email="ana@example.com",
    )


def pay_other(member, savings, payee, amount="20.00", key="other"):
    order = CardPaymentOrder(origin=savings, amount=D(amount), payee=payee, motive="Pago compras")
    with TestCase.captureOnCommitCallbacks(execute=True):
        return card_payment_execute(member=member, order=order, key=key)


def run(network=None):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return settlement_run(network=network or SimulatedNetwork())


class Recording(SimulatedNetwork):
    """The simulator, keeping what it was sent and rejecting the references asked."""

    def __init__(self, reject=()):
        self.received = []
        self.reject = set(reject)

    def send(self, *, batch_number, content):
        self.received.append(content)
        return super().send(batch_number=batch_number, content=content)

    def results(self, *, batch_number, content):
        return [
            ItemResult(r.reference, False, reason="TARJETA CANCELADA")
            if r.reference in self.reject
            else r
            for r in super().results(batch_number=batch_number, content=content)
        ]


def test_another_banks_card_is_paid_with_commission_iva_and_the_cutoff_note(
    member_client, member, savings, ana
):
    with time_machine.travel(TUESDAY_10):
        html = member_client.get(f"{PAY}?tarjeta={ana.public_id}").content.decode()
        assert "Nota importante" in html and "15h00" in html
        step = submit(member_client, origen=savings.public_id, tarjeta=ana.public_id, monto="20.00")
        review = step.content.decode()
        for text in ("$20.00", "$0.36", "$0.05", "$20.41", "BANCO PICHINCHA", OTHER_MASKED):
            assert text in review, text
        assert "Fecha de proceso" in review and "24/11/2026" in review
        assert "se procesará el" not in review  # before the cut-off: today
        done = confirm(member_client, step).content.decode()
    assert "¡Pago exitoso!" in done and "Por enviar" in done
    payment = CardPayment.objects.get()
    assert (payment.status, payment.commission, payment.iva) == ("pending", D("0.36"), D("0.05"))
    assert balance(savings) == D("500.00") - D("20.41")
    assert book_balance("SPI_CLEARING", "USD") == D("20.00")
    assert journal_balances(payment.journal)
    assert {p.description for p in payment.journal.postings.all()} >= {
        "COSTO TRANSFERENCIA / PAGO TARJETAS SPI",
        "IVA TRANSFERENCIA / PAGO TARJETAS SPI",
    }
    bodies = [m.body for m in mail.outbox]
    assert any("Pagaste $20.00 a la tarjeta 411111XXXXXX1111" in b for b in bodies)
    assert any("pagó $20.00 a tu tarjeta 411111XXXXXX1111" in b for b in bodies)  # to Ana


def test_after_the_cutoff_it_is_processed_the_next_business_day(member_client, savings, ana):
    with time_machine.travel(datetime(2026, 11, 27, 16, 0, tzinfo=GYE)):  # Friday, 16:00
        step = submit(member_client, origen=savings.public_id, tarjeta=ana.public_id, monto="5")
        review = step.content.decode()
        assert "se procesará el siguiente día laborable: se procesará el 30/11/2026" in review
        done = confirm(member_client, step).content.decode()
    assert "30/11/2026" in done
    assert CardPayment.objects.get().value_date == date(2026, 11, 30)
    with time_machine.travel(datetime(2026, 11, 28, 10, 0, tzinfo=GYE)):  # Saturday
        assert run().prepared == 0
    with time_machine.travel(datetime(2026, 11, 30, 8, 0, tzinfo=GYE)):  # Monday
        assert run().prepared == 1
    assert CardPayment.objects.get().status == CardPayment.Status.SETTLED


def test_the_beat_settles_it_in_the_same_batch_as_the_transfers(member, savings, ana):
    from transfers.tasks import settle_interbank_transfers

    with time_machine.travel(TUESDAY_10):
        payment = pay_other(member, savings, ana)
        transfer = _interbank_transfer(member, savings)
    with (
        time_machine.travel(TUESDAY_10.replace(minute=5)),
        TestCase.captureOnCommitCallbacks(execute=True),
    ):
        assert settle_interbank_transfers.apply().get() == {"prepared": 1, "sent": 1, "closed": 1}
    payment.refresh_from_db(), transfer.refresh_from_db()
    assert payment.status == CardPayment.Status.SETTLED and transfer.status == "settled"
    assert payment.network_reference.startswith("SPI")
    assert book_balance("SPI_CLEARING", "USD") == D("0.00")
    assert book_balance("CENTRAL_BANK", "USD") == D("-26.00")
    batch = SettlementBatch.objects.get()
    assert batch.status == SettlementBatch.Status.DONE and payment.batch_number == batch.number
    items = batch_file_parse(batch.file).items
    assert [(i.reference, i.account_type) for i in items] == [
        (transfer.public_id.hex, "AHO"),
        (payment.public_id.hex, "TAR"),
    ]
    assert items[1].account_number.startswith("ENC:")  # stored sealed
    assert (items[1].institution_code, items[1].amount_minor) == ("0010", 2000)
    settled = Journal.objects.get(
        kind=Kind.SETTLEMENT, source_type="cards.cardpayment", source_id=str(payment.pk)
    )
    assert journal_balances(settled)


def _interbank_transfer(member, savings):
    from tests.transfers.conftest import aged
    from transfers.beneficiaries import beneficiary_add_external
    from transfers.models import Institution
    from transfers.services import TransferOrder, transfer_execute

    carlos = aged(
        beneficiary_add_external(
            member=member,
            institution=Institution.objects.get(code="0010"),
            account_type="savings",
            account_number="2201234567",
            name="Carlos Andrés Mendoza Vera",
            id_type="cedula",
            id_number="1710034065",
        )
    )
    order = TransferOrder(kind="interbank", origin=savings, beneficiary=carlos, amount=D("6.00"))
    return transfer_execute(member=member, order=order, key="t-ok", notify=False)


def test_the_network_alone_receives_the_card_number(member, savings, ana):
    with time_machine.travel(TUESDAY_10):
        payment = pay_other(member, savings, ana)
    network = Recording()
    with time_machine.travel(TUESDAY_10.replace(minute=5)):
        run(network)
    [sent] = network.received
    [item] = batch_file_parse(sent).items  # the copy sent is a valid file: digest, totals
    assert (item.reference, item.account_type, item.account_number) == (
        payment.public_id.hex,
        "TAR",
        OTHER_PAN,
    )
    assert OTHER_PAN not in SettlementBatch.objects.get().file


def test_a_rejected_payment_is_returned_with_its_fee(member, savings, ana):
    with time_machine.travel(TUESDAY_10):
        payment = pay_other(member, savings, ana)
    network = Recording(reject={payment.public_id.hex})
    with time_machine.travel(TUESDAY_10.replace(minute=5)):
        summary = run(network)
        assert (summary.prepared, summary.sent, summary.closed) == (1, 1, 1)
        assert run(network).closed == 0  # running again changes nothing
    payment.refresh_from_db()
    assert payment.status == CardPayment.Status.REJECTED
    assert payment.rejection_reason == "TARJETA CANCELADA"
    assert balance(savings) == D("500.00")  # the amount, the commission and the IVA
    assert book_balance("SPI_CLEARING", "USD") == D("0.00")
    refund = payment.refund_journal
    assert refund.kind == Kind.REVERSAL and refund.reverses_id == payment.journal_id
    assert Journal.objects.filter(kind=Kind.REVERSAL).count() == 1
    assert not Journal.objects.filter(kind=Kind.SETTLEMENT).exists()
    body = mail.outbox[-1].body
    assert "BANCO PICHINCHA rechazó tu pago de $20.00 a la tarjeta 411111XXXXXX1111" in body
    assert "Motivo: TARJETA CANCELADA" in body and "Devolvimos $20.41" in body
    assert SettlementBatch.objects.get().status == SettlementBatch.Status.DONE


def test_a_profile_that_keeps_the_fee_returns_only_the_amount(member, savings, ana, cooperative):
    cooperative.refund_fee_on_rejection = False
    cooperative.save()
    with time_machine.travel(TUESDAY_10):
        payment = pay_other(member, savings, ana)
    with time_machine.travel(TUESDAY_10.replace(minute=5)):
        run(Recording(reject={payment.public_id.hex}))
    assert balance(savings) == D("500.00") - D("0.41")
    assert "Devolvimos $20.00" in mail.outbox[-1].body


def test_a_crash_while_closing_finishes_once(member, savings, ana, monkeypatch):
    from cards import payment_settlement

    with time_machine.travel(TUESDAY_10):
        payment = pay_other(member, savings, ana)
    original = payment_settlement.journal_post

    def crash(*args, **kwargs):
        raise RuntimeError("worker died")

    with time_machine.travel(TUESDAY_10.replace(minute=5)):
        monkeypatch.setattr(payment_settlement, "journal_post", crash)
        with pytest.raises(RuntimeError):
            run()
        payment.refresh_from_db()
        assert payment.status == CardPayment.Status.SENT
        assert SettlementBatch.objects.get().status == SettlementBatch.Status.SENT
        monkeypatch.setattr(payment_settlement, "journal_post", original)
        run()
        run()
    payment.refresh_from_db()
    assert payment.status == CardPayment.Status.SETTLED
    assert Journal.objects.filter(kind=Kind.SETTLEMENT).count() == 1
    assert book_balance("SPI_CLEARING", "USD") == D("0.00")


def test_the_receipt_shows_the_card_masked_and_the_state(member_client, member, savings, ana):
    with time_machine.travel(TUESDAY_10):
        payment = pay_other(member, savings, ana)
    from products.receipts import receipt_result

    result = receipt_result(payment.journal, viewer=member)
    lines = dict(result["receipt"]["lines"])
    assert lines["Beneficiario"] == f"ANA LUCÍA TORRES — Tarjeta {OTHER_MASKED}"
    assert lines["Institución"] == "BANCO PICHINCHA" and lines["Estado"] == "Por enviar"
    assert lines["Comisión"] == "$0.36" and lines["IVA"] == "$0.05"
    page = member_client.get(result["receipt"]["url"])
    assert page.status_code == 200 and OTHER_MASKED in page.content.decode()
    assert OTHER_PAN not in page.content.decode()


def test_a_removed_payee_is_not_paid(member, savings, ana):
    from cards.payees import card_payee_delete
    from cards.payments import PaymentCardNotAvailable

    card_payee_delete(payee=ana)
    ana.refresh_from_db()
    with pytest.raises(PaymentCardNotAvailable):
        pay_other(member, savings, ana)


def test_the_card_number_never_reaches_a_page_a_log_a_notice_or_a_table_in_clear(
    member_client, member, savings, ana, client, staff_user, caplog
):
    from tests.cards.test_card_payees import database_texts_holding

    caplog.set_level("DEBUG")
    pages = []
    with time_machine.travel(TUESDAY_10):
        pages.append(member_client.get(f"{PAY}?tarjeta={ana.public_id}"))
        step = submit(member_client, origen=savings.public_id, tarjeta=ana.public_id, monto="20")
        pages += [step, confirm(member_client, step), member_client.get("/pago-tarjetas/")]
    with time_machine.travel(TUESDAY_10.replace(minute=5)):
        run()
    payment = CardPayment.objects.get()
    client.force_login(staff_user)  # the same browser, now staff's
    batch = SettlementBatch.objects.get()
    pages += [
        client.get("/admin/cards/cardpayment/"),
        client.get(f"/admin/cards/cardpayment/{payment.pk}/change/"),
        client.get(f"/admin/transfers/settlementbatch/{batch.pk}/change/"),
    ]
    assert [p.status_code for p in pages] == [200] * len(pages)
    assert [i for i, p in enumerate(pages) if OTHER_PAN in p.content.decode()] == []
    logs = [f"{r.getMessage()} {r.__dict__!r}" for r in caplog.records]
    assert [t for t in logs if OTHER_PAN in t] == []
    assert [m.body for m in mail.outbox if OTHER_PAN in m.body] == []
    assert database_texts_holding(OTHER_PAN) == []


def test_the_simulated_network_rejects_a_card_its_directory_knows_as_closed(
    member, savings, spi_tariff
):
    jorge = card_payee_add(
        member=member,
        institution="0030",
        pan="4000 0000 0000 0002",  # Banco del Pacífico's closed card in the directory
        id_type="cedula",
        id_number="0926687856",
        name="Jorge Luis Alvarado Ruiz",
    )
    with time_machine.travel(TUESDAY_10):
        payment = pay_other(member, savings, jorge, amount="15.00")
    with time_machine.travel(TUESDAY_10.replace(minute=5)):
        run()
    payment.refresh_from_db()
    assert (payment.status, payment.rejection_reason) == ("rejected", "CUENTA CERRADA")
    assert balance(savings) == D("500.00")

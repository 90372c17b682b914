"""Extracto de tarjeta: the nightly beat closes each credit card's statement on its
statement day — once per card and month, catching up a missed night — records its figures,
and e-mails it as a verifiable PDF to the members subscribed to "Estado de Cuenta Tarjeta
de Crédito"; the member downloads it from the card's page."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.core import mail

from cards import statements, tasks
from cards.models import Card, CardStatement, CardStatementDelivery, StoredCardStatement
from cards.services import (
    card_issue_credit,
    card_purchase,
    card_set_status,
    card_statement_close,
    statement_installments_register,
)
from cards.statements import (
    CardStatementMismatch,
    card_statements_close,
    card_statements_send,
    statement_lines,
    statement_render,
)
from core.money import quantize
from products.models import VerifiedDocument
from tests.cards.conftest import new_pan
from tests.documents import assert_the_paper_says_what_the_page_says, pdf_text

D = Decimal
TZ = "-05:00"  # Guayaquil


def at(moment: str):
    return time_machine.travel(f"{moment}{TZ}", tick=False)


def issue(member, *, day: int, pan: str, when: str = "2026-05-04 10:00:00") -> Card:
    with at(when):
        return card_issue_credit(
            member=member,
            brand=Card.Brand.MASTERCARD,
            pan=pan,
            credit_limit=D("500.00"),
            statement_day=day,
        )


def buy(card: Card, when: str, amount: str, description: str, key: str):
    with at(when):
        return card_purchase(card=card, amount=D(amount), description=description, key=key)


def nightly(when: str) -> dict:
    with at(when):
        return tasks.close_card_statements.delay().get()


MARIA_PAN = new_pan()
GABRIEL_PAN = new_pan()


@pytest.fixture
def cards(member, other_member, catalog):
    """María subscribed, her card closing on the 15th; Gabriel not subscribed, his card
    closing on the 15th too; a second card of María's closing on the 20th."""
    member.user.subscribed_card_statement = True
    member.user.save(update_fields=["subscribed_card_statement"])
    mine = issue(member, day=15, pan=MARIA_PAN)
    theirs = issue(other_member, day=15, pan=GABRIEL_PAN)
    later = issue(member, day=20, pan=new_pan())
    buy(mine, "2026-05-10 12:00:00", "100.00", "SUPERMAXI SAN CARLOS", "m1")
    buy(mine, "2026-05-12 18:30:00", "13.24", "SANA SANA N59 ANGEL LUDENA", "m2")
    buy(theirs, "2026-05-11 09:00:00", "40.00", "KYWI LA PRENSA", "g1")
    return mine, theirs, later


def test_the_beat_runs_late_every_night():
    entry = next(
        e
        for e in settings.CELERY_BEAT_SCHEDULE.values()
        if e["task"] == "cards.tasks.close_card_statements"
    )
    assert entry["schedule"].hour == {23} and entry["schedule"].minute == {45}


def test_the_beat_twice_closes_each_statement_once_and_sends_one_email(member, cards):
    mine, theirs, later = cards
    assert nightly("2026-05-14 23:45:00") == {"closed": 0, "sent": 0}
    assert nightly("2026-05-15 23:45:00") == {"closed": 2, "sent": 1}
    assert nightly("2026-05-15 23:50:00") == {"closed": 0, "sent": 0}  # a second beat
    assert nightly("2026-05-16 23:45:00") == {"closed": 0, "sent": 0}
    assert CardStatement.objects.filter(card=mine).count() == 1
    assert CardStatement.objects.filter(card=theirs).count() == 1
    assert not CardStatement.objects.filter(card=later).exists()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [member.email]
    delivery = CardStatementDelivery.objects.get()
    assert delivery.statement.card == mine and delivery.sent_at and delivery.attempts == 1
    assert delivery.document.kind == VerifiedDocument.Kind.CARD_STATEMENT


def test_the_statement_records_the_figures_at_the_cut(cards):
    mine, *_ = cards
    nightly("2026-05-15 23:45:00")
    buy(mine, "2026-05-16 10:00:00", "50.00", "KYWI LA PRENSA", "m3")  # next statement's
    statement = CardStatement.objects.get(card=mine)
    assert (statement.year, statement.month) == (2026, 5)
    assert statement.statement_date == date(2026, 5, 15)
    assert statement.period_start == date(2026, 5, 4)  # the day the card was issued
    assert statement.opening == D("0.00")
    assert statement.charges == D("113.24") and statement.credits == D("0.00")
    assert statement.closing == D("113.24") and statement.deferred == D("0.00")
    assert statement.minimum_payment == D("11.32")
    assert statement.payment_due == date(2026, 6, 4)
    assert statement.available == D("386.76")
    card = Card.objects.get(pk=mine.pk)
    assert card.statement_date == date(2026, 5, 15)
    assert (card.minimum_payment, card.payment_due) == (D("11.32"), date(2026, 6, 4))


def test_the_next_statement_starts_where_the_last_one_ended(cards):
    mine, *_ = cards
    nightly("2026-05-15 23:45:00")
    buy(mine, "2026-05-20 10:00:00", "50.00", "KYWI LA PRENSA", "m3")
    nightly("2026-06-15 23:45:00")
    june = CardStatement.objects.get(card=mine, month=6)
    assert june.period_start == date(2026, 5, 16)
    assert (june.opening, june.charges, june.closing) == (D("113.24"), D("50.00"), D("163.24"))
    assert june.minimum_payment == D("16.32")
    assert june.payment_due == date(2026, 7, 6)  # 5 July is a Sunday
    assert [line.description for line in statement_lines(june)] == ["CONSUMO KYWI LA PRENSA"]


def test_a_missed_night_is_caught_up_by_the_next_one(cards):
    _mine, _theirs, later = cards
    buy(later, "2026-05-19 10:00:00", "20.00", "TROPI BURGER T049", "l1")
    assert nightly("2026-05-21 23:45:00")["closed"] == 3  # the 15th's two and the 20th's
    statement = CardStatement.objects.get(card=later)
    assert statement.statement_date == date(2026, 5, 20) and statement.closing == D("20.00")


def test_the_first_days_of_a_month_catch_up_the_last_one(member, catalog):
    card = issue(member, day=28, pan=new_pan(), when="2026-05-04 10:00:00")
    with at("2026-06-02 23:45:00"):
        assert card_statements_close() == 1
    assert CardStatement.objects.get(card=card).statement_date == date(2026, 5, 28)


def test_a_card_issued_on_or_after_its_statement_day_waits_for_next_month(member, catalog):
    card = issue(member, day=15, pan=new_pan(), when="2026-05-15 09:00:00")
    nightly("2026-05-15 23:45:00")
    assert not card.statements.exists()
    nightly("2026-06-15 23:45:00")
    assert card.statements.get().period_start == date(2026, 5, 15)


def test_blocked_cards_close_and_cancelled_ones_do_not(member, catalog):
    blocked = issue(member, day=15, pan=new_pan())
    cancelled = issue(member, day=15, pan=new_pan())
    card_set_status(card=blocked, status=Card.Status.BLOCKED, reason="Robo")
    card_set_status(card=cancelled, status=Card.Status.CANCELLED, reason="Solicitud")
    nightly("2026-05-15 23:45:00")
    assert blocked.statements.exists() and not cancelled.statements.exists()


def test_closing_again_in_the_same_month_changes_nothing(cards):
    mine, *_ = cards
    with at("2026-05-15 23:45:00"):
        card_statement_close(card=mine, on=date(2026, 5, 15))
    buy(mine, "2026-05-16 10:00:00", "50.00", "KYWI LA PRENSA", "m3")
    with at("2026-05-16 23:45:00"):
        card = card_statement_close(card=mine, on=date(2026, 5, 16))
    assert card.minimum_payment == D("11.32") and card.statement_date == date(2026, 5, 15)
    assert CardStatement.objects.filter(card=mine).count() == 1


def test_the_deferral_installments_due_are_added_to_the_minimum_payment(cards, monkeypatch):
    from cards import services

    mine, *_ = cards
    monkeypatch.setattr(services, "_installments_readers", [])
    seen = []

    def installments(*, card, on):
        seen.append((card.pk, on))
        return D("4.53")

    statement_installments_register(installments)
    nightly("2026-05-15 23:45:00")
    statement = CardStatement.objects.get(card=mine)
    assert statement.installments == D("4.53")
    # A reader bills its installments onto the revolving balance (cards.deferral does):
    # the minimum is 10 % of the rest, plus the installments whole.
    assert statement.minimum_payment == quantize((statement.closing - D("4.53")) / 10) + D("4.53")
    assert (mine.pk, date(2026, 5, 15)) in seen
    nightly("2026-05-16 23:45:00")
    assert len([s for s in seen if s[0] == mine.pk]) == 1  # once per card and month


# --- The PDF -------------------------------------------------------------------------------


def test_the_pdf_says_what_the_statement_says(client, member, cards):
    mine, *_ = cards
    nightly("2026-05-15 23:45:00")
    statement = CardStatement.objects.get(card=mine)
    pdf, document = statement_render(statement)
    text = " ".join(pdf_text(pdf).split())
    squeezed = text.replace(" ", "")  # the table's cells lose some spaces when read back
    for description in ("CONSUMO SUPERMAXI SAN CARLOS", "CONSUMO SANA SANA N59 ANGEL LUDENA"):
        assert description.replace(" ", "") in squeezed, description
    for words in (
        "EXTRACTO DE TARJETA DE CRÉDITO",
        "MARÍA FERNANDA PÉREZ ANDRADE",
        f"MASTERCARD {mine.masked_number}",
        "PERÍODO: MAYO 2026",
        "FECHA DE CORTE: 15/05/2026",
        "FECHA MÁX. DE PAGO: 04/06/2026",
        "$13.24",
        "$113.24",
        "PAGO MÍNIMO $11.32",
        "CUPO DISPONIBLE $386.76",
    ):
        assert words in text, words
    assert MARIA_PAN not in text
    assert document.code in text
    page = client.get(f"/verificar/{document.code}/").content.decode()
    fields = dict(assert_the_paper_says_what_the_page_says(pdf, page))
    assert fields["Documento"] == "Extracto de tarjeta"
    assert fields["Tarjeta"] == mine.masked_number
    assert fields["Período"] == "04/05/2026 - 15/05/2026"
    assert fields["Consumos y cargos"] == "$113.24" and fields["Pago mínimo"] == "$11.32"
    assert member.last_names not in page and MARIA_PAN not in page


def test_a_statement_whose_postings_disagree_is_never_a_document(cards):
    mine, *_ = cards
    nightly("2026-05-15 23:45:00")
    statement = CardStatement.objects.get(card=mine)
    statement.closing = D("999.99")
    issued = VerifiedDocument.objects.count()
    with pytest.raises(CardStatementMismatch):
        statement_render(statement)
    assert VerifiedDocument.objects.count() == issued


def test_the_email_carries_the_pdf_and_no_card_number(member, cards):
    nightly("2026-05-15 23:45:00")
    (message,) = mail.outbox
    mine = cards[0]
    assert message.subject == f"Cooprogreso: extracto de tu tarjeta {mine.masked_number}"
    assert "Pago mínimo: $11.32" in message.body and "04/06/2026" in message.body
    assert "Perfil > Notificaciones" in message.body
    filename, content, mimetype = message.attachments[0]
    assert filename == f"extracto-tarjeta-{mine.last4}-202605.pdf"
    assert mimetype == "application/pdf"
    assert MARIA_PAN not in message.body and MARIA_PAN not in pdf_text(content)
    assert "SUPERMAXISANCARLOS" in pdf_text(content).replace(" ", "")


def test_a_failed_send_is_retried_by_the_next_night(member, cards, monkeypatch):
    def refused(**kwargs):
        raise OSError("SMTP no disponible")

    monkeypatch.setattr(statements, "send_email", refused)
    assert nightly("2026-05-15 23:45:00") == {"closed": 2, "sent": 0}
    delivery = CardStatementDelivery.objects.get()
    assert delivery.sent_at is None and delivery.claimed_at is None
    monkeypatch.undo()
    assert nightly("2026-05-16 23:45:00") == {"closed": 0, "sent": 1}
    assert len(mail.outbox) == 1
    assert CardStatementDelivery.objects.get().attempts == 2


def test_a_statement_is_not_emailed_long_after_its_cut(member, cards):
    member.user.subscribed_card_statement = False
    member.user.save(update_fields=["subscribed_card_statement"])
    nightly("2026-05-15 23:45:00")
    member.user.subscribed_card_statement = True
    member.user.save(update_fields=["subscribed_card_statement"])
    with at("2026-05-20 23:45:00"):
        assert card_statements_send() == 1  # subscribed within the window
    CardStatementDelivery.objects.all().delete()
    with at("2026-05-30 23:45:00"):
        assert card_statements_send() == 0


# --- Downloading it from the card's page -------------------------------------------------


def test_the_member_downloads_a_closed_statement(member_client, cards):
    mine, *_ = cards
    nightly("2026-05-15 23:45:00")
    statement = CardStatement.objects.get(card=mine)
    html = member_client.get(f"/tarjetas/{mine.public_id}/").content.decode()
    url = f"/tarjetas/{mine.public_id}/extractos/{statement.public_id}/"
    assert url in html and "15/05/2026" in html
    response = member_client.get(url)
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="extracto-tarjeta-{mine.last4}-202605.pdf"'
    )
    text = pdf_text(response.content)
    assert f"{settings.PORTAL_URL}/verificar/" in text and MARIA_PAN not in text


def test_a_closed_card_statement_is_rendered_once_then_sent_from_storage(
    member_client, cards, monkeypatch
):
    mine, *_ = cards
    nightly("2026-05-15 23:45:00")  # e-mailed: rendered and stored
    statement = CardStatement.objects.get(card=mine)
    stored = StoredCardStatement.objects.get(statement=statement)
    (message,) = mail.outbox
    assert message.attachments[0][1] == bytes(stored.pdf)

    def never(**kwargs):
        raise AssertionError("a stored statement is not rendered again")

    monkeypatch.setattr(statements, "render_pdf", never)
    url = f"/tarjetas/{mine.public_id}/extractos/{statement.public_id}/"
    for _ in range(2):
        assert member_client.get(url).content == bytes(stored.pdf)
    kind = VerifiedDocument.Kind.CARD_STATEMENT
    assert list(VerifiedDocument.objects.filter(kind=kind)) == [stored.document]


def test_another_cards_statement_is_404_even_under_ones_own_card(member_client, cards):
    mine, theirs, _later = cards
    nightly("2026-05-15 23:45:00")
    foreign = CardStatement.objects.get(card=theirs)
    for card in (mine, theirs):
        url = f"/tarjetas/{card.public_id}/extractos/{foreign.public_id}/"
        assert member_client.get(url).status_code == 404

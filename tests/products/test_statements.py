"""Estado de cuenta: a month of one account that reconciles with the ledger, as a verifiable
PDF, downloaded by its owner and e-mailed once a month to members subscribed to it."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from core.money import from_minor
from ledger.models import Posting
from ledger.services import booked_at, hold_place
from products import statements, tasks
from products.models import ProductType, StatementDelivery, StoredStatement, VerifiedDocument
from products.services import cash_deposit, cash_withdrawal, deposit_account_open
from products.statements import (
    BeforeOpening,
    FutureMonth,
    statement_build,
    statement_pdf,
    statement_store,
    statements_send,
)
from tests.documents import assert_the_paper_says_what_the_page_says, pdf_text

# María's year so far, booked on its days (local time, UTC-5).
HISTORY = [
    ("2026-03-05 10:00:00-05:00", "deposit", "1000.00"),
    ("2026-03-20 11:00:00-05:00", "withdrawal", "120.50"),
    ("2026-04-02 09:00:00-05:00", "deposit", "250.25"),
    ("2026-04-15 16:00:00-05:00", "withdrawal", "80.00"),
    ("2026-04-30 23:30:00-05:00", "deposit", "10.00"),  # the last half hour of April
    ("2026-05-01 00:10:00-05:00", "withdrawal", "5.00"),  # the first minutes of May
]


def book(account, rows, prefix="h"):
    for n, (moment, kind, amount) in enumerate(rows):
        post = cash_deposit if kind == "deposit" else cash_withdrawal
        with booked_at(datetime.fromisoformat(moment)):
            post(account=account, amount=Decimal(amount), key=f"{prefix}-{account.pk}-{n}")


@pytest.fixture
def aho(catalog):
    return ProductType.objects.get(code="AHO")


@pytest.fixture
def history(member, aho):
    account = deposit_account_open(member=member, product_type=aho)
    book(account, HISTORY)
    return account


def ledger_balance_at(account, moment) -> Decimal:
    """Independently of the statement: minus the sum of the credit-normal account's
    debit-positive postings booked before ``moment``."""
    total = Posting.objects.filter(account=account.ledger_account, created_at__lt=moment).aggregate(
        total=Sum("amount_minor")
    )["total"]
    return from_minor(-(total or 0))


def local(text: str) -> datetime:
    return datetime.fromisoformat(text)


# --- Building ----------------------------------------------------------------------------


def test_the_balances_reconcile_with_the_ledger(history):
    april = statement_build(account=history, year=2026, month=4)
    assert (
        april.opening
        == Decimal("879.50")
        == ledger_balance_at(history, local("2026-04-01T00:00-05:00"))
    )
    assert [line.description for line in april.lines] == [
        "DEPÓSITO AHORROS",
        "RETIRO DE AHORROS",
        "DEPÓSITO AHORROS",
    ]
    assert april.credits == Decimal("260.25") and april.debits == Decimal("80.00")
    assert april.opening + april.credits - april.debits == april.closing == Decimal("1059.75")
    assert april.closing == ledger_balance_at(history, local("2026-05-01T00:00-05:00"))
    assert april.lines[-1].balance == april.closing
    assert (april.first_day, april.last_day) == (date(2026, 4, 1), date(2026, 4, 30))

    may = statement_build(account=history, year=2026, month=5)
    assert may.opening == april.closing
    assert may.closing == Decimal("1054.75")
    history.ledger_account.refresh_from_db()
    assert may.closing == history.ledger_account.balance


def test_a_movement_shows_its_debit_credit_and_document_number(history):
    march = statement_build(account=history, year=2026, month=3)
    deposit, withdrawal = march.lines
    assert (deposit.debit, deposit.credit, deposit.balance) == (
        Decimal("0.00"),
        Decimal("1000.00"),
        Decimal("1000.00"),
    )
    assert (withdrawal.debit, withdrawal.credit) == (Decimal("120.50"), Decimal("0.00"))
    posting = Posting.objects.get(pk=withdrawal.posting_id)
    assert withdrawal.journal_id == posting.journal_id
    assert march.opening == Decimal("0.00")


def test_an_empty_month_has_equal_opening_and_closing(history):
    june = statement_build(account=history, year=2026, month=6)
    assert june.lines == []
    assert june.opening == june.closing == Decimal("1054.75")
    assert june.debits == june.credits == Decimal("0.00")


def test_the_month_in_course_runs_until_now_and_subtracts_holds(history):
    cash_deposit(account=history, amount=Decimal("45.25"), key="today")
    hold_place(
        account=history.ledger_account, amount=Decimal("100.00"), key="hold", description="X"
    )
    today = timezone.localdate()
    current = statement_build(account=history, year=today.year, month=today.month)
    assert current.last_day == today
    assert [line.credit for line in current.lines] == [Decimal("45.25")]
    assert current.closing == Decimal("1100.00")
    assert current.available == Decimal("1000.00")


def test_it_refuses_a_future_month_and_one_before_the_account_opened(history):
    later = timezone.localdate().replace(day=1) + timedelta(days=32)
    with pytest.raises(FutureMonth):
        statement_build(account=history, year=later.year, month=later.month)
    with pytest.raises(BeforeOpening) as refused:
        statement_build(account=history, year=2026, month=2)
    assert refused.value.message == (
        "La cuenta se abrió en marzo de 2026: elige ese mes o uno posterior."
    )


def test_building_reads_a_fixed_number_of_queries(history, django_assert_num_queries):
    july = [(f"2026-07-{day:02d} 10:00:00-05:00", "deposit", "1.00") for day in range(1, 29)]
    book(history, july, prefix="july")
    with django_assert_num_queries(4):  # first day, opening, the month, ledger check
        july = statement_build(account=history, year=2026, month=7)
    assert len(july.lines) == 28


# --- The PDF -----------------------------------------------------------------------------


def test_the_pdf_is_the_manuals_statement_and_verifiable(client, member, history):
    pdf = statement_pdf(statement_build(account=history, year=2026, month=4))
    text = pdf_text(pdf)
    assert "ESTADO DE CUENTA" in text and "DETALLE DE MOVIMIENTOS" in text
    assert "MARÍA FERNANDA PÉREZ ANDRADE" in text
    assert history.number in text and member.address in text and member.id_number in text
    assert "FECHA ÚLTIMO CORTE: Abril 01, 2026" in text
    assert "FECHA ESTE CORTE: Abril 30, 2026" in text
    for header in ("Fecha", "Nro. Doc", "Descripción", "Débito", "Crédito", "Saldo"):
        assert header in text
    assert "SALDO INICIAL" in text and "$879.50" in text
    assert "SALDO FINAL" in text and "$1,059.75" in text
    assert "SALDO DISPONIBLE" in text and "registra tu reclamo" in text
    document = VerifiedDocument.objects.get(kind=VerifiedDocument.Kind.STATEMENT)
    assert document.code in text
    assert f"{settings.PORTAL_URL}/verificar/{document.code}/" in text
    page = client.get(f"/verificar/{document.code}/").content.decode()
    fields = dict(assert_the_paper_says_what_the_page_says(pdf, page))
    assert fields["Documento"] == "Estado de cuenta"
    assert fields["Cuenta"] == "*****" + history.number[-4:]
    assert fields["Período"] == "01/04/2026 - 30/04/2026"
    assert fields["Saldo inicial"] == "$879.50" and fields["Saldo final"] == "$1,059.75"
    assert fields["Total débitos"] == "$80.00" and fields["Total créditos"] == "$260.25"
    assert member.last_names not in page  # the public page names no one
    assert history.number not in page


def test_an_empty_months_pdf_says_so(history):
    text = pdf_text(statement_pdf(statement_build(account=history, year=2026, month=6)))
    assert "NO TIENE MOVIMIENTOS" in text and text.count("$1,054.75") >= 2


# --- The page ----------------------------------------------------------------------------

URL = "/estado-de-cuenta/"


def test_the_page_lists_the_members_accounts_and_a_month_picker(member_client, history):
    html = member_client.get(URL).content.decode()
    assert "Estado de cuenta" in html and f"Nro. Cta: {history.number}" in html
    assert 'type="month"' in html and f'max="{timezone.localdate():%Y-%m}"' in html
    assert "Descargar" in html
    assert URL in member_client.get("/servicios/").content.decode()


def test_it_downloads_the_statement_as_an_attachment(member_client, history):
    response = member_client.get(URL, {"cuenta": history.public_id, "mes": "2026-04"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="estado-de-cuenta-{history.number[-4:]}-202604.pdf"'
    )
    text = pdf_text(response.content)
    assert "DETALLE DE MOVIMIENTOS" in text and "$1,059.75" in text
    # A closed month's statement is kept: its links name the portal, not the request's host.
    assert f"{settings.PORTAL_URL}/verificar/" in text


def test_a_closed_months_statement_is_rendered_once_and_then_sent_from_storage(
    member_client, client, history, monkeypatch
):
    params = {"cuenta": history.public_id, "mes": "2026-04"}
    first = member_client.get(URL, params)
    stored = StoredStatement.objects.get(account=history, year=2026, month=4)
    assert stored.movements == 3 and bytes(stored.pdf) == first.content

    def never(*args, **kwargs):
        raise AssertionError("a stored statement is not rendered again")

    monkeypatch.setattr(statements, "render_pdf", never)
    monkeypatch.setattr("products.statements.statement_build", never)
    again = member_client.get(URL, params)
    assert again.status_code == 200 and again.content == first.content
    assert again["Content-Disposition"] == first["Content-Disposition"]
    document = VerifiedDocument.objects.get(kind=VerifiedDocument.Kind.STATEMENT)
    assert stored.document == document and document.code in pdf_text(again.content)
    page = client.get(f"/verificar/{document.code}/").content.decode()
    assert dict(assert_the_paper_says_what_the_page_says(again.content, page))["Saldo final"] == (
        "$1,059.75"
    )


def test_the_month_in_course_is_rendered_each_time_and_not_stored(member_client, history):
    month = f"{timezone.localdate():%Y-%m}"
    for _ in range(2):
        response = member_client.get(URL, {"cuenta": history.public_id, "mes": month})
        assert response["Content-Type"] == "application/pdf"
    assert not StoredStatement.objects.exists()
    assert VerifiedDocument.objects.filter(kind=VerifiedDocument.Kind.STATEMENT).count() == 2


def test_two_renders_racing_keep_one_statement_and_one_code(history, monkeypatch):
    real = statements.stored_statement
    calls = []

    def late(**kwargs):  # the other render had not finished when this one looked
        calls.append(kwargs)
        return None if len(calls) == 1 else real(**kwargs)

    theirs = statement_store(account=history, year=2026, month=4)
    monkeypatch.setattr(statements, "stored_statement", late)
    mine = statement_store(account=history, year=2026, month=4)
    assert mine.pk == theirs.pk
    assert StoredStatement.objects.count() == 1
    assert list(VerifiedDocument.objects.values_list("code", flat=True)) == [theirs.document.code]


def test_only_a_closed_month_is_stored(history):
    today = timezone.localdate()
    with pytest.raises(ValueError):
        statement_store(account=history, year=today.year, month=today.month)


def test_it_refuses_another_members_account(member_client, history, other_member, aho):
    theirs = deposit_account_open(member=other_member, product_type=aho)
    cash_deposit(account=theirs, amount=Decimal("10.00"), key="theirs")
    month = f"{timezone.localdate():%Y-%m}"
    response = member_client.get(URL, {"cuenta": theirs.public_id, "mes": month})
    assert response["Content-Type"].startswith("text/html")
    assert "Selecciona una de tus cuentas." in response.content.decode()
    assert theirs.number not in response.content.decode()
    assert not VerifiedDocument.objects.exists()


def test_it_refuses_a_future_month(member_client, history):
    later = timezone.localdate().replace(day=1) + timedelta(days=32)
    response = member_client.get(URL, {"cuenta": history.public_id, "mes": f"{later:%Y-%m}"})
    assert response["Content-Type"].startswith("text/html")
    assert "Ese mes aún no ha llegado" in response.content.decode()


def test_it_refuses_a_month_before_the_account_opened(member_client, history):
    response = member_client.get(URL, {"cuenta": history.public_id, "mes": "2026-02"})
    assert response["Content-Type"].startswith("text/html")
    assert "La cuenta se abrió en marzo de 2026" in response.content.decode()


@pytest.mark.parametrize("month", ["", "2026-13", "abril", "2026-4"])
def test_it_refuses_a_month_that_is_not_one(member_client, history, month):
    response = member_client.get(URL, {"cuenta": history.public_id, "mes": month})
    assert response["Content-Type"].startswith("text/html")
    assert "el mes" in response.content.decode() or "mes válido" in response.content.decode()


def test_it_needs_a_signed_in_member(db, client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


# --- The monthly e-mail ------------------------------------------------------------------


def test_the_beat_sends_the_statements_on_the_first_days_of_the_month():
    entry = next(
        e
        for e in settings.CELERY_BEAT_SCHEDULE.values()
        if e["task"] == "products.tasks.send_monthly_statements"
    )
    assert entry["schedule"].day_of_month == {1, 2, 3}


@pytest.fixture
def subscribers(member, other_member, aho):
    """María subscribed, with two accounts; Gabriel not subscribed, with one."""
    member.user.subscribed_statement = True
    member.user.save(update_fields=["subscribed_statement"])
    with time_machine.travel("2026-05-04 10:00:00-05:00", tick=False):
        mine = deposit_account_open(member=member, product_type=aho)
        second = deposit_account_open(member=member, product_type=aho)
        theirs = deposit_account_open(member=other_member, product_type=aho)
    book(mine, [("2026-05-04 10:00:00-05:00", "deposit", "300.00")], prefix="s")
    book(theirs, [("2026-05-04 11:00:00-05:00", "deposit", "70.00")], prefix="s")
    return mine, second, theirs


def test_the_task_twice_sends_once_and_only_to_subscribers(member, subscribers):
    mine, second, theirs = subscribers
    with time_machine.travel("2026-06-01 06:00:00-05:00", tick=False):
        assert tasks.send_monthly_statements.delay().get() == 2
    with time_machine.travel("2026-06-02 06:00:00-05:00", tick=False):
        assert tasks.send_monthly_statements.delay().get() == 0
    assert len(mail.outbox) == 2
    assert {m.to[0] for m in mail.outbox} == {member.email}
    message = next(m for m in mail.outbox if mine.number[-4:] in m.attachments[0][0])
    assert message.subject == "Cooprogreso: estado de cuenta de mayo 2026"
    filename, content, mimetype = message.attachments[0]
    assert filename == f"estado-de-cuenta-{mine.number[-4:]}-202605.pdf"
    assert mimetype == "application/pdf"
    assert "$300.00" in pdf_text(content)
    deliveries = StatementDelivery.objects.filter(year=2026, month=5)
    assert {d.account_id for d in deliveries} == {mine.pk, second.pk}
    assert all(d.sent_at and d.attempts == 1 and d.document for d in deliveries)
    assert not StatementDelivery.objects.filter(account=theirs).exists()
    # The month closed: what was e-mailed is stored, and a download sends the same file.
    stored = StoredStatement.objects.get(account=mine, year=2026, month=5)
    assert bytes(stored.pdf) == content
    assert stored.document == StatementDelivery.objects.get(account=mine).document


def test_a_delivery_claimed_by_a_crashed_run_is_not_sent_again_at_once(member, subscribers):
    mine, *_ = subscribers
    with time_machine.travel("2026-06-01 06:00:00-05:00", tick=False):
        StatementDelivery.objects.create(
            account=mine, year=2026, month=5, claimed_at=timezone.now(), attempts=1
        )
    with time_machine.travel("2026-06-01 06:05:00-05:00", tick=False):  # redelivered task
        assert statements_send(year=2026, month=5) == 1  # the second account only
    assert StatementDelivery.objects.get(account=mine).sent_at is None
    with time_machine.travel("2026-06-02 06:00:00-05:00", tick=False):  # the lease is over
        assert statements_send(year=2026, month=5) == 1
    assert StatementDelivery.objects.get(account=mine).sent_at is not None
    assert len(mail.outbox) == 2


def test_a_failed_send_is_retried_by_the_next_run(member, subscribers, monkeypatch):
    def refused(**kwargs):
        raise OSError("SMTP no disponible")

    monkeypatch.setattr(statements, "send_email", refused)
    with time_machine.travel("2026-06-01 06:00:00-05:00", tick=False):
        assert statements_send(year=2026, month=5) == 0
    assert not StatementDelivery.objects.filter(sent_at__isnull=False).exists()
    assert not StatementDelivery.objects.filter(claimed_at__isnull=False).exists()
    monkeypatch.undo()
    with time_machine.travel("2026-06-02 06:00:00-05:00", tick=False):
        assert statements_send(year=2026, month=5) == 2
    assert len(mail.outbox) == 2
    assert set(StatementDelivery.objects.values_list("attempts", flat=True)) == {2}


def test_staff_see_the_deliveries_in_the_admin(client, staff_user, member, subscribers):
    with time_machine.travel("2026-06-01 06:00:00-05:00", tick=False):
        statements_send(year=2026, month=5)
    client.force_login(staff_user)
    html = client.get("/admin/products/statementdelivery/").content.decode()
    code = StatementDelivery.objects.filter(document__isnull=False).first().document.code
    assert member.email in html and code in html


def test_the_development_outbox_names_the_attachment(settings, tmp_path):
    from core.notifications import outbox_messages, send_email

    settings.EMAIL_BACKEND = "core.notifications.OutboxEmailBackend"
    settings.OUTBOX_DIR = tmp_path / "outbox"
    send_email(
        to=["maria@example.com"],
        subject="Estado de cuenta",
        body="Adjunto.",
        attachments=[("estado-de-cuenta-0019-202605.pdf", b"%PDF-1.7", "application/pdf")],
    )
    (message,) = outbox_messages()
    assert message["attachments"] == ["estado-de-cuenta-0019-202605.pdf"]


def test_a_stored_statement_downloads_in_a_few_queries_and_only_for_its_member(
    member_client, history, other_member, django_assert_max_num_queries
):
    params = {"cuenta": history.public_id, "mes": "2026-04"}
    first = member_client.get(URL, params)
    with django_assert_max_num_queries(4):  # session, user, member, the stored row
        again = member_client.get(URL, params)
    assert again.content == first.content
    member_client.force_login(other_member.user)
    theirs = member_client.get(URL, params)
    assert theirs["Content-Type"].startswith("text/html")
    assert history.number not in theirs.content.decode()

"""Every card number is masked wherever the portal shows or sends it: the member's pages,
every download (PDF and XLSX), every e-mail and its attachments, every SMS, every admin
page and every log record — after a member used every card feature once: a debit and a
credit card of her own, purchases, a closed and e-mailed statement, a deferral, a PIN
recovered, her own card paid, another member's card and another bank's card registered
and paid, the interbank payment settled and one rejected and returned.

The full numbers are searched as typed (16 digits) and in the groups people write them
in (``4111 1111 1111 1111``, ``4111-1111-1111-1111``)."""

import io
import re
import zipfile
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.contrib import admin
from django.core import mail
from django.test import TestCase
from django.utils import timezone

from accounts.models import Operation
from cards.deferral import card_defer
from cards.models import Card, CardPayment, CardStatement
from cards.payees import COOPERATIVE, card_payee_add
from cards.payments import CardPaymentOrder, card_payment_execute
from cards.services import card_purchase, card_statement_close
from cards.statements import card_statements_send
from core.notifications import LocmemSmsBackend
from ledger.models import Posting
from tests.auth import last_code, op_id
from tests.cards.conftest import (
    MARIA_CREDIT_PAN,
    MARIA_DEBIT_PAN,
    business_morning,
    issue_credit,
    new_pan,
)
from tests.cards.test_card_payees import database_texts_holding
from tests.cards.test_card_payments import (  # noqa: F401 - fixtures
    OTHER_PAN,
    Recording,
    institutions,
    spi_tariff,
)
from tests.documents import pdf_text
from transfers.settlement import settlement_run

D = Decimal
pytestmark = pytest.mark.usefixtures("institutions", "spi_tariff")


def spellings(pan: str) -> list[str]:
    """``pan`` as typed and as written in groups of four."""
    groups = [pan[i : i + 4] for i in range(0, len(pan), 4)]
    return [pan, " ".join(groups), "-".join(groups)]


def xlsx_text(content: bytes) -> str:
    """Every part of the workbook (cells, shared strings, sheet names, properties)."""
    with zipfile.ZipFile(io.BytesIO(content)) as book:
        return "\n".join(book.read(name).decode("utf-8", "replace") for name in book.namelist())


def text_of(response) -> str:
    kind = response.get("Content-Type", "")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if kind.startswith("application/pdf"):
        return pdf_text(body)
    if "spreadsheetml" in kind:
        return xlsx_text(body)
    return body.decode()


@pytest.fixture
def clock(db):
    """A business morning ahead of the fixtures (ticking): the interbank payments are
    processed the same day and the month's statements can be asked for."""
    with time_machine.travel(business_morning()) as traveller:
        yield traveller


@pytest.fixture
def used(clock, member, savings, debit_card, credit_card, other_member, settings):
    """Everything a member can do with cards, done once; returns the secret numbers."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    member.user.subscribed_card_statement = True
    member.user.save(update_fields=["subscribed_card_statement"])
    gabriel_pan = new_pan()
    gabriel_card = issue_credit(other_member, pan=gabriel_pan)
    card_purchase(card=gabriel_card, amount=D("50.00"), description="KFC", key="g1")
    card_purchase(card=credit_card, amount=D("120.00"), description="SUPERMAXI", key="p1")
    # Yesterday's statement: today's purchases can be deferred.
    card_statement_close(card=credit_card, on=timezone.localdate() - timedelta(days=1))
    clock.shift(timedelta(minutes=30))
    card_statements_send(on=timezone.localdate())
    purchase = card_purchase(card=credit_card, amount=D("13.24"), description="SANA SANA", key="p2")
    card_defer(
        card=Card.objects.get(pk=credit_card.pk),
        purchases=[purchase.public_id],
        installments=3,
        key="d1",
        user=member.user,
        channel="web",
        quoted_installment=D("4.53"),
    )
    ana = card_payee_add(
        member=member,
        institution="0010",
        pan=OTHER_PAN,
        id_type="cedula",
        id_number="1710034065",
        name="Ana Lucía Torres",
        email="ana@example.com",
    )
    jorge_pan = "4012888888881881"
    jorge = card_payee_add(
        member=member,
        institution="0030",
        pan=jorge_pan,
        id_type="cedula",
        id_number="0926687856",
        name="Jorge Luis Alvarado Ruiz",
    )
    gabriel = card_payee_add(
        member=member,
        institution=COOPERATIVE,
        pan=gabriel_pan,
        id_type="cedula",
        id_number=other_member.id_number,
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        for key, card, payee, amount in (
            ("own", credit_card, None, "20.00"),
            ("gabriel", gabriel_card, gabriel, "10.00"),
            ("ana", None, ana, "20.00"),
            ("jorge", None, jorge, "5.00"),
        ):
            order = CardPaymentOrder(
                origin=savings, amount=D(amount), card=card, payee=payee, motive="Pago"
            )
            card_payment_execute(member=member, order=order, key=key)
    clock.shift(timedelta(minutes=5))
    with TestCase.captureOnCommitCallbacks(execute=True):
        rejected = CardPayment.objects.get(payee=jorge).public_id.hex
        settlement_run(network=Recording(reject={rejected}))
    statuses = dict(CardPayment.objects.values_list("payee__name", "status"))
    assert statuses["ANA LUCÍA TORRES"] == CardPayment.Status.SETTLED
    assert statuses["JORGE LUIS ALVARADO RUIZ"] == CardPayment.Status.REJECTED
    return [MARIA_CREDIT_PAN, MARIA_DEBIT_PAN, gabriel_pan, OTHER_PAN, jorge_pan]


def holding(texts: dict[str, str], pans: list[str]) -> list[str]:
    """The names of the texts in which a full number is written."""
    secrets = [s for pan in pans for s in spellings(pan)]
    return [name for name, text in texts.items() if any(s in text for s in secrets)]


def test_every_card_number_is_masked_in_pages_downloads_e_mails_admin_and_logs(
    member_client, client, member, savings, credit_card, debit_card, staff_user, used, caplog
):
    caplog.set_level("DEBUG")
    pans = used
    member_client.force_login(member.user)  # signed in on the clock's day
    texts: dict[str, str] = {}

    # "Recuperar clave": the temporary PIN's e-mail names the card.
    recover = f"/tarjetas/{credit_card.public_id}/recuperar-clave/"
    step = member_client.post(recover, {"step": "form"})
    member_client.post(recover, {"step": "confirm", "op": op_id(step), "answer": last_code()})
    assert Operation.objects.filter(purpose="card_pin_recover", state="executed").exists()

    # The member's pages.
    statement = CardStatement.objects.get(card=credit_card)
    pages = [
        "/posicion-consolidada/",
        "/tarjetas/",
        "/tarjetas/?ver=debito",
        f"/tarjetas/{credit_card.public_id}/",
        f"/tarjetas/{debit_card.public_id}/",
        "/tarjetas/diferir/",
        f"/tarjetas/{credit_card.public_id}/diferir/",
        "/pago-tarjetas/",
        f"/pago-tarjetas/pagar/?tarjeta={credit_card.public_id}",
        "/beneficiarios/?tab=tarjetas",
        f"/cuentas/{savings.public_id}/",
        f"/cuentas/{savings.public_id}/?vista=tarjeta-debito",
        "/pagos/historial/",
    ]
    # Every download: the movements, the statements, the payments' history, each receipt.
    month = f"{timezone.localdate():%Y-%m}"
    downloads = [
        f"/cuentas/{savings.public_id}/descargar/?formato=xlsx",
        f"/cuentas/{savings.public_id}/descargar/?formato=pdf",
        f"/estado-de-cuenta/?cuenta={savings.public_id}&mes={month}",
        f"/tarjetas/{credit_card.public_id}/extractos/{statement.public_id}/",
        "/pagos/historial/descargar/?formato=xlsx",
        "/pagos/historial/descargar/?formato=pdf",
    ]
    receipts = {  # one posting of each journal that moved the account
        journal: pk
        for pk, journal in Posting.objects.filter(account=savings.ledger_account)
        .order_by("pk")
        .values_list("pk", "journal_id")
    }
    for pk in receipts.values():
        downloads.append(f"/cuentas/{savings.public_id}/movimientos/{pk}/comprobante/")
        downloads.append(f"/cuentas/{savings.public_id}/movimientos/{pk}/comprobante/?formato=pdf")
    kinds = set()
    for url in pages + downloads:
        response = member_client.get(url)
        assert response.status_code == 200, url
        kinds.add(response["Content-Type"].split(";")[0])
        texts[url] = text_of(response)
    assert kinds >= {
        "text/html",
        "application/pdf",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }
    assert "513744XXXXXX0395" in texts[f"/tarjetas/{credit_card.public_id}/"]
    xlsx = texts[f"/cuentas/{savings.public_id}/descargar/?formato=xlsx"]
    assert "411111XXXXXX1111" in xlsx  # the sheet names the card paid, masked
    assert "513744XXXXXX0395" in xlsx

    # Every e-mail, with its attachments, and every SMS.
    for n, message in enumerate(mail.outbox):
        texts[f"mail {n}: {message.subject}"] = f"{message.subject}\n{message.body}"
        for name, content, mimetype in message.attachments:
            if mimetype == "application/pdf":
                texts[f"mail {n}: {name}"] = pdf_text(content)
            else:
                texts[f"mail {n}: {name}"] = str(content)
    assert any(name.endswith(".pdf") for name in texts if name.startswith("mail"))
    for n, message in enumerate(LocmemSmsBackend.outbox):
        texts[f"sms {n}"] = message.body

    # Every admin page: each model's list, and the latest rows of the apps that show cards.
    client.force_login(staff_user)
    for model in admin.site._registry:
        meta = model._meta
        url = f"/admin/{meta.app_label}/{meta.model_name}/"
        response = client.get(url)
        assert response.status_code == 200, url
        texts[url] = response.content.decode()
        if meta.app_label in {"cards", "transfers", "ledger", "accounts"}:
            for pk in model.objects.order_by("-pk").values_list("pk", flat=True)[:8]:
                change = f"{url}{pk}/change/"
                response = client.get(change)
                assert response.status_code == 200, change
                texts[change] = response.content.decode()

    # Every log record, with its extra fields.
    for n, record in enumerate(caplog.records):
        texts[f"log {n}"] = f"{record.getMessage()} {record.__dict__!r}"

    assert holding(texts, pans) == []
    for pan in pans:
        assert database_texts_holding(pan) == [], pan


def test_the_scan_finds_a_number_in_a_workbook_a_pdf_and_grouped():
    """The scan itself: a number hidden in a workbook's shared strings, or written in
    groups, is found."""
    from openpyxl import Workbook

    book = Workbook()
    book.active["A1"] = "PAGO TARJETA 4111 1111 1111 1111"
    content = io.BytesIO()
    book.save(content)
    assert holding({"xlsx": xlsx_text(content.getvalue())}, [OTHER_PAN]) == ["xlsx"]
    assert holding({"text": "4111-1111-1111-1111"}, [OTHER_PAN]) == ["text"]
    assert holding({"text": "411111XXXXXX1111"}, [OTHER_PAN]) == []
    assert re.fullmatch(r"\d{16}", OTHER_PAN)

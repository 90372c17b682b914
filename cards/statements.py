"""Extracto de tarjeta: a credit card's monthly statement as a verifiable PDF, closed by
the daily beat on each card's statement day and e-mailed to the members subscribed to
"Estado de Cuenta Tarjeta de Crédito".

A statement is a ``CardStatement`` row that ``cards.services.card_statement_close`` writes
once per card and month with the figures at the cut. Its lines are the postings of the
card's revolving receivable after the previous cut up to this one, read again whenever the
PDF is made: the ledger is append-only, so they are the same every time, and
:func:`statement_lines` refuses a document whose lines do not add up to the figures.

:func:`card_statements_close` closes the statements that fell due (each card's
``statement_day``; a night the beat missed is caught up by the next run) and
:func:`card_statements_send` e-mails them, once per statement
(``CardStatementDelivery``, claimed before sending by
``products.deliveries.delivery_send_once``, as the monthly estado de cuenta is).
"""

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS

from cards.models import Card, CardStatement, CardStatementDelivery, StoredCardStatement
from cards.services import LAST_STATEMENT_DAY, MINIMUM_PAYMENT_RATE, card_statement_close
from core.errors import DomainError
from core.money import format_money, from_minor, to_minor
from core.notifications import send_email
from core.profile import cooperative_current
from ledger.models import Posting
from products.deliveries import delivery_send_once
from products.documents import Fields, absolute_url, document_register, render_pdf
from products.models import VerifiedDocument

logger = logging.getLogger(__name__)

# A statement is e-mailed in the days after its cut, never long after (a member who
# subscribes later downloads the older ones from the card's page).
DELIVERY_WINDOW = timedelta(days=10)
CHUNK = 100


class CardStatementError(DomainError):
    message = "No se pudo generar el extracto de la tarjeta."


class CardStatementMismatch(Exception):
    """The statement's postings do not add up to its figures. Never shown as a document."""


@dataclass(frozen=True)
class CardStatementLine:
    posting_id: int
    journal_id: int  # the "Nro. Doc" (Comprobante N.º)
    created_at: datetime
    description: str
    charge: Decimal  # a purchase, an installment billed, a fee: what the member owes more
    credit: Decimal  # a payment, a deferral: what the member owes less
    balance: Decimal  # the revolving balance after it


# --- Closing ---------------------------------------------------------------------------


def statement_due_date(*, statement_day: int, on: date) -> date:
    """The latest fecha de corte on or before ``on`` of a card that closes on
    ``statement_day``."""
    due = date(on.year, on.month, min(statement_day, LAST_STATEMENT_DAY))
    if due > on:
        previous = on.replace(day=1) - timedelta(days=1)
        due = date(previous.year, previous.month, min(statement_day, LAST_STATEMENT_DAY))
    return due


def card_statements_due(*, on: date) -> list[tuple[int, date]]:
    """``(card id, fecha de corte)`` of every credit card whose statement fell due by
    ``on`` and is not closed: not cancelled, issued before that date, with no statement
    of that month or a later one. One query."""
    rows = (
        Card.objects.filter(kind=Card.Kind.CREDIT)
        .exclude(status=Card.Status.CANCELLED)
        .annotate(last=Max("statements__statement_date"))
        .values_list("pk", "statement_day", "issued_at", "last")
        .order_by("pk")
    )
    due = []
    for pk, day, issued_at, last in rows:
        when = statement_due_date(statement_day=day, on=on)
        if timezone.localdate(issued_at) >= when:
            continue  # its first statement is next month's
        if last is not None and (last.year, last.month) >= (when.year, when.month):
            continue
        due.append((pk, when))
    return due


def card_statements_close(*, on: date | None = None) -> int:
    """Closes every statement due by ``on`` (today); returns how many were closed. Each
    card is closed on its own (one card's failure is logged and left for the next run);
    ``card_statement_close`` is idempotent per card and month, so a second run, a retried
    task or two workers close each once."""
    on = on or timezone.localdate()
    closed = failed = 0
    for pk, when in card_statements_due(on=on):
        try:
            card = Card.objects.get(pk=pk)
            before = card.statements.filter(year=when.year, month=when.month).exists()
            card_statement_close(card=card, on=when)
            closed += not before
        except Exception:  # one card's failure must not stop the others
            failed += 1
            logger.exception("card statement close failed", extra={"card_id": pk})
    logger.info(
        "card statements closed", extra={"on": on.isoformat(), "closed": closed, "failed": failed}
    )
    return closed


# --- The document ------------------------------------------------------------------------


def statement_lines(statement: CardStatement) -> list[CardStatementLine]:
    """The statement's movements, in booking order, with the revolving balance after each.
    Raises :class:`CardStatementMismatch` when they do not lead from the statement's
    opening balance to its closing one."""
    postings = Posting.objects.filter(
        account_id=statement.card.revolving_account_id, created_at__lte=statement.closed_at
    )
    if statement.opened_after is not None:
        postings = postings.filter(created_at__gt=statement.opened_after)
    running, lines = to_minor(statement.opening), []
    for pk, journal_id, created_at, amount_minor, description in postings.order_by(
        "created_at", "pk"
    ).values_list("pk", "journal_id", "created_at", "amount_minor", "description"):
        running += amount_minor  # a debit-normal receivable: a charge raises it
        lines.append(
            CardStatementLine(
                posting_id=pk,
                journal_id=journal_id,
                created_at=created_at,
                description=description,
                charge=from_minor(max(amount_minor, 0)),
                credit=from_minor(max(-amount_minor, 0)),
                balance=from_minor(running),
            )
        )
    if running != to_minor(statement.closing):
        raise CardStatementMismatch(f"statement {statement.pk}: closing {running}")
    return lines


def period_label(statement: CardStatement) -> str:
    """ "noviembre 2026": the month of its fecha de corte."""
    return f"{MONTHS[statement.month]} {statement.year}"


def statement_fields(statement: CardStatement) -> Fields:
    """What the statement's verification shows: the masked card, the period and the
    figures — no name, no movements."""
    currency = statement.currency
    return [
        ("Tarjeta", statement.card.masked_number),
        (
            "Período",
            f"{statement.period_start:%d/%m/%Y} - {statement.statement_date:%d/%m/%Y}",
        ),
        ("Fecha de corte", f"{statement.statement_date:%d/%m/%Y}"),
        ("Saldo anterior", format_money(statement.opening, currency)),
        ("Consumos y cargos", format_money(statement.charges, currency)),
        ("Pagos y créditos", format_money(statement.credits, currency)),
        ("Utilizado rotativo", format_money(statement.closing, currency)),
        ("Utilizado diferido", format_money(statement.deferred, currency)),
        ("Pago mínimo", format_money(statement.minimum_payment, currency)),
        ("Fecha máx. de pago", f"{statement.payment_due:%d/%m/%Y}"),
    ]


def statement_render(statement: CardStatement, *, request=None) -> tuple[bytes, VerifiedDocument]:
    """The PDF and the document it was registered as (:func:`statement_fields`). Without
    ``request`` (a worker), links and the QR point at ``PORTAL_URL``."""
    lines = statement_lines(statement)
    document = document_register(
        kind=VerifiedDocument.Kind.CARD_STATEMENT, fields=statement_fields(statement)
    )
    body = render_pdf(
        template="cards/pdf/statement.html",
        context={
            "statement": statement,
            "card": statement.card,
            "member": statement.card.member,
            "lines": lines,
            "period": period_label(statement),
            "minimum_rate": f"{MINIMUM_PAYMENT_RATE * 100:.0f} %",
            "complaints_url": absolute_url(reverse("accounts:complaint"), request=request),
        },
        request=request,
        document=document,
    )
    return body, document


def statement_store(statement: CardStatement) -> StoredCardStatement:
    """The statement's PDF, rendered the first time it is needed (the e-mail or a download)
    and then kept: a closed statement never changes. Its links and QR point at
    ``PORTAL_URL``. Two renders racing keep the first row; the loser's unissued
    verification record is removed."""
    stored = (
        StoredCardStatement.objects.select_related("document").filter(statement=statement).first()
    )
    if stored is not None:
        return stored
    body, document = statement_render(statement)
    try:
        with transaction.atomic():
            return StoredCardStatement.objects.create(
                statement=statement, document=document, pdf=body
            )
    except IntegrityError:
        document.delete()
        return StoredCardStatement.objects.select_related("document").get(statement=statement)


def statement_filename(statement: CardStatement) -> str:
    return f"extracto-tarjeta-{statement.card.last4}-{statement.year}{statement.month:02d}.pdf"


# --- The e-mail --------------------------------------------------------------------------


def statement_recipients(*, on: date):
    """Statements closed in the last :data:`DELIVERY_WINDOW` up to ``on`` of members
    subscribed to "Estado de Cuenta Tarjeta de Crédito", not yet sent."""
    return (
        CardStatement.objects.filter(
            statement_date__gt=on - DELIVERY_WINDOW,
            statement_date__lte=on,
            card__member__user__subscribed_card_statement=True,
            card__member__user__is_active=True,
        )
        .exclude(delivery__sent_at__isnull=False)
        .order_by("pk")
    )


def card_statement_deliver(*, statement: CardStatement) -> bool:
    """E-mails ``statement`` to its member, unless it was sent or another run is sending
    it. Returns whether this call sent it: at least once, the row claimed before sending
    (``products.deliveries.delivery_send_once``)."""
    delivery, _created = CardStatementDelivery.objects.get_or_create(statement=statement)

    def send() -> tuple[str, VerifiedDocument]:
        card = statement.card
        member = card.member
        email = member.email or (member.user.email if member.user else "")
        if not email:
            raise CardStatementError("El socio no tiene correo electrónico registrado.")
        stored = statement_store(statement)
        body, document = bytes(stored.pdf), stored.document
        coop = cooperative_current()
        currency = statement.currency
        send_email(
            to=[email],
            subject=f"{coop.short_name}: extracto de tu tarjeta {card.masked_number}",
            body=(
                f"Estimado(a) {member.full_name}:\n\n"
                f"Adjuntamos el extracto de tu tarjeta de crédito {card.get_brand_display()} "
                f"{card.masked_number} con fecha de corte "
                f"{statement.statement_date:%d/%m/%Y}.\n\n"
                f"Pago mínimo: {format_money(statement.minimum_payment, currency)}\n"
                f"Pago total: {format_money(statement.closing, currency)}\n"
                f"Fecha máxima de pago: {statement.payment_due:%d/%m/%Y}\n"
                f"Código de verificación: {document.code}.\n\n"
                f"Si tienes inquietudes sobre tus consumos, llámanos al "
                f"{coop.call_center_phone}.\n"
                f"Recibes este correo porque te suscribiste al estado de cuenta de tarjeta "
                f"de crédito; puedes cancelarlo en Perfil > Notificaciones."
            ),
            attachments=[(statement_filename(statement), body, "application/pdf")],
        )
        return email, document

    return delivery_send_once(delivery, send)


def card_statements_send(*, on: date | None = None) -> int:
    """E-mails every statement due to a subscribed member; returns how many were sent.
    One failure is logged and left for the next run (within :data:`DELIVERY_WINDOW`)."""
    on = on or timezone.localdate()
    pks = list(statement_recipients(on=on).values_list("pk", flat=True))
    sent = failed = 0
    for offset in range(0, len(pks), CHUNK):
        statements = (
            CardStatement.objects.filter(pk__in=pks[offset : offset + CHUNK])
            .select_related("card__member__user")
            .order_by("pk")
        )
        for statement in statements:
            try:
                sent += card_statement_deliver(statement=statement)
            except Exception:  # one member's failure must not stop the others
                failed += 1
                logger.exception(
                    "card statement delivery failed", extra={"statement_id": statement.pk}
                )
    logger.info("card statements sent", extra={"sent": sent, "failed": failed})
    return sent

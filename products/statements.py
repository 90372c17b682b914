"""Estado de cuenta: one account's calendar month, reconciled with the ledger.

:func:`statement_build` reads the running balance of the account's last posting before the
month (the opening balance), the month's postings in booking order (one query, on the
``(account, created_at, id)`` index), and the account row with the sum of everything posted
after the cut. It returns a statement only if every movement's running balance follows
from the previous one, opening + credits − debits = closing, and the closing balance equals
the stored balance less what was posted after the cut; anything else is a
:class:`StatementMismatch`, never a document.

:func:`statement_pdf` renders it as the manual prints it (WeasyPrint, registered as a
:class:`~products.models.VerifiedDocument` with its code and QR). A closed month's
statement never changes, so it is rendered once and kept (:func:`statement_store`,
:class:`~products.models.StoredStatement`): later downloads send the stored bytes, with the
same verification code. :func:`statements_send` e-mails last month's statement to the
members subscribed to it, once per account and month
(:class:`~products.models.StatementDelivery`), storing it on the way.
"""

import calendar
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS

from core.errors import DomainError
from core.masking import mask_number
from core.money import format_money, from_minor
from core.notifications import send_email
from core.profile import cooperative_current
from ledger.models import Account as LedgerAccount
from ledger.models import Hold, Posting
from ledger.selectors import day_start
from products.deliveries import delivery_send_once
from products.documents import Fields, Progress, absolute_url, document_register, render_pdf
from products.models import DepositAccount, StatementDelivery, StoredStatement, VerifiedDocument

logger = logging.getLogger(__name__)

BUILD_ATTEMPTS = 3
CHUNK = 100


class StatementError(DomainError):
    message = "No se pudo generar el estado de cuenta."


class FutureMonth(StatementError):
    message = "Ese mes aún no ha llegado: elige el mes actual o uno anterior."


class BeforeOpening(StatementError):
    def __init__(self, opened: date):
        super().__init__(
            f"La cuenta se abrió en {MONTHS[opened.month]} de {opened.year}: "
            "elige ese mes o uno posterior.",
            opened=opened,
        )


class StatementMismatch(Exception):
    """The month's postings do not reconcile with the ledger. Never shown as a document."""


@dataclass(frozen=True)
class StatementLine:
    posting_id: int
    journal_id: int  # the "Nro. Doc" (Comprobante N.º)
    created_at: datetime
    description: str
    debit: Decimal  # money out of the member's account
    credit: Decimal  # money in
    balance: Decimal


@dataclass(frozen=True)
class Statement:
    account: DepositAccount
    year: int
    month: int
    first_day: date  # "FECHA ÚLTIMO CORTE" / "FECHA DESDE"
    last_day: date  # "FECHA ESTE CORTE": the month's last day, or today in the current month
    cut: datetime  # movements before this moment are in the statement
    opening: Decimal
    lines: list[StatementLine]
    debits: Decimal
    credits: Decimal
    closing: Decimal
    held: Decimal  # holds active at the cut
    currency: str

    @property
    def available(self) -> Decimal:
        """ "SALDO DISPONIBLE" at the cut: the closing balance less the holds of that moment."""
        return self.closing - self.held

    @property
    def period_label(self) -> str:
        """ "julio 2025"."""
        return f"{MONTHS[self.month]} {self.year}"


def month_bounds(year: int, month: int) -> tuple[date, date]:
    if not 1 <= month <= 12:
        raise ValueError(f"month must be 1..12, not {month}")
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def account_first_day(account: DepositAccount) -> date:
    """The day the account opened: its opening row, or its first posting when history was
    loaded from before the portal knew it (a migration from a core system, the demo)."""
    first = (
        Posting.objects.filter(account_id=account.ledger_account_id)
        .order_by("created_at", "pk")
        .values_list("created_at", flat=True)
        .first()
    )
    opened = account.opened_at if first is None else min(first, account.opened_at)
    return timezone.localdate(opened)


def statement_build(*, account: DepositAccount, year: int, month: int) -> Statement:
    """The estado de cuenta of ``account`` for ``month``/``year``: the whole month once it
    has ended, up to now in the current month. Refuses future months and months before the
    account opened (:class:`StatementError`, with the Spanish message)."""
    now = timezone.now()
    today = timezone.localdate(now)
    first_day, last_day = month_bounds(year, month)
    if (year, month) > (today.year, today.month):
        raise FutureMonth
    opened = account_first_day(account)
    if (year, month) < (opened.year, opened.month):
        raise BeforeOpening(opened)
    start = day_start(first_day)
    cut = min(day_start(last_day + timedelta(days=1)), now)
    attempt = 1
    while True:
        try:
            return _statement_read(
                account=account,
                year=year,
                month=month,
                first_day=first_day,
                last_day=min(last_day, today),
                start=start,
                cut=cut,
            )
        except StatementMismatch:
            # In the current month a posting booked just before the cut may commit
            # between the reads; read again. A closed month that disagrees is an error.
            logger.warning(
                "statement does not reconcile",
                extra={"account_id": account.pk, "month": f"{year}-{month:02d}", "try": attempt},
            )
            if attempt == BUILD_ATTEMPTS:
                raise
            attempt += 1


def _statement_read(
    *,
    account: DepositAccount,
    year: int,
    month: int,
    first_day: date,
    last_day: date,
    start: datetime,
    cut: datetime,
) -> Statement:
    ledger = account.ledger_account
    postings = Posting.objects.filter(account_id=ledger.pk)
    opening_minor = (
        postings.filter(created_at__lt=start)
        .order_by("-created_at", "-pk")
        .values_list("balance_after_minor", flat=True)
        .first()
    ) or 0
    rows = list(
        postings.filter(created_at__gte=start, created_at__lt=cut)
        .order_by("created_at", "pk")
        .values_list(
            "pk", "journal_id", "created_at", "amount_minor", "balance_after_minor", "description"
        )
    )
    # The stored balance and what was posted after the cut, in one statement (one snapshot).
    after = (
        Posting.objects.filter(account_id=OuterRef("pk"), created_at__gte=cut)
        .values("account_id")
        .annotate(total=Sum("amount_minor"))
        .values("total")
    )
    held = (
        Hold.objects.filter(account_id=OuterRef("pk"), created_at__lt=cut)
        .filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=cut))
        .values("account_id")
        .annotate(total=Sum("amount_minor"))
        .values("total")
    )
    balance_minor, after_minor, held_minor = (
        LedgerAccount.objects.filter(pk=ledger.pk)
        .annotate(after=Coalesce(Subquery(after), 0), held_at_cut=Coalesce(Subquery(held), 0))
        .values_list("balance_minor", "after", "held_at_cut")
        .get()
    )

    running, debits, credits, lines = opening_minor, 0, 0, []
    for pk, journal_id, created_at, amount_minor, balance_after_minor, description in rows:
        delta = ledger.normal_delta(amount_minor)  # the holder's side: money in is positive
        running += delta
        if running != balance_after_minor:
            raise StatementMismatch(f"posting {pk}: running balance {running}")
        debits += max(-delta, 0)
        credits += max(delta, 0)
        lines.append(
            StatementLine(
                posting_id=pk,
                journal_id=journal_id,
                created_at=created_at,
                description=description,
                debit=from_minor(max(-delta, 0)),
                credit=from_minor(max(delta, 0)),
                balance=from_minor(balance_after_minor),
            )
        )
    closing_minor = running
    ledger_closing_minor = balance_minor - ledger.normal_delta(after_minor)
    if opening_minor + credits - debits != closing_minor or closing_minor != ledger_closing_minor:
        raise StatementMismatch(f"closing {closing_minor}, ledger {ledger_closing_minor}")
    return Statement(
        account=account,
        year=year,
        month=month,
        first_day=first_day,
        last_day=last_day,
        cut=cut,
        opening=from_minor(opening_minor),
        lines=lines,
        debits=from_minor(debits),
        credits=from_minor(credits),
        closing=from_minor(closing_minor),
        held=from_minor(held_minor),
        currency=ledger.currency,
    )


# --- The document ------------------------------------------------------------------------


def statement_fields(statement: Statement) -> Fields:
    """What the statement's verification shows: the masked account, the period and the
    figures that reconcile — no name, no movements."""
    currency = statement.currency
    return [
        ("Cuenta", mask_number(statement.account.number)),
        ("Período", f"{statement.first_day:%d/%m/%Y} - {statement.last_day:%d/%m/%Y}"),
        ("Saldo inicial", format_money(statement.opening, currency)),
        ("Total débitos", format_money(statement.debits, currency)),
        ("Total créditos", format_money(statement.credits, currency)),
        ("Saldo final", format_money(statement.closing, currency)),
        ("Saldo disponible", format_money(statement.available, currency)),
        ("Movimientos", str(len(statement.lines))),
    ]


def statement_render(
    statement: Statement, *, request=None, progress: Progress | None = None
) -> tuple[bytes, VerifiedDocument]:
    """The PDF and the document it was registered as (:func:`statement_fields`)."""
    document = document_register(
        kind=VerifiedDocument.Kind.STATEMENT, fields=statement_fields(statement)
    )
    body = render_pdf(
        template="products/pdf/statement.html",
        context={
            "statement": statement,
            "member": statement.account.member,
            "complaints_url": absolute_url(reverse("accounts:complaint"), request=request),
        },
        request=request,
        document=document,
        progress=progress,
    )
    return body, document


def statement_pdf(statement: Statement, *, request=None) -> bytes:
    """The estado de cuenta as a verifiable PDF. Without ``request`` (a worker), links and
    the QR point at ``PORTAL_URL``."""
    return statement_render(statement, request=request)[0]


def statement_filename(statement: Statement) -> str:
    return month_filename(account=statement.account, year=statement.year, month=statement.month)


def month_filename(*, account: DepositAccount, year: int, month: int) -> str:
    return f"estado-de-cuenta-{account.number[-4:]}-{year}{month:02d}.pdf"


# --- Closed months: rendered once ----------------------------------------------------------


def month_is_closed(year: int, month: int) -> bool:
    """Whether the month has ended: its statement can no longer change."""
    today = timezone.localdate()
    return (year, month) < (today.year, today.month)


def stored_statement(*, account: DepositAccount, year: int, month: int) -> StoredStatement | None:
    return (
        StoredStatement.objects.select_related("document")
        .filter(account=account, year=year, month=month)
        .first()
    )


def member_stored_statement(*, member, public_id, year: int, month: int) -> StoredStatement | None:
    """The stored statement of one of ``member``'s accounts, in one query (the download's
    fast path: no account list, no build)."""
    return (
        StoredStatement.objects.select_related("account")
        .filter(account__member=member, account__public_id=public_id, year=year, month=month)
        .first()
    )


def statement_store(
    *,
    account: DepositAccount,
    year: int,
    month: int,
    statement: Statement | None = None,
    progress: Progress | None = None,
) -> StoredStatement:
    """The closed month's statement of ``account``, rendered now if it never was. The
    stored PDF outlives any request, so its links and QR point at ``PORTAL_URL``.

    Two renders racing (the monthly run and a download, a redelivered task) both finish,
    but only the first row is kept — the unique (account, year, month) — and the loser's
    unissued verification record is removed, so every copy carries one code.
    """
    if not month_is_closed(year, month):
        raise ValueError(f"{year}-{month:02d} has not ended: its statement is not final")
    stored = stored_statement(account=account, year=year, month=month)
    if stored is not None:
        return stored
    if statement is None:
        statement = statement_build(account=account, year=year, month=month)
    body, document = statement_render(statement, progress=progress)
    try:
        with transaction.atomic():
            return StoredStatement.objects.create(
                account=account,
                year=year,
                month=month,
                document=document,
                pdf=body,
                movements=len(statement.lines),
            )
    except IntegrityError:
        document.delete()
        return StoredStatement.objects.get(account=account, year=year, month=month)


# --- The monthly e-mail ------------------------------------------------------------------


def statement_recipients(*, year: int, month: int):
    """Active accounts of members subscribed to the monthly statement that existed by the
    month's end and whose statement for it has not been sent."""
    _first, last = month_bounds(year, month)
    end = day_start(last + timedelta(days=1))
    existed = Q(opened_at__lt=end) | Exists(
        Posting.objects.filter(account_id=OuterRef("ledger_account_id"), created_at__lt=end)
    )
    sent = StatementDelivery.objects.filter(
        account_id=OuterRef("pk"), year=year, month=month, sent_at__isnull=False
    )
    return (
        DepositAccount.objects.filter(
            status=DepositAccount.Status.ACTIVE,
            member__user__subscribed_statement=True,
            member__user__is_active=True,
        )
        .filter(existed)
        .exclude(Exists(sent))
        .order_by("pk")
    )


def statement_deliver(*, account: DepositAccount, year: int, month: int) -> bool:
    """E-mails ``account``'s statement for the month to its member, unless it was sent or
    another run is sending it. Returns whether this call sent it: at least once, the row
    claimed before sending (``products.deliveries.delivery_send_once``)."""
    delivery, _created = StatementDelivery.objects.get_or_create(
        account=account, year=year, month=month
    )

    def send() -> tuple[str, VerifiedDocument]:
        member = account.member
        email = member.email or (member.user.email if member.user else "")
        if not email:
            raise StatementError("El socio no tiene correo electrónico registrado.")
        stored = statement_store(account=account, year=year, month=month)
        document = stored.document
        period = f"{MONTHS[month]} {year}"
        coop = cooperative_current()
        send_email(
            to=[email],
            subject=f"{coop.short_name}: estado de cuenta de {period}",
            body=(
                f"Estimado(a) {member.full_name}:\n\n"
                f"Adjuntamos el estado de cuenta de tu {account.product_type.name} "
                f"{mask_number(account.number)} correspondiente a {period}.\n"
                f"Código de verificación: {document.code}.\n\n"
                f"Si tienes inquietudes sobre tus movimientos, llámanos al "
                f"{coop.call_center_phone}.\n"
                f"Recibes este correo porque te suscribiste al estado de cuenta mensual; "
                f"puedes cancelarlo en Perfil > Notificaciones."
            ),
            attachments=[
                (
                    month_filename(account=account, year=year, month=month),
                    bytes(stored.pdf),
                    "application/pdf",
                )
            ],
        )
        return email, document

    return delivery_send_once(delivery, send)


def statements_send(*, year: int, month: int) -> int:
    """The month's statements to every subscribed member; returns how many were sent. One
    account's failure is logged and left for the next run (the beat runs on days 1–3)."""
    pks = list(statement_recipients(year=year, month=month).values_list("pk", flat=True))
    sent = failed = 0
    for offset in range(0, len(pks), CHUNK):
        accounts = (
            DepositAccount.objects.filter(pk__in=pks[offset : offset + CHUNK])
            .select_related("member__user", "product_type", "ledger_account")
            .order_by("pk")
        )
        for account in accounts:
            try:
                sent += statement_deliver(account=account, year=year, month=month)
            except Exception:  # one member's failure must not stop the others
                failed += 1
                logger.exception(
                    "statement delivery failed",
                    extra={"account_id": account.pk, "month": f"{year}-{month:02d}"},
                )
    logger.info(
        "monthly statements sent",
        extra={"month": f"{year}-{month:02d}", "sent": sent, "failed": failed},
    )
    return sent

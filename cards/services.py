"""What happens to cards: staff issue, block, reactivate and cancel them; purchases are
charged to a credit card's revolving receivable; a statement sets the minimum payment and
its due date. Every money effect is a ledger journal (``docs/cards.md``).

Every service that raises what a credit card uses locks the card row first, then reads
the receivables' balances: purchases on one card serialize there, so two at once cannot
both fit in the same available limit. Payments and deferrals (a later issue) take the
same lock first.
"""

import logging
import unicodedata
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from accounts.audit import audit_log
from accounts.models import Member, User
from cards.exceptions import (
    CardAlreadyIssued,
    CardCancelled,
    CardError,
    CardExpired,
    CardHasBalance,
    CardLockedByMember,
    CardNotActive,
    CardTermsInvalid,
    CreditLimitExceeded,
    NotACreditCard,
)
from cards.models import ZERO, Card, CardPurchase, CardStatement
from cards.numbers import Pan, pan_parse
from core.money import format_money, from_minor, quantize
from core.profile import cooperative_current
from ledger.books import book_account
from ledger.calendar import business_day_on_or_after
from ledger.exceptions import IdempotencyConflict
from ledger.models import Account as LedgerAccount
from ledger.models import Channel, Kind, Posting
from ledger.services import Line, account_open, account_set_status, booking_time, journal_post
from products.models import DepositAccount

# Policy figures (docs/cards.md). They belong in the cooperative profile once it has a
# card section; until then they are named here, in one place.
DEFAULT_ANNUAL_RATE = Decimal("0.156000")  # 15.6 % a year, the manuals' deferral example
MINIMUM_PAYMENT_RATE = Decimal("0.10")  # of the revolving balance at the statement date
PAYMENT_TERM_DAYS = 20  # from the statement date to "Fecha máx. de pago"
VALIDITY_YEARS = 5
MAX_CREDIT_LIMIT = Decimal("100000.00")
LAST_STATEMENT_DAY = 28  # every month has it

logger = logging.getLogger(__name__)


def _holder_name(member: Member) -> str:
    """The name embossed on the card: capitals without accents ("MARIA FERNANDA PEREZ")."""
    plain = unicodedata.normalize("NFKD", member.full_name)
    return "".join(c for c in plain if not unicodedata.combining(c)).upper()[:80]


def _expiry(month: int | None, year: int | None, *, today: date) -> tuple[int, int]:
    if month is None and year is None:
        return today.month, today.year + VALIDITY_YEARS
    if month is None or year is None or not 1 <= month <= 12:
        raise CardTermsInvalid("Indica el mes (1 a 12) y el año de vencimiento de la tarjeta.")
    if (year, month) < (today.year, today.month) or year > today.year + 10:
        raise CardTermsInvalid("La fecha de vencimiento de la tarjeta no es válida.")
    return month, year


@sensitive_variables("pan", "number")
def card_terms_check(
    *,
    kind: str,
    member: Member,
    brand: str,
    pan: str,
    account: DepositAccount | None = None,
    credit_limit: Decimal | None = None,
    annual_rate: Decimal | None = None,
    expiry_month: int | None = None,
    expiry_year: int | None = None,
) -> tuple[Pan, int, int]:
    """Refuses terms a card cannot be registered on, with the reason (a ``CardError``);
    returns the checked number and the expiry month and year."""
    number = pan_parse(pan, brand=brand)
    if Card.objects.filter(pan_hmac=number.digest).exists():
        raise CardAlreadyIssued
    month, year = _expiry(expiry_month, expiry_year, today=timezone.localdate())
    if kind == Card.Kind.DEBIT:
        if account is None or account.member_id != member.pk:
            raise CardTermsInvalid("La cuenta de la tarjeta de débito debe ser del mismo socio.")
        if not account.can_transact:
            raise CardTermsInvalid(
                "La cuenta no admite tarjeta de débito: debe estar activa, permitir "
                "transacciones y no tener firma conjunta."
            )
    elif kind == Card.Kind.CREDIT:
        if (
            credit_limit is None
            or quantize(credit_limit) != credit_limit
            or not 0 < credit_limit <= MAX_CREDIT_LIMIT
        ):
            raise CardTermsInvalid(
                f"El cupo debe ser mayor a cero y hasta {format_money(MAX_CREDIT_LIMIT)}, "
                "con hasta dos decimales."
            )
        if annual_rate is not None and not 0 <= annual_rate < 1:
            raise CardTermsInvalid("La tasa anual debe estar entre 0 y 1 (0.156 = 15.6 %).")
    else:
        raise ValueError(f"unknown card kind {kind!r}")
    return number, month, year


def _create(card: Card, pan: Pan) -> Card:
    """Saves a new card; a number registered at the same moment by someone else is
    refused by the unique digest."""
    card.bin, card.last4, card.pan_hmac = pan.bin, pan.last4, pan.digest
    try:
        with transaction.atomic():
            card.save(force_insert=True)
    except IntegrityError as exc:
        if Card.objects.filter(pan_hmac=pan.digest).exists():
            raise CardAlreadyIssued from exc
        raise
    return card


@sensitive_variables("pan", "number")
def card_issue_debit(
    *,
    account: DepositAccount,
    brand: str,
    pan: str,
    expiry_month: int | None = None,
    expiry_year: int | None = None,
    holder_name: str = "",
    actor: User | None = None,
    reason: str = "",
) -> Card:
    """Registers a debit card for a member's own transactional account."""
    member = account.member
    number, month, year = card_terms_check(
        kind=Card.Kind.DEBIT,
        member=member,
        brand=brand,
        pan=pan,
        account=account,
        expiry_month=expiry_month,
        expiry_year=expiry_year,
    )
    with transaction.atomic():
        card = _create(
            Card(
                member=member,
                kind=Card.Kind.DEBIT,
                brand=brand,
                holder_name=holder_name.strip().upper() or _holder_name(member),
                expiry_month=month,
                expiry_year=year,
                account=account,
            ),
            number,
        )
        audit_log(
            event="staff_action",
            user=member.user,
            actor=actor,
            action="card_issue",
            card=card.masked_number,
            account=account.number,
            reason=reason,
        )
    return card


@sensitive_variables("pan", "number")
def card_issue_credit(
    *,
    member: Member,
    brand: str,
    pan: str,
    credit_limit: Decimal,
    annual_rate: Decimal | None = None,
    currency: str | None = None,
    expiry_month: int | None = None,
    expiry_year: int | None = None,
    holder_name: str = "",
    statement_day: int | None = None,
    actor: User | None = None,
    reason: str = "",
) -> Card:
    """Registers a credit card with its limit and opens its two receivables. Its statement
    closes on ``statement_day`` of each month: by default the day it is issued (at most
    the 28th)."""
    number, month, year = card_terms_check(
        kind=Card.Kind.CREDIT,
        member=member,
        brand=brand,
        pan=pan,
        credit_limit=credit_limit,
        annual_rate=annual_rate,
        expiry_month=expiry_month,
        expiry_year=expiry_year,
    )
    annual_rate = DEFAULT_ANNUAL_RATE if annual_rate is None else annual_rate
    currency = currency or cooperative_current().currencies[0]
    if statement_day is None:
        statement_day = min(timezone.localdate().day, LAST_STATEMENT_DAY)
    if not 1 <= statement_day <= LAST_STATEMENT_DAY:
        raise CardTermsInvalid(f"El día de corte debe estar entre 1 y {LAST_STATEMENT_DAY}.")
    with transaction.atomic():
        card = Card(
            member=member,
            kind=Card.Kind.CREDIT,
            brand=brand,
            holder_name=holder_name.strip().upper() or _holder_name(member),
            expiry_month=month,
            expiry_year=year,
            credit_limit=credit_limit,
            annual_rate=annual_rate,
            statement_day=statement_day,
        )
        label = f"Tarjeta {card.get_brand_display()} {number.masked}"
        card.revolving_account, card.deferred_account = (
            account_open(
                code=f"CARD-{card.public_id.hex}-{suffix}",
                name=f"{label} {part} · {member.full_name}"[:120],
                kind=LedgerAccount.Kind.ASSET,
                normal_side=LedgerAccount.Side.DEBIT,
                currency=currency,
                forbid_negative=True,
            )
            for suffix, part in (("ROT", "rotativo"), ("DIF", "diferido"))
        )
        card = _create(card, number)
        audit_log(
            event="staff_action",
            user=member.user,
            actor=actor,
            action="card_issue",
            card=card.masked_number,
            credit_limit=str(credit_limit),
            reason=reason,
        )
    return card


_TRANSITIONS = {
    Card.Status.ACTIVE: "card_activate",
    Card.Status.BLOCKED: "card_block",
    Card.Status.CANCELLED: "card_cancel",
}


def card_set_status(
    *, card: Card, status: str, actor: User | None = None, reason: str = "", request=None
) -> Card:
    """Blocks, reactivates or cancels a card, with the reason in the audit log.

    A cancelled card stays cancelled. A credit card is cancelled only once nothing is
    owed on it; its receivables are then closed. Blocking stops purchases, never
    payments: the receivables stay open."""
    if status not in _TRANSITIONS:
        raise ValueError(f"unknown card status {status!r}")
    with transaction.atomic():
        locked = Card.objects.select_for_update().get(pk=card.pk)
        if locked.status == Card.Status.CANCELLED:
            raise CardCancelled
        if locked.status == status:
            return locked
        if status == Card.Status.CANCELLED and locked.is_credit:
            receivables = list(
                LedgerAccount.objects.filter(
                    pk__in=[locked.revolving_account_id, locked.deferred_account_id]
                )
            )
            if any(a.balance_minor or a.held_minor for a in receivables):
                raise CardHasBalance
            for receivable in receivables:
                account_set_status(account=receivable, status=LedgerAccount.Status.CLOSED)
        previous = locked.status
        locked.status = status
        locked.save(update_fields=["status"])
        audit_log(
            event="staff_action",
            user=locked.member.user,
            actor=actor,
            request=request,
            action=_TRANSITIONS[status],
            card=locked.masked_number,
            previous=previous,
            reason=reason,
        )
    return locked


def _usable(card: Card, *, on: date) -> None:
    if card.status != Card.Status.ACTIVE:
        raise CardNotActive(f"La tarjeta {card.masked_number} está {card.get_status_display()}.")
    if card.member_locked:
        raise CardLockedByMember
    if (card.expiry_year, card.expiry_month) < (on.year, on.month):
        raise CardExpired


def card_purchase(
    *,
    card: Card,
    amount: Decimal,
    description: str,
    key: str,
    channel: str = Channel.SYSTEM,
    actor: User | None = None,
) -> CardPurchase:
    """Charges a purchase to a credit card: its revolving receivable is debited and the
    card settlement book credited, if the amount fits in the available limit
    (limit − revolving − deferred), read under the card's row lock.

    Idempotent by ``key``: a replay returns the original purchase and posts nothing; the
    same key with another card, amount or description raises ``IdempotencyConflict``.
    A refusal changes nothing."""
    description = " ".join((description or "").split())[:80]
    if not description:
        raise CardError("Indica la descripción del consumo.")
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise CardError("El valor del consumo no es válido.")
    if amount <= 0 or quantize(amount) != amount:
        raise CardError("El valor del consumo debe ser mayor a cero, con hasta dos decimales.")
    with transaction.atomic():
        locked = Card.objects.select_for_update().get(pk=card.pk)
        existing = CardPurchase.objects.filter(idempotency_key=key).first()
        if existing is not None:
            if (existing.card_id, existing.amount, existing.description) != (
                locked.pk,
                amount,
                description,
            ):
                raise IdempotencyConflict
            return existing
        if not locked.is_credit:
            raise NotACreditCard
        moment = booking_time()
        _usable(locked, on=timezone.localdate(moment))
        # A new statement after the lock: it sees every purchase committed before it.
        receivables = list(
            LedgerAccount.objects.filter(
                pk__in=[locked.revolving_account_id, locked.deferred_account_id]
            ).values_list("balance_minor", "currency")
        )
        available = locked.credit_limit - from_minor(sum(b for b, _ in receivables))
        currency = receivables[0][1]
        if amount > available:
            raise CreditLimitExceeded(
                f"Cupo disponible insuficiente: el consumo de {format_money(amount, currency)} "
                f"supera el cupo disponible de {format_money(max(available, 0), currency)}."
            )
        posted = journal_post(
            key=key,
            kind=Kind.CARD_PURCHASE,
            lines=[
                Line.debit(locked.revolving_account_id, amount, f"CONSUMO {description}"),
                Line.credit(
                    book_account("CARD_SETTLEMENT", currency, spread=key),
                    amount,
                    f"CONSUMO TARJETA {locked.masked_number}",
                ),
            ],
            channel=channel,
            motive=description,
            actor=actor,
            source=locked,
        )
        return CardPurchase.objects.create(
            card=locked,
            idempotency_key=key,
            description=description,
            amount=amount,
            purchased_at=moment,
            journal_id=posted.journal_id,
        )


# --- Statements --------------------------------------------------------------------------

# What the deferral module adds to a statement: the installments of deferred purchases that
# fall due with it. Each reader is called as ``reader(card=…, on=…)`` by
# ``card_statement_close``, under the card's row lock and inside the close's transaction,
# once per card and month (the close is idempotent per card and month, so whatever a reader
# posts — billing the installments — is posted once); it returns the amount due, which the
# close adds in full to the minimum payment and records on the statement.
InstallmentsReader = Callable[..., Decimal]
_installments_readers: list[InstallmentsReader] = []


def statement_installments_register(reader: InstallmentsReader) -> InstallmentsReader:
    """Adds a reader of the installments due with a statement (the deferral module's)."""
    if reader not in _installments_readers:
        _installments_readers.append(reader)
    return reader


def statement_installments_due(*, card: Card, on: date) -> Decimal:
    """The deferral installments falling due with the statement of ``on``: zero until a
    reader is registered (``statement_installments_register``)."""
    return sum((quantize(reader(card=card, on=on)) for reader in _installments_readers), ZERO)


def minimum_payment(revolving: Decimal, installments: Decimal = ZERO) -> Decimal:
    """ "Pago mínimo": ``MINIMUM_PAYMENT_RATE`` of the revolving balance (less the
    installments billed to it), half-up to cents, plus the deferral installments that fall
    due with the statement, in full."""
    return quantize(max(revolving, ZERO) * MINIMUM_PAYMENT_RATE) + installments


def payment_due_date(statement_date: date) -> date:
    """ "Fecha máx. de pago": ``PAYMENT_TERM_DAYS`` after the statement date, moved to the
    next business day of the ledger's calendar when it falls on a weekend or holiday."""
    return business_day_on_or_after(statement_date + timedelta(days=PAYMENT_TERM_DAYS))


def _revolving_movements(card: Card, *, after, cut) -> tuple[Decimal, Decimal, Decimal]:
    """The revolving receivable's charges and credits booked after ``after`` (all, for
    ``None``) up to ``cut``, and its balance at ``cut``: one statement, one snapshot."""
    postings = Posting.objects.filter(account_id=OuterRef("pk"), created_at__lte=cut)
    if after is not None:
        postings = postings.filter(created_at__gt=after)

    def total(query, condition=None):
        if condition is not None:
            query = query.filter(condition)
        return Coalesce(
            Subquery(query.values("account_id").annotate(t=Sum("amount_minor")).values("t")[:1]),
            0,
        )

    later = Posting.objects.filter(account_id=OuterRef("pk"), created_at__gt=cut)
    balance, debits, credits, after_cut = (
        LedgerAccount.objects.filter(pk=card.revolving_account_id)
        .annotate(
            debits=total(postings, Q(amount_minor__gt=0)),
            credits=total(postings, Q(amount_minor__lt=0)),
            after_cut=total(later),
        )
        .values_list("balance_minor", "debits", "credits", "after_cut")
        .get()
    )
    return from_minor(debits), from_minor(-credits), from_minor(balance - after_cut)


def card_statement_close(*, card: Card, on: date | None = None) -> Card:
    """Closes a credit card's statement on ``on`` (the "fecha de corte"): records the
    month's ``CardStatement`` — the revolving receivable's charges and credits since the
    previous cut, its balance and the deferred one, the deferral installments due — and
    sets the card's minimum payment and due date from it.

    Once per card and month: when the month's statement exists, nothing changes and the
    card is returned as it is (a retried task, the beat and the demo close it once). Every
    service that moves a receivable takes the card's lock first, so the cut (the moment
    of the close, under that lock) divides the postings between statements exactly."""
    on = on or timezone.localdate()
    with transaction.atomic():
        locked = Card.objects.select_for_update().get(pk=card.pk)
        if not locked.is_credit:
            raise NotACreditCard
        previous = locked.statements.order_by("-statement_date", "-pk").first()
        if previous is not None and (previous.year, previous.month) >= (on.year, on.month):
            if (previous.year, previous.month) == (on.year, on.month):
                return locked
            raise ValueError(f"card {locked.pk} has a statement after {on}")
        installments = statement_installments_due(card=locked, on=on)
        cut = timezone.now()
        opened_after = previous.closed_at if previous else None
        charges, credits, closing = _revolving_movements(locked, after=opened_after, cut=cut)
        opening = closing - charges + credits
        if previous is not None and opening != previous.closing:
            # A posting booked into the previous period after it closed (a back-dated
            # load): this statement starts from what the ledger says.
            logger.warning(
                "card statement opening differs from the previous closing",
                extra={"card_id": locked.pk, "month": f"{on.year}-{on.month:02d}"},
            )
        deferred_account = LedgerAccount.objects.get(pk=locked.deferred_account_id)
        locked.statement_date = on
        # The installments billed above already sit on the revolving balance: the minimum
        # is 10 % of the rest, plus the installments whole.
        locked.minimum_payment = min(
            minimum_payment(closing - installments, installments),
            max(closing, ZERO) + deferred_account.balance,
        )
        locked.payment_due = payment_due_date(on)
        locked.save(update_fields=["statement_date", "minimum_payment", "payment_due"])
        CardStatement.objects.create(
            card=locked,
            year=on.year,
            month=on.month,
            statement_date=on,
            period_start=(
                previous.statement_date + timedelta(days=1)
                if previous
                else min(timezone.localdate(locked.issued_at), on)
            ),
            opened_after=opened_after,
            closed_at=cut,
            currency=deferred_account.currency,
            credit_limit=locked.credit_limit,
            opening=opening,
            charges=charges,
            credits=credits,
            closing=closing,
            deferred=deferred_account.balance,
            installments=installments,
            minimum_payment=locked.minimum_payment,
            payment_due=locked.payment_due,
        )
    return locked

"""Pago de tarjetas: paying a credit card from one of the owner's accounts
(``docs/cards.md``, "Payments").

- **A card of the cooperative** — the member's own, or another member's they registered —
  is paid at once and free of charge: under the card's row lock (the lock every service
  that moves its receivables takes first), one journal debits the origin account and
  credits the card's revolving receivable ("Utilizado rotativo"). What can be paid is
  what that receivable holds — the purchases and, once a statement billed them, the
  deferral installments: a deferred balance not yet billed is repaid by its installments,
  not by a payment, so a payment never takes the receivable below zero. The member's own
  card offers the statement's "Pago mínimo" and "Total" (less what was paid since the
  statement) as shortcuts.
- **Another institution's card** goes through the interbank rail: the amount to the SPI
  clearing book, the tariff "PAGO TARJETAS SPI" (commission and IVA) to its books, at once;
  the payment is *Por enviar* with the value date of an interbank transfer (the same day,
  or the next business day after the cut-off or on a weekend or holiday) and the
  settlement beat sends it (``cards.payment_settlement``).

Every rule is checked for the review and again inside the transaction that posts, on rows
read again under the lock; the same ``key`` returns the payment already made.
"""

from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from functools import partial

from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone

from accounts.models import Member, User
from cards.exceptions import CardError, NotACreditCard
from cards.models import ZERO, Card, CardPayee, CardPayment
from core.db.ids import next_id_sql
from core.masking import mask_number
from core.money import format_money, quantize
from core.notifications import notify
from core.profile import cooperative_current
from ledger import calendar
from ledger.books import book_account_id
from ledger.exceptions import IdempotencyConflict
from ledger.fees import FeeQuote, fee_lines, fee_quote
from ledger.models import Account as LedgerAccount
from ledger.models import Channel, Kind, Tariff
from ledger.services import Line, booking_time, journal_post
from products.institutions import institution_active
from products.models import DepositAccount


class CardPaymentError(CardError):
    message = "No pudimos realizar el pago de la tarjeta."


class InvalidPaymentAmount(CardPaymentError):
    message = "El monto a pagar debe ser mayor a cero, con hasta dos decimales."


class NothingDue(CardPaymentError):
    message = "Esta tarjeta no tiene valores pendientes de pago."


class AmountOverDue(CardPaymentError):
    message = "El monto supera el valor pendiente de pago de la tarjeta."


class PaymentOriginNotAllowed(CardPaymentError):
    message = "La cuenta de origen no permite pagos."


class PaymentCardNotAvailable(CardPaymentError):
    message = "Esta tarjeta ya no puede recibir pagos."


class PaymentNotEnoughFunds(CardPaymentError):
    message = "Saldo insuficiente en la cuenta de origen."


def cutoff_note(*, on: date | None = None) -> str:
    """The manual's "Nota importante" under an interbank card payment, with the
    profile's cut-off hour; ``on``: the day it will be processed, when not today."""
    cutoff = cooperative_current().cutoff_time
    note = (
        f"Si tu pago se realizó posterior a las {cutoff:%H}h{cutoff:%M} o feriados, se "
        "procesará el siguiente día laborable"
    )
    return f"{note}: se procesará el {on:%d/%m/%Y}." if on else f"{note}."


# --- What is owed ---------------------------------------------------------------------


@dataclass(frozen=True)
class PaymentFigures:
    """What a card of the cooperative owes now: ``due``, the most a payment may be (the
    revolving receivable), and the shortcuts of its last statement, less what was paid
    since: "Pago mínimo" and "Total" (never more than ``due``)."""

    due: Decimal
    minimum: Decimal
    total: Decimal
    payment_due: date | None
    currency: str


def _paid_since(card: Card, moment: datetime | None) -> Decimal:
    payments = CardPayment.objects.filter(card=card).exclude(status=CardPayment.Status.REJECTED)
    if moment is not None:
        payments = payments.filter(created_at__gt=moment)
    return payments.aggregate(total=Sum("amount"))["total"] or ZERO


def card_payment_figures(card: Card, *, revolving: LedgerAccount | None = None) -> PaymentFigures:
    """The figures of ``card`` (a credit card of the cooperative), read now: its revolving
    receivable (``revolving``, when the caller read it under the card's lock), its last
    statement and what was paid after that statement's cut."""
    revolving = revolving or LedgerAccount.objects.get(pk=card.revolving_account_id)
    due = max(revolving.balance, ZERO)
    statement = card.statements.order_by("-statement_date", "-pk").first()
    if statement is None:
        return PaymentFigures(due, ZERO, due, None, revolving.currency)
    paid = _paid_since(card, statement.closed_at)
    return PaymentFigures(
        due=due,
        minimum=min(max(card.minimum_payment - paid, ZERO), due),
        total=min(max(statement.closing - paid, ZERO), due),
        payment_due=card.payment_due,
        currency=revolving.currency,
    )


# --- The order and its quote ----------------------------------------------------------


@dataclass(frozen=True)
class CardPaymentOrder:
    """What the member asked for: ``card`` for a card of the cooperative (the member's
    own, or the one ``payee`` points at), ``payee`` alone for another institution's."""

    origin: DepositAccount
    amount: Decimal
    card: Card | None = None
    payee: CardPayee | None = None
    motive: str = ""

    @property
    def currency(self) -> str:
        return self.origin.ledger_account.currency

    @property
    def interbank(self) -> bool:
        return self.card is None

    @property
    def masked(self) -> str:
        return self.card.masked_number if self.card is not None else self.payee.masked_number

    @property
    def institution(self) -> str:
        if self.payee is not None:
            return self.payee.institution_name
        return cooperative_current().name.upper()

    @property
    def beneficiary(self) -> str:
        return self.payee.name if self.payee is not None else self.card.holder_name


@dataclass(frozen=True)
class CardPaymentQuote:
    order: CardPaymentOrder
    fee: FeeQuote
    value_date: date
    deferred: bool  # processed on a later business day (interbank only)

    @property
    def total(self) -> Decimal:
        """ "Total a debitar"."""
        return self.order.amount + self.fee.total

    def review(self) -> list[tuple[str, str]]:
        """ "Confirmar pago": amount, accounts, card, motive, commission, IVA, total."""
        order, currency = self.order, self.order.currency
        origin = order.origin
        rows = [
            ("Monto a pagar", format_money(order.amount, currency)),
            ("Cuenta de origen", f"{origin.product_type.name} {_masked_account(origin)}"),
            ("Tarjeta", f"{order.institution} · {order.beneficiary} · {order.masked}"),
            ("Motivo", order.motive or "—"),
            ("Comisión", format_money(self.fee.commission, currency)),
        ]
        if self.fee.iva:
            rows.append(("IVA", format_money(self.fee.iva, currency)))
        rows.append(("Total a debitar", format_money(self.total, currency)))
        if order.interbank:
            rows.append(("Fecha de proceso", self.value_date.strftime("%d/%m/%Y")))
        return rows


def _masked_account(account: DepositAccount) -> str:
    return mask_number(account.number)


def _check_amount(amount: Decimal) -> None:
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise InvalidPaymentAmount
    if amount <= 0 or quantize(amount) != amount:
        raise InvalidPaymentAmount


def _check_origin(member: Member, origin: DepositAccount) -> None:
    if origin.member_id != member.pk:
        raise PaymentOriginNotAllowed("La cuenta de origen no te pertenece.")
    if not origin.can_transact or origin.ledger_account.status != LedgerAccount.Status.ACTIVE:
        raise PaymentOriginNotAllowed


def _check_card(member: Member, order: CardPaymentOrder) -> None:
    payee = order.payee
    if payee is not None and (payee.member_id != member.pk or payee.deleted_at is not None):
        raise PaymentCardNotAvailable("La tarjeta no está registrada en tu lista.")
    if order.interbank:
        if payee is None:
            raise PaymentCardNotAvailable
        if institution_active(payee.institution_code) is None:
            raise PaymentCardNotAvailable("La entidad financiera de la tarjeta no está disponible.")
        return
    card = order.card
    if payee is None and card.member_id != member.pk:
        raise PaymentCardNotAvailable
    if payee is not None and payee.card_id != card.pk:
        raise PaymentCardNotAvailable
    if not card.is_credit:
        raise NotACreditCard
    if card.status == Card.Status.CANCELLED:
        raise PaymentCardNotAvailable("La tarjeta está cancelada.")


def _check_due(member: Member, order: CardPaymentOrder, revolving: LedgerAccount) -> None:
    """A card of the cooperative takes at most what its revolving receivable holds."""
    due = max(revolving.balance, ZERO)
    if due <= 0:
        raise NothingDue
    if order.amount > due:
        if order.card.member_id == member.pk:
            raise AmountOverDue(
                f"El monto supera lo que debes en la tarjeta: puedes pagar hasta "
                f"{format_money(due, revolving.currency)}."
            )
        raise AmountOverDue


def _checked(
    member: Member, order: CardPaymentOrder, now: datetime, revolving: LedgerAccount | None
) -> CardPaymentQuote:
    """Every rule, in the order the member is told about them."""
    _check_amount(order.amount)
    _check_origin(member, order.origin)
    _check_card(member, order)
    if not order.interbank:
        if revolving.currency != order.currency:
            raise CardPaymentError("La cuenta de origen y la tarjeta tienen monedas distintas.")
        _check_due(member, order, revolving)
    today = timezone.localdate(now)
    if order.interbank:
        fee = fee_quote(Tariff.Code.CARD_PAYMENT_INTERBANK, on=today)
        value_date = calendar.value_date(now)
    else:
        fee = FeeQuote(Tariff.Code.CARD_PAYMENT_INTERBANK, ZERO, ZERO, "", "")
        value_date = today
    quote = CardPaymentQuote(
        order=order, fee=fee, value_date=value_date, deferred=value_date != today
    )
    available = order.origin.ledger_account.available
    if available < quote.total:
        raise PaymentNotEnoughFunds(
            f"Saldo insuficiente: el total a debitar es "
            f"{format_money(quote.total, order.currency)} y tu saldo disponible es "
            f"{format_money(available, order.currency)}."
        )
    return quote


def card_payment_quote(
    *, member: Member, order: CardPaymentOrder, now: datetime | None = None
) -> CardPaymentQuote:
    """Checks ``order`` and returns its fee and value date, or raises the
    ``CardPaymentError`` of the first rule it breaks. Nothing is written."""
    now = now or timezone.now()
    revolving = None
    if order.card is not None:
        revolving = LedgerAccount.objects.get(pk=order.card.revolving_account_id)
    return _checked(member, order, now, revolving)


# --- Paying ---------------------------------------------------------------------------


def _refreshed(order: CardPaymentOrder) -> CardPaymentOrder:
    """The order's rows read again inside the transaction: the statuses and balances the
    checks see are the current ones."""
    return replace(
        order,
        origin=DepositAccount.objects.select_related("ledger_account", "product_type").get(
            pk=order.origin.pk
        ),
        card=Card.objects.get(pk=order.card.pk) if order.card is not None else None,
        payee=CardPayee.objects.get(pk=order.payee.pk) if order.payee is not None else None,
    )


def _lock(order: CardPaymentOrder) -> int:
    """Locks the card of the cooperative (or the registered card) being paid — payments
    to one card serialize, after any purchase or deferral holding it — and takes the new
    payment's id in the same statement."""
    table, row = (Card, order.card.pk) if order.card is not None else (CardPayee, order.payee.pk)
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {next_id_sql(CardPayment)} FROM {table._meta.db_table} "  # noqa: S608 - no input in the text
            f"WHERE id = %s{lock}",
            [row],
        )
        found = cursor.fetchone()
    if found is None:
        raise PaymentCardNotAvailable
    return found[0]


def _replayed(done: CardPayment, member: Member, order: CardPaymentOrder) -> CardPayment:
    same = (
        done.member_id == member.pk
        and done.origin_id == order.origin.pk
        and done.amount == order.amount
        and done.card_id == (order.card.pk if order.card is not None else None)
        and done.payee_id == (order.payee.pk if order.payee is not None else None)
    )
    if not same:
        raise IdempotencyConflict
    return done


def _lines(order: CardPaymentOrder, quote: CardPaymentQuote, key: str) -> list[Line]:
    origin = order.origin.ledger_account
    if order.interbank:
        return [
            Line.debit(origin, order.amount, f"PAGO TARJETA {order.institution} {order.masked}"),
            Line.credit(
                book_account_id("SPI_CLEARING", order.currency, spread=key),
                order.amount,
                f"PAGO TARJETA {order.masked}",
            ),
            *fee_lines(quote.fee, payer=origin, spread=key),
        ]
    return [
        Line.debit(origin, order.amount, f"PAGO TARJETA {order.masked}"),
        Line.credit(order.card.revolving_account_id, order.amount, "PAGO RECIBIDO"),
    ]


def card_payment_execute(
    *,
    member: Member,
    order: CardPaymentOrder,
    key: str,
    user: User | None = None,
    channel: str = Channel.WEB,
    notify: bool = True,
) -> CardPayment:
    """Pays ``order`` once per ``key``: the same key returns the payment already made (a
    replay with another card, account or amount raises ``IdempotencyConflict``). Raises
    the ``CardPaymentError`` of the first rule it breaks, with nothing written."""
    with transaction.atomic():
        payment_id = _lock(order)
        done = CardPayment.objects.filter(key=key).first()
        if done is not None:
            return _replayed(done, member, order)
        order = _refreshed(order)
        now = booking_time()
        revolving = None
        if order.card is not None:  # read after the lock: every earlier payment committed
            revolving = LedgerAccount.objects.get(pk=order.card.revolving_account_id)
        quote = _checked(member, order, now, revolving)
        payment = CardPayment(
            pk=payment_id,
            key=key,
            member=member,
            origin=order.origin,
            card=order.card,
            payee=order.payee,
            amount=order.amount,
            commission=quote.fee.commission,
            iva=quote.fee.iva,
            currency=order.currency,
            motive=order.motive,
            value_date=quote.value_date,
            status=CardPayment.Status.PENDING if order.interbank else CardPayment.Status.DONE,
            created_at=now,
        )
        posted = journal_post(
            key=f"card-payment:{key}",
            kind=Kind.CARD_PAYMENT,
            lines=_lines(order, quote, key),
            channel=channel,
            motive=order.motive or "Pago de tarjeta",
            actor=user,
            source=payment,
            value_date=quote.value_date,
            savepoint=False,  # any refusal ends this transaction
        )
        payment.journal_id = posted.journal_id
        payment.save(force_insert=True)
        if notify:
            transaction.on_commit(partial(card_payment_notify, payment.pk))
    return payment


def card_payment_notify(payment_id: int) -> None:
    """E-mails the member the payment, and the beneficiary of a registered card who left
    an address. The card only masked."""
    payment = CardPayment.objects.select_related(
        "member", "origin", "card", "payee", "journal"
    ).get(pk=payment_id)
    coop = cooperative_current()
    amount = format_money(payment.amount, payment.currency)
    when = timezone.localtime(payment.created_at).strftime("%d/%m/%Y a las %H:%M")
    masked = payment.card.masked_number if payment.card else payment.payee.masked_number
    reference = payment.journal.reference
    body = (
        f"Hola {payment.member.greeting_name}:\n\n"
        f"Pagaste {amount} a la tarjeta {masked} desde tu cuenta "
        f"{_masked_account(payment.origin)} el {when}.\n"
        f"Comprobante N.º {reference}.\n"
    )
    if payment.interbank:
        body += (
            f"Comisión e IVA: {format_money(payment.commission + payment.iva, payment.currency)}.\n"
        )
        if payment.value_date > timezone.localdate(payment.created_at):
            body += f"\n{cutoff_note(on=payment.value_date)}\n"
    body += f"\nSi no reconoces esta operación, llama de inmediato al {coop.call_center_phone}."
    notify(
        email=payment.member.email,
        subject=f"{coop.short_name}: pago de tarjeta",
        body=body,
        kind="Comprobante de pago de tarjeta",
    )
    if payment.payee is not None and payment.payee.email:
        notify(
            email=payment.payee.email,
            subject=f"{coop.short_name}: pagaron tu tarjeta",
            body=(
                f"Hola {payment.payee.name}:\n\n{payment.member.full_name} pagó {amount} a tu "
                f"tarjeta {masked} el {when}. Comprobante N.º {reference}.\n"
            ),
            kind="Pago de tarjeta recibido",
        )

"""Pago de Servicios: looking up a reference's bills (``biller_inquire``), what a payment
costs (``bill_quote``), paying once per key (``bill_pay``) and learning what became of a
payment the biller did not answer (``bill_payment_resolve``).

A payment is two-phase, because the biller is another system that may not answer:

1. in one transaction, the ``BillPayment`` row (*held*) and a hold on the origin account
   for the total — no expiry: only this module releases it — then commit;
2. ``network.pay`` outside any transaction, under the payment's key;
3. confirmed: one journal captures the hold (the account debited, the biller's payable
   book and the fee books credited), the row *paid*; refused: the hold released, the row
   *refused*; no answer: the row *resolving*, the hold kept, and
   ``payments.tasks.resolve_bill_payment`` asks again with backoff.

The member is never charged for a payment the biller did not confirm, and a payment is
never made twice: the network pays once per key, and both the request and the resolver
move the row under its lock.
"""

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import Member, User
from core.db.rows import rows_insert
from core.errors import DomainError
from core.masking import mask_number
from core.money import format_money
from core.notifications import notify
from core.profile import cooperative_current
from ledger.books import book_account_id
from ledger.exceptions import IdempotencyConflict, InsufficientFunds
from ledger.fees import FeeQuote, fee_lines, fee_quote
from ledger.models import Channel, Kind, Tariff
from ledger.services import (
    HoldRequest,
    Line,
    accounts_lock,
    hold_place,
    hold_release,
    holds_place,
    journal_post,
)
from payments.exceptions import (
    AmountOutOfRange,
    BillAlreadyPaid,
    BillChanged,
    BillerUnavailable,
    BillRefused,
    CurrencyMismatch,
    InvalidAmount,
    JointSignature,
    NoDebt,
    OriginNotAllowed,
    PaymentError,
    ReferenceInvalid,
)
from payments.models import Biller, BillPayment
from payments.network import (
    Bill,
    BillerNetwork,
    BillerTimeout,
    Confirmation,
    PayOrder,
    network_get,
)
from payments.queries import payment_locked, payments_of_key_and_bill
from products.models import DepositAccount

logger = logging.getLogger(__name__)

CENT = Decimal("0.01")
# The movement the member's statement shows for a bill payment (the manual's statement).
DEBIT_DESCRIPTION = "ND RECAUDACIONES WEB APP"
# A payment still *held* this long after it was created lost the process that was asking
# the biller: the sweep takes it over (asks, or pays again with the same key). Longer
# than any connector's timeout.
STALE_HELD = timedelta(minutes=5)
# When the resolver asks the biller again: after 1, 2, 5, 10 and 30 minutes, then every
# 30 minutes until a day has passed; then every 6 hours, staff told at each check, until
# the biller answers: money held for a payment the biller confirmed (or refused) late
# must not stay held for good.
RETRY_DELAYS = (60, 120, 300, 600, 1800)
RETRY_EVERY = 1800
GIVE_UP_AFTER = timedelta(hours=24)
REVIEW_EVERY = timedelta(hours=6)
# A resolving payment whose next check is this overdue lost its task: the sweep queues it.
SWEEP_AFTER = timedelta(minutes=5)
UNRESOLVED = (BillPayment.State.HELD, BillPayment.State.RESOLVING)
# A bill the biller listed this recently (a scheduled run's inquiry, moments before its
# payment) is not asked for again before the money is held: the network's payment
# refuses a bill no longer pending, or of another amount, anyway.
FRESH_INQUIRY = timedelta(seconds=60)


# --- inquiry and quote -----------------------------------------------------------------


def _check_biller(biller: Biller) -> None:
    category = biller.category
    if (
        not biller.is_active
        or not category.is_active
        or category.cooperative_id != cooperative_current().pk
    ):
        raise BillerUnavailable


def _check_reference(biller: Biller, reference: str) -> str:
    reference = reference.strip()
    error = biller.reference_error(reference)
    if error:
        raise ReferenceInvalid(error)
    return reference


def biller_inquire(*, biller: Biller, reference: str) -> list[Bill]:
    """The bills pending for ``reference`` ("Consultar"), oldest first. Raises
    ``ReferenceInvalid`` with the biller's own message before asking the network, then
    ``NoDebt`` or ``BillerUnavailable``. A top-up biller has no bills: ``[]``."""
    _check_biller(biller)
    reference = _check_reference(biller, reference)
    if biller.mode == Biller.Mode.AMOUNT:
        return []
    return network_get().inquire(biller_code=biller.code, reference=reference)


def biller_inquire_many(*, requests: list[tuple[Biller, str]]) -> list[list[Bill] | Exception]:
    """:func:`biller_inquire` for each ``(biller, reference)`` of ``requests`` (a run of
    scheduled payments), answered in their order: the bills, or what ``biller_inquire``
    would have raised, as the answer's value. The network is asked once for all
    (``BillerNetwork.inquire_many``); should that fail as a whole, one by one."""
    answers: list[list[Bill] | Exception] = [[] for _ in requests]
    asked, positions = [], []
    for n, (biller, reference) in enumerate(requests):
        try:
            _check_biller(biller)
            reference = _check_reference(biller, reference)
        except DomainError as exc:
            answers[n] = exc
            continue
        if biller.mode == Biller.Mode.BILLS:
            asked.append((biller.code, reference))
            positions.append(n)
    if asked:
        network = network_get()
        try:
            got = network.inquire_many(requests=asked)
            if len(got) != len(asked):
                raise ValueError("the network answered another number of inquiries")
        except Exception:
            logger.exception("biller network batch inquiry failed", extra={"count": len(asked)})
            got = BillerNetwork.inquire_many(network, requests=asked)
        for n, answer in zip(positions, got, strict=True):
            answers[n] = answer
    return answers


@dataclass(frozen=True)
class BillQuote:
    """ "Valores a pagar": Monto, Comisión (and IVA), Total a pagar."""

    amount: Decimal
    commission: Decimal
    iva: Decimal

    @property
    def total(self) -> Decimal:
        return self.amount + self.commission + self.iva


def bill_quote(*, biller: Biller, amount: Decimal) -> BillQuote:
    """The commission of ``biller`` (its own tariff row, else the general one) on today's
    tariff: the manual's Monto $7.13 + Comisión $0.31 = Total a Pagar $7.44."""
    fee = fee_quote(Tariff.Code.BILL_PAYMENT, subject=biller.code)
    return BillQuote(amount=amount, commission=fee.commission, iva=fee.iva)


# --- paying ------------------------------------------------------------------------------


@dataclass(frozen=True)
class BillOrder:
    """What the member confirmed: a bill (its number and the amount they saw) or a
    top-up (no bill number, the amount they typed)."""

    origin: DepositAccount
    biller: Biller
    reference: str
    amount: Decimal
    bill_number: str = ""
    description: str = ""
    # When the biller listed this bill, if the caller asked it moments ago (``None``: the
    # member saw it a while back, and it is asked again).
    inquired_at: datetime | None = None


def _check_amount(amount: Decimal) -> None:
    if not amount.is_finite() or amount <= 0 or amount != amount.quantize(CENT):
        raise InvalidAmount


def _check_origin(member: Member, origin: DepositAccount, biller: Biller) -> None:
    """The refusals of the transfers app for an origin account, in its words."""
    if origin.member_id != member.pk:
        raise OriginNotAllowed("La cuenta de origen no te pertenece.")
    if origin.signature == DepositAccount.Signature.JOINT:
        raise JointSignature
    if not origin.can_transact or origin.ledger_account.status != "active":
        raise OriginNotAllowed
    if origin.ledger_account.currency != biller.currency:
        raise CurrencyMismatch


def bill_origin_check(*, member: Member, origin: DepositAccount, biller: Biller) -> None:
    """Whether ``member`` may pay ``biller`` from ``origin`` (a scheduled payment's
    account, checked when it is registered): the refusals of ``bill_pay`` for it."""
    _check_origin(member, origin, biller)


def _check_range(biller: Biller, amount: Decimal) -> None:
    if not biller.min_amount <= amount <= biller.max_amount:
        currency = biller.currency
        raise AmountOutOfRange(
            f"El monto debe estar entre {format_money(biller.min_amount, currency)} y "
            f"{format_money(biller.max_amount, currency)}."
        )


def _bill_taken(biller: Biller, reference: str, bill_number: str) -> bool:
    return (
        BillPayment.objects.filter(biller=biller, reference=reference, bill_number=bill_number)
        .exclude(state=BillPayment.State.REFUSED)
        .exists()
    )


def _checked_bill(order: BillOrder, reference: str, taken: bool | None = None) -> Bill:
    """The bill the member confirmed, as the biller reports it now (or reported it
    within ``FRESH_INQUIRY``). ``taken``: whether another payment has it, if the caller
    read it already."""
    if not order.bill_number:
        raise PaymentError("Elige la factura que deseas pagar.")
    if taken is None:
        taken = _bill_taken(order.biller, reference, order.bill_number)
    if taken:
        raise BillAlreadyPaid
    if order.inquired_at is not None and timezone.now() - order.inquired_at <= FRESH_INQUIRY:
        return Bill(number=order.bill_number, description=order.description, amount=order.amount)
    try:
        bills = network_get().inquire(biller_code=order.biller.code, reference=reference)
    except NoDebt:
        bills = []
    bill = next((b for b in bills if b.number == order.bill_number), None)
    if bill is None:
        # Paid meanwhile from another key (another tab, a schedule), or no longer due.
        if _bill_taken(order.biller, reference, order.bill_number):
            raise BillAlreadyPaid
        raise BillChanged if bills else NoDebt
    if bill.amount != order.amount:
        raise BillChanged(
            f"El valor de la factura cambió: ahora es "
            f"{format_money(bill.amount, order.biller.currency)}. Consulta de nuevo tus "
            "valores a pagar."
        )
    return bill


@dataclass(frozen=True)
class CheckedOrder:
    reference: str
    quote: BillQuote
    bill_number: str
    description: str


def _checked(member: Member, order: BillOrder, taken: bool | None = None) -> CheckedOrder:
    """Every rule of ``order`` against the owner's account, the catalog and the biller
    (asked again for a bill): the refusal of the first one broken, else its quote.
    ``taken``: whether another payment has the bill, when the caller read it already."""
    biller = order.biller
    _check_biller(biller)
    _check_amount(order.amount)
    _check_origin(member, order.origin, biller)
    reference = _check_reference(biller, order.reference)
    if biller.mode == Biller.Mode.AMOUNT:
        _check_range(biller, order.amount)
    quote = bill_quote(biller=biller, amount=order.amount)
    if order.origin.ledger_account.available < quote.total:
        raise InsufficientFunds
    bill_number, description = "", order.description
    if biller.mode == Biller.Mode.BILLS:
        bill = _checked_bill(order, reference, taken)
        bill_number, description = bill.number, order.description or bill.description
    return CheckedOrder(reference, quote, bill_number, description)


def bill_order_check(*, member: Member, order: BillOrder) -> BillQuote:
    """What ``bill_pay`` would refuse, said before the code is sent ("Confirmar pago"):
    raises the first rule broken, else returns the quote. Nothing is held or written."""
    return _checked(member, _refreshed(order)).quote


def bill_pay(
    *,
    member: Member,
    order: BillOrder,
    key: str,
    user: User | None = None,
    channel: str = Channel.WEB,
    schedule_id: int | None = None,
    refresh: bool = True,
) -> BillPayment:
    """Pays ``order`` once per ``key``: the same key returns the same payment and does
    nothing else. Returns it *paid*, or *resolving* when the biller did not answer (the
    page says "Por confirmar"; a task learns the outcome, the money stays held).

    Raises the ``DomainError`` of the first rule broken, with nothing written; or, the
    money held and released again, ``BillRefused`` / ``BillerUnavailable`` when the
    biller refused the payment (the row stays, *refused*).

    A replay while the first request is still asking the biller returns the payment
    *held* (its outcome follows on the first request, or on the resolver).

    ``refresh=False`` says the caller read the order's account and biller just now
    (``BillPay.execute``): they are not read again.

    Must be called outside any transaction: the hold commits before the biller is asked,
    so that a crash while waiting for the biller leaves a row the sweep recovers."""
    done, taken = _key_and_bill(order, key)
    if done is None:
        try:
            payment = _held(
                member=member,
                order=_refreshed(order) if refresh else order,
                key=key,
                user=user,
                channel=channel,
                schedule_id=schedule_id,
                taken=taken,
            )
        except (DomainError, IntegrityError):
            # The same key, sent twice at once: the first one's row explains the refusal.
            done = BillPayment.objects.filter(key=key).first()
            if done is None:
                raise
        else:
            return _send(payment)
    return _replayed(done, member, order)


def _key_and_bill(order: BillOrder, key: str) -> tuple[BillPayment | None, bool | None]:
    """In one read: the payment ``key`` made already, if any, and — for a bill — whether
    another payment (not refused) has the bill (``None`` for a top-up)."""
    number = order.bill_number
    rows = payments_of_key_and_bill(
        key=key, biller_id=order.biller.pk, reference=order.reference.strip(), bill_number=number
    )
    done = next((p for p in rows if p.key == key), None)
    if not number:
        return done, None
    return done, any(p.key != key and p.state != BillPayment.State.REFUSED for p in rows)


def _held(
    *,
    member: Member,
    order: BillOrder,
    key: str,
    user: User | None,
    channel: str,
    schedule_id: int | None,
    taken: bool | None = None,
) -> BillPayment:
    """Phase 1: every rule checked, then the row and the hold for the total, committed."""
    checked = _checked(member, order, taken)
    biller, reference, quote = order.biller, checked.reference, checked.quote
    bill_number, description = checked.bill_number, checked.description
    origin = order.origin.ledger_account
    payment = BillPayment(
        key=key,
        member=member,
        origin=order.origin,
        biller=biller,
        reference=reference,
        bill_number=bill_number,
        description=description[:120],
        amount=order.amount,
        commission=quote.commission,
        iva=quote.iva,
        total=quote.total,
        currency=origin.currency,
        channel=channel,
        created_by=user,
        schedule_id=schedule_id,
    )
    try:
        with transaction.atomic(durable=True):
            payment.save(force_insert=True)
            payment.hold = hold_place(
                account=origin,
                amount=quote.total,
                key=f"bill:{key}",
                description=f"PAGO DE SERVICIOS POR CONFIRMAR {biller.name}"[:120],
                expires_at=None,  # released only by this module, never by the expiry sweep
                source=payment,
                savepoint=False,  # any refusal ends this transaction
            )
            payment.save(update_fields=["hold"])
    except IntegrityError:
        if bill_number and _bill_taken(biller, reference, bill_number):
            raise BillAlreadyPaid from None
        raise
    return payment


@dataclass
class HeldBill:
    """One bill of :func:`bill_payments_hold`: what ``bill_pay`` checked for it (the
    caller: a run of scheduled payments) and, once held, its payment."""

    member: Member
    order: BillOrder
    quote: BillQuote
    key: str
    channel: str
    schedule_id: int | None = None
    payment: BillPayment | None = None


def bill_payments_hold(*, bills: list[HeldBill]) -> list[BillPayment]:
    """``bill_pay``'s first phase for many bills, in the caller's transaction (which any
    error ends): the rows *held* and their holds, in a few statements for all — the
    rows in one INSERT, the holds through ``ledger.services.holds_place`` (the accounts
    locked once, in id order, each hold checked against the earlier ones), the rows'
    holds in one UPDATE. The same rows ``bill_pay`` writes; the caller checked each
    order as ``bill_pay`` does (the biller, the account, the funds, the bill not taken).
    A refusal or a key already used refuses the batch: the caller pays its bills one by
    one (``bill_pay``), which finds whatever committed by its key."""
    if not bills:
        return []
    rows = []
    for bill in bills:
        order, quote = bill.order, bill.quote
        bill.payment = BillPayment(
            key=bill.key,
            member=bill.member,
            origin=order.origin,
            biller=order.biller,
            reference=order.reference.strip(),
            bill_number=order.bill_number,
            description=order.description[:120],
            amount=order.amount,
            commission=quote.commission,
            iva=quote.iva,
            total=quote.total,
            currency=order.origin.ledger_account.currency,
            channel=bill.channel,
            created_by=None,
            schedule_id=bill.schedule_id,
        )
        rows.append(bill.payment)
    rows_insert(rows)
    holds = holds_place(
        requests=[
            HoldRequest(
                account_id=p.origin.ledger_account_id,
                amount=p.total,
                key=f"bill:{p.key}",
                description=f"PAGO DE SERVICIOS POR CONFIRMAR {p.biller.name}"[:120],
                expires_at=None,  # released only by this module, never by the expiry sweep
                source=p,
            )
            for p in rows
        ]
    )
    for payment, hold in zip(rows, holds, strict=True):
        payment.hold = hold
    _set_many("payments_billpayment", {p.pk: {"hold_id": p.hold_id} for p in rows})
    return rows


def _set_many(table: str, rows: dict[int, dict[str, object]], **same) -> None:
    """One UPDATE of ``table``: each row's own values (``rows`` by id, the same columns
    for every row) and, for all of them, the columns of ``same``."""
    columns = list(next(iter(rows.values())))
    sets = [
        f"{column} = CASE id {' '.join('WHEN %s THEN %s' for _ in rows)} END" for column in columns
    ]
    params = [v for column in columns for pk, values in rows.items() for v in (pk, values[column])]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {', '.join([*sets, *(f'{name} = %s' for name in same)])} "  # noqa: S608 - no input in the text
            f"WHERE id IN ({', '.join(['%s'] * len(rows))})",
            [*params, *same.values(), *rows],
        )


def bill_payments_send(*, payments: list[BillPayment]) -> list[Confirmation | Exception]:
    """``bill_pay``'s second phase for many payments *held* by
    :func:`bill_payments_hold`, outside any transaction: the biller asked once for all
    (``BillerNetwork.pay_many``; should that fail as a whole, one by one). Each answer,
    in their order, is a confirmation or what ``network.pay`` raised; the caller acts on
    each as ``bill_pay`` does: :func:`bill_payments_capture`, ``_refuse`` or ``_await``."""
    network = network_get()
    orders = [
        PayOrder(
            biller_code=p.biller.code,
            reference=p.reference,
            bill_number=p.bill_number,
            amount=p.amount,
            key=p.key,
        )
        for p in payments
    ]
    try:
        answers = network.pay_many(orders=orders)
        if len(answers) != len(orders):
            raise ValueError("the network answered another number of payments")
    except Exception:
        logger.exception("biller network batch payment failed", extra={"count": len(orders)})
        answers = BillerNetwork.pay_many(network, orders=orders)
    return answers


def bill_payment_answered(payment: BillPayment, answer: Exception) -> BillPayment:
    """What ``bill_pay`` does with a payment the biller did not confirm: refused (or
    never sent) → the hold released, *refused*, and the refusal raised; anything else →
    *resolving*, the hold kept, the resolver queued (returned)."""
    if isinstance(answer, (BillRefused, BillerUnavailable)):
        _refuse(payment, reason=answer.message, notify_member=False)
        raise answer
    if not isinstance(answer, BillerTimeout):
        logger.error("biller network failed", extra={"payment": payment.pk, "error": repr(answer)})
    return _await(payment)


def bill_payments_capture(
    *, confirmed: list[tuple[BillPayment, Confirmation]], now: datetime | None = None
) -> list[BillPayment]:
    """``bill_pay``'s third phase, confirmed, for many payments, in the caller's
    transaction (which any error ends): the payments locked (id order), then every
    account their journals post to (``ledger.services.accounts_lock``, id order: two
    batches never wait for each other in a cycle), each hold captured into its journal
    (``journal_post``, as ``_capture`` posts it) and the rows *paid* in one UPDATE.
    A payment no longer *held* (the resolver took it) is left out: returns the ones
    captured here, *paid*. The caller captures one by one (``bill_payment_capture``)
    when this fails."""
    if not confirmed:
        return []
    now = now or timezone.now()
    ids = sorted(p.pk for p, _ in confirmed)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM payments_billpayment "  # noqa: S608 - no input in the text
            f"WHERE id IN ({', '.join(['%s'] * len(ids))}) AND state = %s ORDER BY id FOR UPDATE",
            [*ids, BillPayment.State.HELD],
        )
        held = {row[0] for row in cursor.fetchall()}
    captured = [(p, c, _lines(p)) for p, c in confirmed if p.pk in held]
    if not captured:
        return []
    accounts_lock(account_ids=[line.account_id for _, _, lines in captured for line in lines])
    for payment, confirmation, lines in captured:
        posted = journal_post(
            key=f"bill:{payment.key}",
            kind=Kind.BILL_PAYMENT,
            lines=lines,
            channel=payment.channel,
            motive=f"Pago de servicios {payment.biller.name}"[:200],
            actor=payment.created_by,
            source=payment,
            capture_holds=[payment.hold],
            savepoint=False,  # any refusal ends this transaction
        )
        payment.journal_id = posted.journal_id
        payment.state = BillPayment.State.PAID
        payment.network_reference = confirmation.network_reference[:60]
        payment.resolved_at = now
        payment.next_check_at = None
    payments = [p for p, _, _ in captured]
    _set_many(
        "payments_billpayment",
        {
            p.pk: {"journal_id": p.journal_id, "network_reference": p.network_reference}
            for p in payments
        },
        state=BillPayment.State.PAID,
        resolved_at=now,
        next_check_at=None,
    )
    return payments


def bill_payment_capture(payment: BillPayment, confirmation: Confirmation) -> BillPayment:
    """One confirmed payment captured on its own, as ``bill_pay`` captures it: *paid*;
    or, the ledger refusing (the account blocked meanwhile), *resolving* for the
    resolver, the money held."""
    try:
        return _capture(payment, confirmation, notify_member=False)
    except Exception:
        logger.exception("confirmed bill payment not captured", extra={"payment": payment.pk})
        return _await(payment)


def _refreshed(order: BillOrder) -> BillOrder:
    """The order with its account and biller read now: the statuses and the available
    balance the checks see are the current ones (the hold checks the balance again)."""
    return replace(
        order,
        origin=DepositAccount.objects.select_related("ledger_account", "product_type").get(
            pk=order.origin.pk
        ),
        biller=Biller.objects.select_related("category__cooperative").get(pk=order.biller.pk),
    )


def _replayed(done: BillPayment, member: Member, order: BillOrder) -> BillPayment:
    same = (
        done.member_id == member.pk
        and done.origin_id == order.origin.pk
        and done.biller_id == order.biller.pk
        and done.reference == order.reference.strip()
        and done.amount == order.amount
        and (not order.bill_number or done.bill_number == order.bill_number)
    )
    if not same:
        raise IdempotencyConflict
    return done


def _send(payment: BillPayment) -> BillPayment:
    """Phase 2: asks the biller, outside any transaction, and acts on its answer."""
    try:
        confirmation = network_get().pay(
            biller_code=payment.biller.code,
            reference=payment.reference,
            bill_number=payment.bill_number,
            amount=payment.amount,
            key=payment.key,
        )
    except (BillRefused, BillerUnavailable) as exc:
        # Nothing was paid: the money is available again, and the member reads why.
        _refuse(payment, reason=exc.message, notify_member=False)
        raise
    except Exception as exc:  # a timeout, or anything else: the outcome is unknown
        if not isinstance(exc, BillerTimeout):
            logger.exception("biller network failed", extra={"payment": payment.pk})
        return _await(payment)
    try:
        return _capture(payment, confirmation, notify_member=False)
    except Exception:
        # The biller took it but the ledger refused the capture (the account was blocked
        # meanwhile): the money stays held and the resolver tries again, then staff.
        logger.exception("confirmed bill payment not captured", extra={"payment": payment.pk})
        return _await(payment)


def _lines(payment: BillPayment) -> list[Line]:
    """The journal of a confirmed payment: the origin debited the total; the biller's
    payable book credited the amount, the fee books the commission and its IVA."""
    spread = f"bill:{payment.key}"
    origin = payment.origin.ledger_account
    biller = payment.biller
    tariff = fee_quote(
        Tariff.Code.BILL_PAYMENT, on=timezone.localdate(payment.created_at), subject=biller.code
    )
    fee = FeeQuote(
        code=Tariff.Code.BILL_PAYMENT,
        commission=payment.commission,
        iva=payment.iva,
        commission_description=tariff.commission_description or "COMISIÓN PAGO DE SERVICIOS",
        iva_description=tariff.iva_description or "IVA PAGO DE SERVICIOS",
    )
    payable = book_account_id(biller.payable_book, payment.currency, spread=spread)
    return [
        Line.debit(origin, payment.amount, DEBIT_DESCRIPTION),
        Line.credit(
            payable, payment.amount, f"RECAUDACION {biller.name} {payment.reference}"[:120]
        ),
        *fee_lines(fee, payer=origin, spread=spread),
    ]


def _locked(payment: BillPayment) -> BillPayment:
    return payment_locked(payment.pk)


def _capture(
    payment: BillPayment, confirmation: Confirmation, *, notify_member: bool
) -> BillPayment:
    """Phase 3, confirmed: the hold captured into the journal, the row *paid*."""
    with transaction.atomic(durable=True):
        locked = _locked(payment)
        if locked.state == BillPayment.State.PAID:
            return locked
        if locked.state == BillPayment.State.REFUSED:
            # Cannot happen while the network keeps its promises: staff must look.
            logger.error(
                "biller confirmed a refused payment",
                extra={"payment": locked.pk, "network_reference": confirmation.network_reference},
            )
            return locked
        posted = journal_post(
            key=f"bill:{locked.key}",
            kind=Kind.BILL_PAYMENT,
            lines=_lines(locked),
            channel=locked.channel,
            motive=f"Pago de servicios {locked.biller.name}"[:200],
            actor=locked.created_by,
            source=locked,
            capture_holds=[locked.hold],
            savepoint=False,  # any refusal ends this transaction
        )
        locked.journal_id = posted.journal_id
        locked.state = BillPayment.State.PAID
        locked.network_reference = confirmation.network_reference[:60]
        locked.resolved_at = timezone.now()
        locked.next_check_at = None
        locked.save(
            update_fields=["journal", "state", "network_reference", "resolved_at", "next_check_at"]
        )
        if notify_member:
            _notify_resolved(locked)
    return locked


def _refuse(payment: BillPayment, *, reason: str, notify_member: bool) -> BillPayment:
    """Phase 3, refused: the hold released, the row *refused*."""
    with transaction.atomic(durable=True):
        locked = _locked(payment)
        if locked.state not in UNRESOLVED:
            return locked
        if locked.hold is not None:
            hold_release(hold=locked.hold)
        locked.state = BillPayment.State.REFUSED
        locked.reason = reason[:200]
        locked.resolved_at = timezone.now()
        locked.next_check_at = None
        locked.save(update_fields=["state", "reason", "resolved_at", "next_check_at"])
        if notify_member:
            _notify_resolved(locked)
    return locked


def _await(payment: BillPayment) -> BillPayment:
    """Phase 3, no answer: the row *resolving*, the hold kept, the resolver queued."""
    due = timezone.now() + timedelta(seconds=RETRY_DELAYS[0])
    with transaction.atomic(durable=True):
        moved = BillPayment.objects.filter(pk=payment.pk, state=BillPayment.State.HELD).update(
            state=BillPayment.State.RESOLVING, next_check_at=due
        )
        if moved:
            transaction.on_commit(partial(_enqueue, payment.pk, due))
    payment.refresh_from_db()
    return payment


def _enqueue(payment_id: int, due) -> None:
    """Queues the resolver for ``due``, the payment's ``next_check_at``: a task queued
    for another moment (a lost one the sweep replaced) finds it changed and stops."""
    from payments.tasks import resolve_bill_payment

    try:
        resolve_bill_payment.apply_async(
            (payment_id,),
            {"due": due.isoformat()},
            countdown=max((due - timezone.now()).total_seconds(), 0),
        )
    except Exception:  # the broker is down: the sweep queues it again
        if getattr(resolve_bill_payment.app.conf, "task_always_eager", False):
            raise
        logger.exception("bill payment resolver not queued", extra={"payment": payment_id})


# --- resolving ---------------------------------------------------------------------------


def bill_payment_resolve(*, payment: BillPayment) -> BillPayment:
    """Learns what became of a payment the biller did not answer — *resolving*, or *held*
    by a process that died while asking — and finishes it: confirmed → the hold captured,
    *paid*; refused → the hold released, *refused*, and the member told the money is
    available again; still unknown → it stays as it is (the task asks again later).

    Asks ``network.status`` and, while the network does not know the key, sends the
    payment again under the same key (paid once whatever happens). Idempotent, and safe
    beside the request that is still waiting for its answer: both move the row under its
    lock. Returns the payment as it is now."""
    current = BillPayment.objects.select_related("biller", "origin__ledger_account").get(
        pk=payment.pk
    )
    if current.state not in UNRESOLVED:
        return current
    BillPayment.objects.filter(pk=current.pk).update(checks=F("checks") + 1)
    network = network_get()
    try:
        confirmation = network.status(key=current.key)
        if confirmation is None:
            confirmation = network.pay(
                biller_code=current.biller.code,
                reference=current.reference,
                bill_number=current.bill_number,
                amount=current.amount,
                key=current.key,
            )
    except BillRefused as exc:
        return _refuse(current, reason=exc.message, notify_member=True)
    except Exception as exc:  # no answer, unavailable, anything: still unknown
        if not isinstance(exc, (BillerTimeout, DomainError)):
            logger.exception("biller network failed", extra={"payment": current.pk})
        current.refresh_from_db()
        return current
    try:
        return _capture(current, confirmation, notify_member=True)
    except Exception:  # the ledger refused the capture: the money stays held
        logger.exception("confirmed bill payment not captured", extra={"payment": current.pk})
        current.refresh_from_db()
        return current


def bill_payment_next_check(*, payment: BillPayment) -> datetime:
    """When the resolver asks the biller again about the unresolved ``payment`` — after
    1, 2, 5, 10 and 30 minutes, then every 30 — stored as its ``next_check_at``. Once a
    day of asking has not told, the payment, its money still held, is asked about every
    ``REVIEW_EVERY``, and each such check that does not tell logs an error for staff (the
    admin lists resolving payments). It is never left unasked: a payment the biller
    confirmed after the first day (or whose check then met a passing failure) would keep
    the member's money held and the biller unpaid in the books."""
    now = timezone.now()
    review_from = payment.created_at + GIVE_UP_AFTER
    if review_from <= now:
        logger.error(
            "bill payment needs review",
            extra={"payment": payment.pk, "key": payment.key, "checks": payment.checks},
        )
        due = now + REVIEW_EVERY
    else:
        checks = max(payment.checks, 1)
        delay = RETRY_DELAYS[checks] if checks < len(RETRY_DELAYS) else RETRY_EVERY
        due = now + timedelta(seconds=delay)
    BillPayment.objects.filter(pk=payment.pk).update(next_check_at=due)
    return due


def bill_payments_sweep(*, now: datetime | None = None) -> int:
    """The beat's safety net: queues the resolver for payments whose task was lost — a
    *resolving* payment whose next check is more than ``SWEEP_AFTER`` overdue (or that
    has none: one left unasked after a day by an earlier version), a *held*
    one older than ``STALE_HELD`` (the process asking the biller died). Returns how many.

    Each is given a new ``next_check_at``, so a lost task that turns up later stops."""
    now = now or timezone.now()
    lost = list(
        BillPayment.objects.filter(
            Q(next_check_at__lt=now - SWEEP_AFTER) | Q(next_check_at__isnull=True),
            state=BillPayment.State.RESOLVING,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    lost += (
        BillPayment.objects.filter(state=BillPayment.State.HELD, created_at__lt=now - STALE_HELD)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for payment_id in lost:
        BillPayment.objects.filter(pk=payment_id, state__in=UNRESOLVED).update(next_check_at=now)
        _enqueue(payment_id, now)
    return len(lost)


# --- telling the member ------------------------------------------------------------------


def _notify_resolved(payment: BillPayment) -> None:
    """E-mail and SMS once a payment the member saw "Por confirmar" is known."""
    coop = cooperative_current()
    member = payment.member
    total = format_money(payment.total, payment.currency)
    account = mask_number(payment.origin.number)
    what = f"tu pago de {payment.biller.name} (referencia {payment.reference}) por {total}"
    if payment.state == BillPayment.State.PAID:
        subject = f"{coop.short_name}: pago de servicio confirmado"
        body = (
            f"Hola {member.greeting_name}:\n\n{what[0].upper()}{what[1:]} fue confirmado por "
            f"la empresa y se debitó de tu cuenta {account}. Comprobante N.º "
            f"{payment.journal_id}.\n"
        )
        sms = f"{coop.short_name}: {what} fue confirmado. Comprobante N.º {payment.journal_id}."
    else:
        subject = f"{coop.short_name}: pago de servicio no realizado"
        body = (
            f"Hola {member.greeting_name}:\n\n{what[0].upper()}{what[1:]} no se realizó: la "
            f"empresa no lo aceptó. No se debitó ningún valor: el monto retenido ya está "
            f"disponible en tu cuenta {account}.\n"
        )
        sms = (
            f"{coop.short_name}: {what} no se realizó. El monto retenido ya está disponible "
            f"en tu cuenta {account}."
        )
    body += f"\nSi tienes dudas, llama al {coop.call_center_phone}."
    notify(email=member.email, subject=subject, body=body, kind="Pago de servicio")
    notify(phone=member.mobile_phone, body=sms, kind="Pago de servicio")

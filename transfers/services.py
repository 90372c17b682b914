"""Transfers: what a member asks for (``TransferOrder``), what it will cost and when it
takes effect (``transfer_quote``), and doing it exactly once (``transfer_execute``).

Every rule is checked twice: for the review step, and again inside the transaction that
moves the money, under a lock on the member's row. The lock is what makes the limits hold
when the same member sends several transfers at once: each one reads the running totals
only after the previous one has committed. The ledger itself refuses to overdraw the
origin account whatever happens before it.

A transfer is a few round trips: the lock sent together with one read of its accounts and
beneficiary and one of what the member already sent (``transfers.queries``, written out
because compiling ORM queries cost more than running them), the journal, then the
transfer row with its notices. The catalogs — profile, tariff, limits, books, calendar —
come from the process's copy (``core.cached``), and the journal names the transfer as
its source.
"""

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from accounts.models import Member, User
from core.cached import catalog_generation
from core.db.rows import Reading, reading_run, readings_run, rows_inserting
from core.masking import mask_number
from core.money import format_money
from core.notifications import notification_rows, notifications_storing
from core.profile import cooperative_current
from ledger import calendar
from ledger.books import book_account_id
from ledger.exceptions import IdempotencyConflict
from ledger.fees import FeeQuote, fee_lines, fee_quote
from ledger.models import Channel, Journal, Kind, Tariff
from ledger.services import Line, booking_time, journal_post
from products.models import DepositAccount
from products.queries import journal_legs_reading
from transfers.exceptions import (
    CoolingOff,
    CurrencyMismatch,
    DestinationNotAllowed,
    FundsDeclarationRequired,
    InstitutionNotAvailable,
    InvalidAmount,
    JointSignature,
    NotEnoughFunds,
    OriginNotAllowed,
    SameAccount,
    TransferError,
)
from transfers.limits import PERIODS, Limits, limits_combine, limits_enforce, period_starts
from transfers.models import Beneficiary, Transfer, TransferKind
from transfers.queries import Sent, member_locking, order_rows_reading, sent_reading

CENT = Decimal("0.01")
DEFERRED_NOTE = (
    "Si tu transferencia se realizó posterior a las 15h00 o feriados, se procesará el "
    "siguiente día laborable"
)
JOURNAL_KIND = {
    TransferKind.OWN: Kind.TRANSFER_OWN,
    TransferKind.INTERNAL: Kind.TRANSFER_INTERNAL,
    TransferKind.INTERBANK: Kind.TRANSFER_INTERBANK,
}
TARIFF = {
    TransferKind.OWN: Tariff.Code.TRANSFER_OWN,
    TransferKind.INTERNAL: Tariff.Code.TRANSFER_INTERNAL,
    TransferKind.INTERBANK: Tariff.Code.TRANSFER_INTERBANK,
}
# The movement descriptions of the manuals' account statements.
DESCRIPTIONS = {
    TransferKind.OWN: ("TRANSFERENCIA ENTRE CUENTAS MISMO CLIENTE",) * 2,
    TransferKind.INTERNAL: ("TRANSFERENCIA A CUENTA TERCEROS", "TRANSFERENCIA DE CUENTA TERCEROS"),
    TransferKind.INTERBANK: ("ND TRANSFERENCIA PAGO DIRECTO", "ND TRANSFERENCIA PAGO DIRECTO"),
}


@dataclass(frozen=True)
class TransferOrder:
    """What the member asked for. ``destination`` is the credited account of an own or
    Cooprogreso transfer; ``beneficiary`` who receives a Cooprogreso or interbank one."""

    kind: str
    origin: DepositAccount
    amount: Decimal
    destination: DepositAccount | None = None
    beneficiary: Beneficiary | None = None
    motive: str = ""
    funds_origin: str = ""
    funds_destination: str = ""

    @property
    def currency(self) -> str:
        return self.origin.ledger_account.currency

    @property
    def destination_label(self) -> str:
        if self.kind == TransferKind.OWN:
            return self.destination.masked_name
        beneficiary = self.beneficiary
        where = (
            beneficiary.institution.name
            if beneficiary.kind == Beneficiary.Kind.EXTERNAL
            else cooperative_current().short_name
        )
        return f"{beneficiary.name} · {where} {mask_number(beneficiary.account_number)}"


@dataclass(frozen=True)
class TransferQuote:
    order: TransferOrder
    fee: FeeQuote
    value_date: date
    deferred: bool
    funds_required: bool

    @property
    def total(self) -> Decimal:
        """ "Total a debitar"."""
        return self.order.amount + self.fee.total

    def review(self) -> list[tuple[str, str]]:
        """The "Confirmar transferencia" lines, in the manual's order."""
        order, currency = self.order, self.order.currency
        rows = [
            ("Monto", format_money(order.amount, currency)),
            (
                "Cuenta de origen",
                order.origin.masked_name,
            ),
            ("Cuenta de destino", order.destination_label),
            ("Motivo", order.motive or "—"),
            ("Comisión", format_money(self.fee.commission, currency)),
        ]
        if self.fee.iva:
            rows.append(("IVA", format_money(self.fee.iva, currency)))
        rows.append(("Total a debitar", format_money(self.total, currency)))
        if order.funds_origin:
            rows += [
                ("Origen de fondos", order.funds_origin),
                ("Destino de fondos", order.funds_destination),
            ]
        if order.kind == TransferKind.INTERBANK:
            rows.append(("Fecha de proceso", self.value_date.strftime("%d/%m/%Y")))
        return rows


def _check_amount(amount: Decimal) -> None:
    if not amount.is_finite() or amount <= 0 or amount != amount.quantize(CENT):
        raise InvalidAmount


def _check_accounts(member: Member, order: TransferOrder) -> None:
    origin = order.origin
    if origin.member_id != member.pk:
        raise OriginNotAllowed("La cuenta de origen no te pertenece.")
    if origin.signature == DepositAccount.Signature.JOINT:
        raise JointSignature
    if not origin.can_transact or origin.ledger_account.status != "active":
        raise OriginNotAllowed
    if order.kind == TransferKind.INTERBANK:
        beneficiary = order.beneficiary
        if beneficiary is None or beneficiary.kind != Beneficiary.Kind.EXTERNAL:
            raise TransferError("Elige un beneficiario de otra institución.")
        if not beneficiary.institution.is_active:
            raise InstitutionNotAvailable
        return
    destination = order.destination
    if order.kind == TransferKind.OWN:
        if destination is None or destination.member_id != member.pk:
            raise DestinationNotAllowed("Elige una de tus otras cuentas como destino.")
    else:
        beneficiary = order.beneficiary
        if beneficiary is None or beneficiary.kind != Beneficiary.Kind.INTERNAL:
            raise TransferError("Elige un beneficiario Cooprogreso.")
        destination = beneficiary.account
        if destination is None or order.destination != destination:
            raise DestinationNotAllowed
    if destination.pk == origin.pk:
        raise SameAccount
    if destination.status != DepositAccount.Status.ACTIVE or (
        destination.ledger_account.status != "active"
    ):
        raise DestinationNotAllowed
    if destination.ledger_account.currency != order.currency:
        raise CurrencyMismatch


def _check_beneficiary_owned(member: Member, order: TransferOrder) -> None:
    beneficiary = order.beneficiary
    if beneficiary is not None and (
        beneficiary.member_id != member.pk or beneficiary.deleted_at is not None
    ):
        raise TransferError("El beneficiario no está registrado en tu lista.")


def cooling_off_until(beneficiary: Beneficiary | None, now: datetime) -> datetime | None:
    """When the first-payment cap of a newly registered beneficiary ends, if it has not."""
    hours = cooperative_current().new_beneficiary_hours
    if beneficiary is None or not hours:
        return None
    until = beneficiary.created_at + timedelta(hours=hours)
    return until if now < until else None


def cooling_off_note(beneficiary: Beneficiary | None, currency: str) -> str:
    """What the review says about a beneficiary still under the first-payment cap."""
    until = cooling_off_until(beneficiary, timezone.now())
    if until is None:
        return ""
    cap = format_money(cooperative_current().new_beneficiary_limit, currency)
    return (
        f"Registraste este beneficiario hace poco: por tu seguridad, hasta el "
        f"{timezone.localtime(until):%d/%m/%Y a las %H:%M} puedes transferirle hasta {cap} "
        "en total."
    )


def _sent(member: Member, order: TransferOrder, now: datetime, *, key: str = "") -> Sent:
    """What the member already sent that the rules of ``order`` count, their own limits
    and the transfer of ``key``, read on its own (a quote's)."""
    return _summed(member, reading_run(_sent_reading(member, order, now, key=key)), now)


def _sent_reading(
    member: Member, order: TransferOrder, now: datetime, *, key: str = ""
) -> Reading[Sent]:
    """``transfers.queries.sent_reading`` for ``order``: under the member's lock it sees
    every transfer committed before. ``order.beneficiary``'s registration date, which
    decides whether its first payments are counted, never changes."""
    coop = cooperative_current()
    window_since, currencies = None, ()
    if coop.funds_origin_threshold is not None:
        window_since = now - timedelta(days=coop.funds_origin_window_days)
        currencies = tuple(dict.fromkeys(["USD", coop.currency]))
    payee = order.beneficiary if cooling_off_until(order.beneficiary, now) else None
    return sent_reading(
        member_id=member.pk,
        kind=order.kind,
        periods=period_starts(now),
        window_since=window_since,
        currencies=currencies,
        payee=payee,
        payee_since=now - timedelta(hours=coop.new_beneficiary_hours) if payee else None,
        key=key,
    )


def _summed(member: Member, sent: Sent, now: datetime) -> Sent:
    """``sent`` with the window's sums per currency when a currency without an official
    rate was sent in it (a rare second query, to say so)."""
    if not sent.window_other:
        return sent
    window_since = now - timedelta(days=cooperative_current().funds_origin_window_days)
    sums = (
        Transfer.objects.filter(member=member, created_at__gte=window_since)
        .exclude(status=Transfer.Status.REJECTED)
        .values("currency")
        .annotate(total=Sum("amount"))
    )
    return replace(sent, window={row["currency"]: row["total"] for row in sums})


def _check_cooling_off(order: TransferOrder, now: datetime, sent: Sent) -> None:
    """For the profile's hours after a beneficiary is registered, all transfers to its
    account together (within those hours) stay under the first-payment cap."""
    coop = cooperative_current()
    until = cooling_off_until(order.beneficiary, now)
    if until is None:
        return
    cap = coop.new_beneficiary_limit
    if sent.to_payee + order.amount > cap:
        left = max(cap - sent.to_payee, Decimal("0.00"))
        raise CoolingOff(
            f"Por tu seguridad, durante las primeras {coop.new_beneficiary_hours} horas "
            f"después de registrar un beneficiario puedes transferirle hasta "
            f"{format_money(cap, order.currency)} en total. Hasta el "
            f"{timezone.localtime(until):%d/%m/%Y a las %H:%M} te quedan "
            f"{format_money(left, order.currency)} para este beneficiario."
        )


def _funds_required(order: TransferOrder, sent: Sent) -> bool:
    """Whether the profile's cumulative threshold (in USD, over its window of days) is
    passed with this transfer: then the origin and destination of the funds are asked."""
    coop = cooperative_current()
    if coop.funds_origin_threshold is None:
        return False
    total = sum(
        (coop.in_usd(amount, currency) for currency, amount in sent.window.items() if amount),
        Decimal("0"),
    )
    return total + coop.in_usd(order.amount, order.currency) > coop.funds_origin_threshold


def _check_funds_declaration(order: TransferOrder, required: bool) -> None:
    if required and not (order.funds_origin.strip() and order.funds_destination.strip()):
        coop = cooperative_current()
        raise FundsDeclarationRequired(
            f"Tus transferencias de los últimos {coop.funds_origin_window_days} días superan "
            f"{format_money(coop.funds_origin_threshold, 'USD')}: indica el origen y el "
            f"destino de los fondos."
        )


def transfer_quote(*, member: Member, order: TransferOrder, now: datetime | None = None):
    """Checks ``order`` and returns its fees and value date, or raises a ``DomainError``
    saying what is wrong. Nothing is written."""
    now = now or timezone.now()
    with catalog_generation():
        return _checked(member, order, now, _sent(member, order, now))


def _checked(member: Member, order: TransferOrder, now: datetime, sent: Sent) -> TransferQuote:
    """Every rule, in the order the member is told about them."""
    _check_amount(order.amount)
    _check_beneficiary_owned(member, order)
    _check_accounts(member, order)
    quote = _quote(order, now, sent)
    if order.origin.ledger_account.available < quote.total:
        raise NotEnoughFunds(
            f"Saldo insuficiente: el total a debitar es {format_money(quote.total, order.currency)}"
            f" y tu saldo disponible es "
            f"{format_money(order.origin.ledger_account.available, order.currency)}."
        )
    own = Limits(order.kind, *sent.own) if sent.own else None
    limits = limits_combine(kind=order.kind, own=own)
    if any(limits.get(period) is not None for period, _ in PERIODS):
        limits_enforce(limits=limits, totals=sent.periods, amount=order.amount)
    _check_cooling_off(order, now, sent)
    _check_funds_declaration(order, quote.funds_required)
    return quote


def _quote(order: TransferOrder, now: datetime, sent: Sent) -> TransferQuote:
    if order.kind == TransferKind.INTERBANK:
        value_date = calendar.value_date(now)
    else:
        value_date = timezone.localdate(now)
    return TransferQuote(
        order=order,
        fee=fee_quote(TARIFF[order.kind], on=timezone.localdate(now)),
        value_date=value_date,
        deferred=value_date != timezone.localdate(now),
        funds_required=_funds_required(order, sent),
    )


def _lines(order: TransferOrder, fee: FeeQuote, key: str) -> list[Line]:
    debit_text, credit_text = DESCRIPTIONS[order.kind]
    origin = order.origin.ledger_account
    if order.kind == TransferKind.INTERBANK:
        credited = book_account_id("SPI_CLEARING", order.currency, spread=key)
    else:
        credited = order.destination.ledger_account
    return [
        Line.debit(origin, order.amount, debit_text),
        Line.credit(credited, order.amount, credit_text),
        *fee_lines(fee, payer=origin, spread=key),
    ]


def transfer_execute(
    *,
    member: Member,
    order: TransferOrder,
    key: str,
    user: User | None = None,
    channel: str = Channel.WEB,
    payee_check: str = "",
    notify: bool = True,
    receipt: bool = False,
) -> Transfer:
    """Does ``order`` once per ``key``: the same key returns the transfer already made.
    ``notify``: e-mail the member and the beneficiary (not for loaded history): the notices
    are stored in the transfer's transaction and sent once it commits. ``receipt``: read
    the journal's legs as posted, for the receipt (``transfer.receipt_legs``; ``None``
    otherwise, and for a transfer found by its key).

    Raises the ``DomainError`` of the first rule it breaks, with nothing written.

    The round trips: the member's lock (which also takes the new transfer's id) with the
    accounts and the beneficiary read again under it and what was sent with the member's
    limits (one exchange), the journal (one ``ledger_post`` call), then the transfer row,
    its e-mail notices and the legs for the receipt (one exchange). The catalogs it
    reads — the profile, the tariff, the cooperative's limits, the books — come from the
    process's copy (``core.cached``)."""
    with catalog_generation(), transaction.atomic():
        # The transfer's moment is when it was asked for, read before the member's lock:
        # one that waits for the member's previous transfer keeps it (its day, limits
        # and cut-off), as a teller's queue does.
        now = booking_time()
        transfer_id, order, sent = _locked(member, order, now, key=key)
        if sent.done is not None:
            done = _replayed(Transfer.objects.get(pk=sent.done), member, order)
            done.receipt_legs = None
            return done
        quote = _checked(member, order, now, sent)
        interbank = order.kind == TransferKind.INTERBANK
        transfer = Transfer(
            pk=transfer_id,
            key=key,
            member=member,
            kind=order.kind,
            origin=order.origin,
            destination=order.destination,
            beneficiary=order.beneficiary,
            amount=order.amount,
            commission=quote.fee.commission,
            iva=quote.fee.iva,
            currency=order.currency,
            motive=order.motive,
            funds_origin=order.funds_origin.strip() if quote.funds_required else "",
            funds_destination=order.funds_destination.strip() if quote.funds_required else "",
            payee_check=payee_check,
            value_date=quote.value_date,
            status=Transfer.Status.PENDING if interbank else Transfer.Status.DONE,
            created_at=now,
        )
        posted = journal_post(
            key=f"transfer:{key}",
            kind=JOURNAL_KIND[order.kind],
            lines=_lines(order, quote.fee, key),
            channel=channel,
            motive=order.motive or TransferKind(order.kind).label,
            actor=user,
            source=transfer,
            value_date=quote.value_date,
            savepoint=False,  # any refusal ends this transaction
        )
        transfer.journal_id = posted.journal_id
        # The row, its notices (queued for delivery once this commits) and, for a receipt,
        # the journal's legs as posted: one exchange.
        readings = [rows_inserting([transfer])]
        if notify and (notices := notification_rows(transfer_notices(transfer))):
            readings.append(notifications_storing(notices))
        if receipt:
            readings.append(journal_legs_reading(journal_id=posted.journal_id))
        made = readings_run(*readings)
        transfer.receipt_legs = made[-1] if receipt else None
    return transfer


def _locked(
    member: Member, order: TransferOrder, now: datetime, *, key: str
) -> tuple[int, TransferOrder, Sent]:
    """The member's lock and the new transfer's id; the order with its accounts and
    beneficiary read again under the lock, so the balances and statuses the checks see are
    the current ones; and what the member sent (``_sent``). Three statements in one
    round trip: the server runs both reads once the lock is held."""
    transfer_id, (origin, destination, beneficiary), sent = readings_run(
        member_locking(member.pk),
        order_rows_reading(
            origin_id=order.origin.pk,
            destination_id=order.destination.pk if order.destination else None,
            beneficiary_id=order.beneficiary.pk if order.beneficiary else None,
        ),
        _sent_reading(member, order, now, key=key),
    )
    if order.beneficiary is not None and beneficiary is None:
        raise Beneficiary.DoesNotExist
    order = replace(order, origin=origin, destination=destination, beneficiary=beneficiary)
    return transfer_id, order, _summed(member, sent, now)


def _replayed(done: Transfer, member: Member, order: TransferOrder) -> Transfer:
    same = (
        done.member_id == member.pk
        and done.kind == order.kind
        and done.origin_id == order.origin.pk
        and done.amount == order.amount
        and done.destination_id == (order.destination.pk if order.destination else None)
        and done.beneficiary_id == (order.beneficiary.pk if order.beneficiary else None)
    )
    if not same:
        raise IdempotencyConflict
    return done


def kind_label(kind: str) -> str:
    """The transfer kind's name as the menu says it, with the profile's short name."""
    if kind == TransferKind.INTERNAL:
        return f"Transferencias {cooperative_current().short_name}"
    return TransferKind(kind).label


def _what(kind: str, coop) -> str:
    return {
        TransferKind.OWN: "transferencia entre tus cuentas",
        TransferKind.INTERNAL: f"transferencia {coop.short_name}",
        TransferKind.INTERBANK: "transferencia interbancaria",
    }[kind]


def transfer_notices(transfer: Transfer) -> list[dict]:
    """The e-mails to the member and, if the beneficiary left an address, to the
    beneficiary (``core.notifications.notify``'s arguments): ``transfer_execute`` stores
    them inside the transfer's transaction (rolled back, nothing is sent) and they are
    queued once it commits; a mail relay that fails is logged by the worker, never shown
    as an error. ``transfer``: the one ``transfer_execute`` is writing, with the member,
    accounts and beneficiary it was made with (not read again)."""
    coop = cooperative_current()
    amount = format_money(transfer.amount, transfer.currency)
    when = timezone.localtime(transfer.created_at).strftime("%d/%m/%Y a las %H:%M")
    reference = Journal.reference_of(transfer.journal_id)
    to_whom = (
        f"tu cuenta {mask_number(transfer.destination.number)}"
        if transfer.kind == TransferKind.OWN
        else transfer.beneficiary.name
    )
    body = (
        f"Hola {transfer.member.greeting_name}:\n\n"
        f"Realizaste una {_what(transfer.kind, coop)} de {amount} "
        f"desde tu cuenta {mask_number(transfer.origin.number)} a {to_whom} el {when}.\n"
        f"Comprobante N.º {reference}.\n"
    )
    if transfer.status == Transfer.Status.PENDING and transfer.value_date > timezone.localdate(
        transfer.created_at
    ):
        body += f"\n{DEFERRED_NOTE}: {transfer.value_date:%d/%m/%Y}.\n"
    body += f"\nSi no reconoces esta operación, llama de inmediato al {coop.call_center_phone}."
    notices = [
        {
            "email": transfer.member.email,
            "subject": f"{coop.short_name}: transferencia",
            "body": body,
            "kind": "Comprobante de transferencia",
        }
    ]
    if transfer.beneficiary and transfer.beneficiary.email:
        notices.append(
            {
                "email": transfer.beneficiary.email,
                "subject": f"{coop.short_name}: te enviaron una transferencia",
                "body": (
                    f"Hola {transfer.beneficiary.name}:\n\n{transfer.member.full_name} te "
                    f"transfirió {amount} a tu cuenta "
                    f"{mask_number(transfer.beneficiary.account_number)} el {when}. "
                    f"Comprobante N.º {reference}.\n"
                ),
                "kind": "Transferencia recibida",
            }
        )
    return notices

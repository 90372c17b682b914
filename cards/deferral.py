"""Diferir consumos: purchases of a credit card's current period repaid in fixed monthly
installments ("Simulación diferida": Total a diferir, Número de cuotas, Valor interés,
Valor cuota mensual).

- **Pricing** — the French method at the card's monthly rate (``annual_rate / 12``):
  a fixed installment ``P·i / (1 − (1+i)^−n)`` rounded half-up to cents
  (``products.amortization.fixed_payment``); each month's interest is the balance times
  the monthly rate, rounded half-up; the capital is what the installment leaves, and the
  last installment takes the balance left, so the capital sums to the amount deferred.
  The manuals' $13.24 over 3 months at 15.6 % → $4.53 a month, $0.17 of interest first.
- **Deferring** (``card_defer``) — under the card's row lock, one journal moves the total
  from the revolving receivable ("Utilizado rotativo") to the deferred one ("Utilizado
  diferido"): what the card uses, and so its available limit, does not change. The
  purchases are linked to their deferral, each at most once (a unique column), and the
  schedule is stored as agreed.
- **Billing** (``deferral_installments_due``, called by ``card_statement_close``) — each
  statement close bills every open deferral's next installment: its capital back from
  deferred to revolving and its interest to revolving against the interest income book.
  What the member owes is then on the revolving receivable, where payments go.

See ``docs/cards.md``.
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import groupby

from django.db import transaction
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce
from django.http import Http404

from accounts.models import Member, User
from cards.exceptions import CardError, CardNotActive, NotACreditCard
from cards.models import (
    DEFERRAL_TERMS,
    Card,
    CardDeferral,
    CardDeferralInstallment,
    CardDeferredPurchase,
    CardPurchase,
)
from cards.selectors import member_card, member_cards
from cards.services import statement_installments_register
from core.money import format_money, quantize
from ledger.books import book_account_id
from ledger.exceptions import IdempotencyConflict
from ledger.models import Account as LedgerAccount
from ledger.models import Channel, Kind
from ledger.services import Line, booking_time, journal_post
from products.amortization import fixed_payment

ZERO = Decimal("0.00")
MONTHS = 12


# --- refusals -------------------------------------------------------------------------


class DeferralError(CardError):
    message = "No pudimos diferir los consumos."


class NothingToDefer(DeferralError):
    message = "Selecciona al menos un consumo a diferir."


class DeferralTermInvalid(DeferralError):
    message = "Elige un plazo de 3, 6, 9, 12, 18, 24 o 36 meses."


class PurchaseNotOfCard(DeferralError):
    message = "Uno de los consumos elegidos no es de esta tarjeta."


class PurchaseAlreadyDeferred(DeferralError):
    message = "Uno de los consumos elegidos ya fue diferido."


class PurchaseAlreadyBilled(DeferralError):
    message = (
        "Uno de los consumos elegidos ya está en tu estado de cuenta: solo puedes diferir "
        "consumos posteriores a la última fecha de corte."
    )


class DeferralOverBalance(DeferralError):
    message = "El total a diferir supera tu saldo rotativo."


class DeferralTooSmall(DeferralError):
    message = "El total a diferir es muy bajo para ese plazo; elige menos cuotas."


class DeferralTermsChanged(DeferralError):
    message = "Las condiciones del diferido cambiaron. Vuelve a simularlo."


# --- pricing --------------------------------------------------------------------------


@dataclass(frozen=True)
class InstallmentRow:
    number: int
    capital: Decimal
    interest: Decimal

    @property
    def total(self) -> Decimal:
        return self.capital + self.interest


def deferral_schedule(
    *, amount: Decimal, annual_rate: Decimal, installments: int
) -> tuple[Decimal, list[InstallmentRow]]:
    """The fixed monthly installment of ``amount`` over ``installments`` months at
    ``annual_rate`` (a fraction: 0.156) and the whole table. The last row takes the
    balance left, so its installment may differ by a few cents from the others."""
    payment = fixed_payment(amount, annual_rate / MONTHS, installments)
    rows, balance = [], amount
    for number in range(1, installments + 1):
        interest = quantize(balance * annual_rate / MONTHS)
        last = number == installments
        capital = balance if last else min(max(payment - interest, ZERO), balance)
        rows.append(InstallmentRow(number, capital, interest))
        balance -= capital
    return payment, rows


@dataclass(frozen=True)
class DeferralQuote:
    """What "Simulación diferida" shows, for the purchases chosen on one card."""

    card: Card
    purchases: list[CardPurchase]
    amount: Decimal  # "Total a diferir"
    installment: Decimal  # "Valor cuota mensual"
    rows: list[InstallmentRow]
    currency: str

    @property
    def installments(self) -> int:  # "Número de cuotas"
        return len(self.rows)

    @property
    def first_interest(self) -> Decimal:
        """ "Valor interés" as the manual's simulation prints it: the first month's."""
        return self.rows[0].interest

    @property
    def total_interest(self) -> Decimal:
        return sum((row.interest for row in self.rows), ZERO)


# --- reading, scoped to the owner -----------------------------------------------------

# A purchase still in the current period: after the card's last "fecha de corte".
_UNBILLED = Q(card__statement_date__isnull=True) | Q(
    purchased_at__date__gt=F("card__statement_date")
)


# A purchase some deferral moved already.
_DEFERRED = Exists(CardDeferredPurchase.objects.filter(purchase=OuterRef("pk")))


def _deferrable() -> QuerySet[CardPurchase]:
    return CardPurchase.objects.filter(_UNBILLED).exclude(_DEFERRED)


def member_credit_cards(*, member: Member) -> list[Card]:
    """The member's credit cards that are not cancelled, with both receivables."""
    return [card for card in member_cards(member=member) if card.is_credit]


def member_credit_card(*, member: Member, public_id) -> Card:
    """One of the member's credit cards; anybody else's card, or a debit card, is a 404."""
    card = member_card(member=member, public_id=public_id)
    if not card.is_credit:
        raise Http404
    return card


def deferrable_purchases(*, card: Card) -> list[CardPurchase]:
    """ "Selecciona las transacciones a diferir": the card's purchases of the current
    period not deferred yet, newest first."""
    return list(_deferrable().filter(card=card).order_by("-purchased_at", "-pk"))


def member_deferrable_purchases(*, member: Member) -> list[CardPurchase]:
    """Every purchase the member could defer now, on any of their credit cards."""
    return list(
        _deferrable()
        .filter(card__member=member, card__kind=Card.Kind.CREDIT)
        .order_by("-purchased_at", "-pk")
    )


def card_deferrals(*, cards: Iterable[Card]) -> list[CardDeferral]:
    """The deferrals of ``cards``, newest first, each with ``billed`` (installments
    billed so far) and ``pending`` (capital not billed yet: still "Utilizado diferido")."""
    unbilled = CardDeferralInstallment.objects.filter(
        deferral=OuterRef("pk"), billed_on__isnull=True
    )
    billed = CardDeferralInstallment.objects.filter(
        deferral=OuterRef("pk"), billed_on__isnull=False
    )
    return list(
        CardDeferral.objects.filter(card__in=list(cards))
        .select_related("card")
        .annotate(
            billed=Coalesce(_aggregate(billed, Count("pk")), 0),
            pending=Coalesce(_aggregate(unbilled, Sum("capital")), ZERO),
        )
        .order_by("-created_at", "-pk")
    )


def _aggregate(rows: QuerySet, aggregate) -> Subquery:
    """``aggregate`` over ``rows`` (correlated with ``OuterRef``) as a scalar subquery."""
    return Subquery(rows.values("deferral").annotate(value=aggregate).values("value")[:1])


# --- deferring ------------------------------------------------------------------------


def _ids(purchases: Iterable) -> set[uuid.UUID]:
    try:
        return {uuid.UUID(str(p)) for p in purchases}
    except ValueError:
        raise PurchaseNotOfCard from None


def _quoted(card: Card, wanted: set[uuid.UUID], installments: int, revolving) -> DeferralQuote:
    """Every rule of a deferral, against ``revolving`` (the card's revolving receivable
    as read now). Raises the first one broken."""
    if not card.is_credit:
        raise NotACreditCard
    if card.status != Card.Status.ACTIVE:
        raise CardNotActive(f"La tarjeta {card.masked_number} está {card.get_status_display()}.")
    if installments not in DEFERRAL_TERMS:
        raise DeferralTermInvalid
    if not wanted:
        raise NothingToDefer
    purchases = list(
        CardPurchase.objects.filter(card=card, public_id__in=wanted)
        .annotate(
            deferred=_DEFERRED,
            unbilled=ExpressionWrapper(_UNBILLED, output_field=BooleanField()),
        )
        .order_by("purchased_at", "pk")
    )
    if len(purchases) != len(wanted):
        raise PurchaseNotOfCard
    if any(p.deferred for p in purchases):
        raise PurchaseAlreadyDeferred
    if not all(p.unbilled for p in purchases):
        raise PurchaseAlreadyBilled
    amount = sum((p.amount for p in purchases), ZERO)
    currency = revolving.currency
    if amount > revolving.balance:
        raise DeferralOverBalance(
            f"El total a diferir ({format_money(amount, currency)}) supera tu saldo "
            f"rotativo ({format_money(revolving.balance, currency)})."
        )
    installment, rows = deferral_schedule(
        amount=amount, annual_rate=card.annual_rate, installments=installments
    )
    if installment <= 0:
        raise DeferralTooSmall
    return DeferralQuote(card, purchases, amount, installment, rows, currency)


def deferral_quote(*, card: Card, purchases: Iterable, installments: int) -> DeferralQuote:
    """ "Simulación diferida" of the purchases (public ids) of ``card`` over
    ``installments`` months, with every rule checked against the card and its revolving
    balance as they are now (``card_defer`` checks them again under the card's lock)."""
    revolving = LedgerAccount.objects.get(pk=card.revolving_account_id)
    return _quoted(card, _ids(purchases), installments, revolving)


def card_defer(
    *,
    card: Card,
    purchases: Iterable,
    installments: int,
    key: str,
    user: User | None = None,
    channel: str = Channel.WEB,
    quoted_installment: Decimal | None = None,
) -> CardDeferral:
    """Defers the purchases (public ids) of ``card`` over ``installments`` months: one
    journal moves their total from the revolving to the deferred receivable, and the
    deferral, its purchases and its schedule are stored.

    Everything is checked again under the card's row lock (the lock purchases, payments
    and statement closes take first), against the balances read after it. With
    ``quoted_installment`` — what the member confirmed — a different installment now
    (the card's rate changed) refuses the deferral.

    Idempotent by ``key``: a replay returns the first deferral and posts nothing; the same
    key with another card, purchases or term raises ``IdempotencyConflict``. A refusal
    changes nothing."""
    wanted = _ids(purchases)
    with transaction.atomic():
        locked = Card.objects.select_for_update().get(pk=card.pk)
        done = CardDeferral.objects.filter(idempotency_key=key).first()
        if done is not None:
            same = set(done.items.values_list("purchase__public_id", flat=True)) == wanted
            if done.card_id != locked.pk or done.installments_count != installments or not same:
                raise IdempotencyConflict
            return done
        if not locked.is_credit:
            raise NotACreditCard
        revolving = LedgerAccount.objects.get(pk=locked.revolving_account_id)
        quote = _quoted(locked, wanted, installments, revolving)
        if quoted_installment is not None and quoted_installment != quote.installment:
            raise DeferralTermsChanged
        deferral = CardDeferral.objects.create(
            card=locked,
            idempotency_key=key,
            amount=quote.amount,
            installments_count=installments,
            annual_rate=locked.annual_rate,
            installment=quote.installment,
            created_at=booking_time(),
            created_by=user,
            channel=channel,
        )
        CardDeferredPurchase.objects.bulk_create(
            CardDeferredPurchase(deferral=deferral, purchase=p) for p in quote.purchases
        )
        CardDeferralInstallment.objects.bulk_create(
            CardDeferralInstallment(
                deferral=deferral, number=row.number, capital=row.capital, interest=row.interest
            )
            for row in quote.rows
        )
        what = quote.purchases[0].description if len(quote.purchases) == 1 else "CONSUMOS"
        description = f"DIFERIDO {installments} MESES {what}"[:120]
        posted = journal_post(
            key=f"card_deferral:{key}",
            kind=Kind.CARD_DEFERRAL,
            lines=[
                Line.debit(locked.deferred_account_id, quote.amount, description),
                Line.credit(locked.revolving_account_id, quote.amount, description),
            ],
            channel=channel,
            motive=f"Diferido a {installments} meses",
            actor=user,
            source=deferral,
            savepoint=False,  # any refusal ends this transaction
        )
        deferral.journal_id = posted.journal_id
        deferral.save(update_fields=["journal_id"])
    return deferral


# --- billing --------------------------------------------------------------------------


def deferral_installments_due(*, card: Card, period_end: date) -> list[CardDeferralInstallment]:
    """The deferral installments the statement closing on ``period_end`` bills: for each
    deferral of ``card`` made by that day, its next installment — capital moved back from
    the deferred to the revolving receivable, interest charged to revolving against the
    interest income book. Returns them (each with ``total``), so the close adds them to
    the statement and to the minimum payment.

    Called by ``card_statement_close`` with the card's row locked. Running it again for
    the same ``period_end`` bills nothing more and returns the same installments; a
    deferral already billed by a later statement is left alone."""
    open_deferrals = CardDeferral.objects.filter(
        card=card, created_at__date__lte=period_end
    ).filter(Q(schedule__billed_on__isnull=True) | Q(schedule__billed_on__gte=period_end))
    rows = (
        CardDeferralInstallment.objects.filter(deferral__in=open_deferrals)
        .select_related("deferral")
        .order_by("deferral_id", "number")
    )
    billed, to_bill = [], []
    for _, schedule in groupby(rows, key=lambda row: row.deferral_id):
        schedule = list(schedule)
        billed_here = [row for row in schedule if row.billed_on == period_end]
        if billed_here:
            billed += billed_here
        elif not any(row.billed_on and row.billed_on > period_end for row in schedule):
            to_bill += [row for row in schedule if row.billed_on is None][:1]
    if to_bill:
        currency = LedgerAccount.objects.values_list("currency", flat=True).get(
            pk=card.revolving_account_id
        )
        billed += [_bill(card, row, period_end, currency) for row in to_bill]
    return billed


def _bill(
    card: Card, row: CardDeferralInstallment, period_end: date, currency: str
) -> CardDeferralInstallment:
    """Posts one installment to the statement of ``period_end`` and marks it billed."""
    deferral = row.deferral
    label = f"CUOTA {row.number}/{deferral.installments_count} DIFERIDO"
    key = f"card_deferral:{deferral.public_id}:cuota:{row.number}"
    lines = []
    if row.capital:
        lines += [
            Line.debit(card.revolving_account_id, row.capital, label),
            Line.credit(card.deferred_account_id, row.capital, label),
        ]
    if row.interest:
        lines += [
            Line.debit(card.revolving_account_id, row.interest, f"INTERÉS {label}"),
            Line.credit(
                book_account_id("INTEREST_INCOME", currency, spread=key),
                row.interest,
                f"INTERÉS {label} TARJETA {card.masked_number}",
            ),
        ]
    if lines:
        row.journal_id = journal_post(
            key=key,
            kind=Kind.CARD_DEFERRAL,
            lines=lines,
            channel=Channel.SYSTEM,
            motive=f"Cuota {row.number} de {deferral.installments_count} del diferido",
            source=deferral,
            value_date=period_end,
        ).journal_id
    row.billed_on = period_end
    row.save(update_fields=["billed_on", "journal_id"])
    return row


def _installments_billed(*, card: Card, on: date) -> Decimal:
    """What a statement closed on ``on`` bills of the card's deferrals (the installments
    ``deferral_installments_due`` posts), for the minimum payment and the statement."""
    return sum(
        (installment.total for installment in deferral_installments_due(card=card, period_end=on)),
        Decimal("0.00"),
    )


statement_installments_register(_installments_billed)

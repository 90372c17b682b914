"""The biller network: the collection aggregator that knows each biller's pending bills
and takes their payments.

``BillerNetwork`` is everything the portal needs from it: the bills pending for a
reference (``inquire``), paying one bill or top-up (``pay``) and asking what became of a
payment whose answer was lost (``status``). The portal uses the class named by
``settings.BILLER_NETWORK``; ``SimulatedBillerNetwork`` stands in for the aggregator in the
demo and the tests. A real connector implements the same three methods and keeps the same
promises:

- ``pay`` is idempotent by ``key``: paying again with a key already paid returns the first
  confirmation, never a second payment. So a payment whose answer was lost is asked about,
  or sent again, with the same key.
- ``pay`` raises ``BillRefused`` when the biller refused it and ``BillerUnavailable`` when
  the request never left (both: nothing was paid); ``BillerTimeout`` whenever the outcome
  is unknown (a timeout, a dropped connection, an answer it cannot read).
- ``status`` answers a confirmation, raises ``BillRefused`` for a refused payment, and
  returns ``None`` while the network does not know (yet) — also for a key it never saw.
- Its own timeouts stay well under ``STALE_HELD`` (``payments.services``), after which a
  payment still waiting for its first answer is taken over by the sweep.
"""

import hashlib
import time
import zlib
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from core.db.rows import Columns, rows_insert
from payments.exceptions import BillerUnavailable, BillRefused, NoDebt
from payments.models import SimulatedBillerPayment


@dataclass(frozen=True)
class Bill:
    """One pending bill as the biller reports it."""

    number: str  # "No de Recibo"
    description: str
    amount: Decimal
    due_date: date | None = None


@dataclass(frozen=True)
class Confirmation:
    """The biller took the payment: its own reference for it."""

    network_reference: str


class BillerTimeout(Exception):
    """The network did not answer in time: the payment may or may not have been made.

    Not a refusal (not a ``DomainError``): the money stays held until ``status`` knows."""


class BillerNetwork(ABC):
    @abstractmethod
    def inquire(self, *, biller_code: str, reference: str) -> list[Bill]:
        """The bills pending for ``reference``, oldest first. Raises ``NoDebt`` when there
        are none and ``BillerUnavailable`` when the biller does not answer."""

    @abstractmethod
    def pay(
        self, *, biller_code: str, reference: str, bill_number: str, amount: Decimal, key: str
    ) -> Confirmation:
        """Pays one bill (``bill_number``) or a top-up (``bill_number`` empty) once per
        ``key``. Raises ``BillRefused``, ``BillerUnavailable`` or ``BillerTimeout``."""

    @abstractmethod
    def status(self, *, key: str) -> Confirmation | None:
        """What became of the payment of ``key``: its confirmation, ``BillRefused``, or
        ``None`` while unknown."""

    # Many at once (a run of scheduled payments). A connector whose aggregator answers a
    # batch in one call overrides these; the defaults ask one at a time.

    def inquire_many(self, *, requests: list[tuple[str, str]]) -> list[list[Bill] | Exception]:
        """:meth:`inquire` for each ``(biller_code, reference)`` of ``requests``, answered
        in their order: the bills, or what ``inquire`` raised (``NoDebt``,
        ``BillerUnavailable``, anything else) as the answer's value."""
        answers: list[list[Bill] | Exception] = []
        for biller_code, reference in requests:
            try:
                answers.append(self.inquire(biller_code=biller_code, reference=reference))
            except Exception as exc:  # the caller acts on each answer as ``inquire`` raised it
                answers.append(exc)
        return answers

    def pay_many(self, *, orders: list["PayOrder"]) -> list[Confirmation | Exception]:
        """:meth:`pay` for each of ``orders``, answered in their order: its confirmation,
        or what ``pay`` raised (``BillRefused``, ``BillerUnavailable``,
        ``BillerTimeout``, anything else: the outcome unknown) as the answer's value.
        The same promises: once per key."""
        answers: list[Confirmation | Exception] = []
        for order in orders:
            try:
                answers.append(self.pay(**order.arguments()))
            except Exception as exc:  # the caller acts on each answer as ``pay`` raised it
                answers.append(exc)
        return answers


@dataclass(frozen=True)
class PayOrder:
    """One payment of :meth:`BillerNetwork.pay_many`: ``pay``'s arguments."""

    biller_code: str
    reference: str
    bill_number: str
    amount: Decimal
    key: str

    def arguments(self) -> dict:
        return {
            "biller_code": self.biller_code,
            "reference": self.reference,
            "bill_number": self.bill_number,
            "amount": self.amount,
            "key": self.key,
        }


def network_get() -> BillerNetwork:
    return import_string(settings.BILLER_NETWORK)()


# --- the simulator -----------------------------------------------------------------------

BILLS = "bills"
NO_DEBT = "no_debt"
UNAVAILABLE = "unavailable"
LATE_SUCCESS = "late_success"
LATE_REFUSAL = "late_refusal"
REFUSED = "refused"
UNKNOWN = "unknown"
OUTCOMES = (BILLS, NO_DEBT, UNAVAILABLE, LATE_SUCCESS, LATE_REFUSAL, REFUSED, UNKNOWN)

# How the simulator answers, by the reference's last four characters.
SUFFIXES = {
    "0000": NO_DEBT,  # no pending bills
    "9999": UNAVAILABLE,  # the biller does not answer; nothing is paid
    "7777": LATE_SUCCESS,  # pay times out; status then confirms
    "8888": LATE_REFUSAL,  # pay times out; status then says refused
    "6666": REFUSED,  # pay refused at once
    "5555": UNKNOWN,  # pay times out; status never knows
}
REFUSAL_REASON = "La empresa rechazó el pago de esta referencia."
MONTHS = (
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
)


def _month_before(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def simulated_bills(reference: str, *, today: date | None = None) -> list[Bill]:
    """The bills the simulator reports for ``reference``, paid or not: one, or two when
    the reference ends in an even digit; their numbers and amounts ($1.00 to $99.99)
    derived from the reference alone, so every inquiry answers the same."""
    today = today or timezone.localdate()
    digest = hashlib.sha256(reference.encode()).digest()
    count = 2 if reference[-1:].isdigit() and int(reference[-1]) % 2 == 0 else 1
    bills = []
    for n in range(count):
        chunk = digest[8 * n : 8 * n + 8]
        month = _month_before(today, count - n)
        bills.append(
            Bill(
                number=f"{int.from_bytes(chunk[:4], 'big') % 10**9:09d}",
                description=f"Consumo de {MONTHS[month.month - 1]} {month.year}",
                amount=Decimal(100 + int.from_bytes(chunk[4:], "big") % 9900) / 100,
                due_date=_month_before(today, count - n - 1).replace(day=10),
            )
        )
    return bills


def _scope():
    """A savepoint for an INSERT that may fail on its key inside a transaction; outside
    one, the INSERT is its own transaction (one round trip, not three)."""
    return transaction.atomic() if transaction.get_connection().in_atomic_block else nullcontext()


_DONE = Columns(SimulatedBillerPayment, "p")


@cache
def _done_sql() -> str:
    return (
        f"SELECT {_DONE.sql()} FROM payments_simulatedbillerpayment p "  # noqa: S608 - no input in the text
        f"WHERE p.{connection.ops.quote_name('key')} = %s"
    )


class SimulatedBillerNetwork(BillerNetwork):
    """A deterministic stand-in for the collection aggregator.

    It answers by the reference's last four characters (``SUFFIXES``): ``0000`` no debt,
    ``9999`` unavailable, ``7777`` a late success, ``8888`` a late refusal, ``6666`` an
    immediate refusal, ``5555`` never known; any other reference has the bills of
    :func:`simulated_bills`. What it did with each key is a database row
    (``SimulatedBillerPayment``), so a web process and a worker see the same payments: a
    paid bill is no longer pending, the same key pays once, ``status`` answers for it.

    Tests force an outcome, or the bills, of one reference with :meth:`forcing`.
    """

    forced: dict[str, str | tuple[Bill, ...]] = {}
    # Seconds ``pay`` waits after taking a payment and before answering: a slow answer,
    # during which a test kills the process that asked (0: it answers at once).
    answer_delay: float = 0.0

    @classmethod
    @contextmanager
    def forcing(cls, reference: str, outcome: str | tuple[Bill, ...]) -> Iterator[None]:
        """Within the block, ``reference`` answers ``outcome`` (one of ``OUTCOMES``) or
        has exactly the given bills."""
        if isinstance(outcome, str) and outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {outcome!r}")
        before = cls.forced.get(reference)
        cls.forced[reference] = outcome
        try:
            yield
        finally:
            if before is None:
                cls.forced.pop(reference, None)
            else:
                cls.forced[reference] = before

    def _outcome(self, reference: str) -> str:
        forced = self.forced.get(reference)
        if isinstance(forced, str):
            return forced
        return SUFFIXES.get(reference[-4:], BILLS)

    def _all_bills(self, reference: str) -> list[Bill]:
        forced = self.forced.get(reference)
        if isinstance(forced, tuple):
            return list(forced)
        return simulated_bills(reference)

    def _pending(self, biller_code: str, reference: str) -> list[Bill]:
        with connection.cursor() as cursor:  # written out: the ORM's compiling cost more
            cursor.execute(
                "SELECT bill_number FROM payments_simulatedbillerpayment "
                "WHERE biller_code = %s AND reference = %s AND outcome <> %s",
                [biller_code, reference, SimulatedBillerPayment.Outcome.REFUSED],
            )
            taken = {number for (number,) in cursor.fetchall()}
        return [bill for bill in self._all_bills(reference) if bill.number not in taken]

    def _taken_many(self, pairs: set[tuple[str, str]]) -> dict[tuple[str, str], set[str]]:
        """The bill numbers paid (or being paid) of each ``(biller_code, reference)``."""
        taken: dict[tuple[str, str], set[str]] = {pair: set() for pair in pairs}
        if not pairs:
            return taken
        references = sorted({reference for _, reference in pairs})
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT biller_code, reference, bill_number FROM payments_simulatedbillerpayment "  # noqa: S608 - no input in the text
                f"WHERE reference IN ({', '.join(['%s'] * len(references))}) AND outcome <> %s",
                [*references, SimulatedBillerPayment.Outcome.REFUSED],
            )
            for biller_code, reference, number in cursor.fetchall():
                if (biller_code, reference) in taken:
                    taken[biller_code, reference].add(number)
        return taken

    def inquire_many(self, *, requests):
        """Every reference's bills in one query of what was paid."""
        taken = self._taken_many(
            {pair for pair in requests if self._outcome(pair[1]) not in (UNAVAILABLE, NO_DEBT)}
        )
        answers = []
        for biller_code, reference in requests:
            outcome = self._outcome(reference)
            if outcome == UNAVAILABLE:
                answers.append(BillerUnavailable())
                continue
            paid = taken.get((biller_code, reference), set())
            bills = [] if outcome == NO_DEBT else self._all_bills(reference)
            bills = [bill for bill in bills if bill.number not in paid]
            answers.append(bills or NoDebt())
        return answers

    def pay_many(self, *, orders):
        """The batch's payments taken in one INSERT after one read of the keys already
        paid and one of the references' paid bills; a key or bill another process took
        meanwhile is paid on its own (``pay``)."""
        Outcome = SimulatedBillerPayment.Outcome
        keys = [order.key for order in orders]
        done = {}
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {_DONE.sql()} FROM payments_simulatedbillerpayment p "  # noqa: S608 - no input in the text
                f"WHERE p.{connection.ops.quote_name('key')} IN ({', '.join(['%s'] * len(keys))})",
                keys,
            )
            for row in cursor.fetchall():
                payment = _DONE.build(row)
                done[payment.key] = payment
        taken = self._taken_many({(o.biller_code, o.reference) for o in orders})
        rows, outcomes = [], {}
        for order in orders:
            outcome = outcomes[order.key] = self._outcome(order.reference)
            if order.key in done or outcome == UNAVAILABLE:
                continue
            verdict, reason = Outcome.CONFIRMED, ""
            if outcome in (REFUSED, LATE_REFUSAL):
                verdict, reason = Outcome.REFUSED, REFUSAL_REASON
            elif outcome == UNKNOWN:
                verdict = Outcome.PENDING
            elif order.bill_number:
                paid = taken[order.biller_code, order.reference]
                bill = next(
                    (
                        b
                        for b in self._all_bills(order.reference)
                        if b.number == order.bill_number and b.number not in paid
                    ),
                    None,
                )
                if outcome == NO_DEBT or bill is None:
                    verdict, reason = Outcome.REFUSED, "La factura no está pendiente de pago."
                elif bill.amount != order.amount:
                    verdict, reason = Outcome.REFUSED, "El valor no coincide con el de la factura."
                else:
                    paid.add(order.bill_number)  # a second key for it in the batch: refused
            rows.append(
                SimulatedBillerPayment(
                    key=order.key,
                    biller_code=order.biller_code,
                    reference=order.reference,
                    bill_number=order.bill_number,
                    amount=order.amount,
                    outcome=verdict,
                    reason=reason,
                    network_reference=(
                        f"SIM{zlib.crc32(order.key.encode()):010d}"
                        if verdict == Outcome.CONFIRMED
                        else ""
                    ),
                )
            )
        try:
            with _scope():
                created = {
                    row.key: row for row in rows_insert(rows, skip_conflicts=True, match=("key",))
                }
        except IntegrityError:  # cannot happen with DO NOTHING; the single path decides
            created = {}
        if created and self.answer_delay:
            time.sleep(self.answer_delay)
        answers = []
        for order in orders:
            try:
                if order.key in done:
                    answers.append(self._answer(done[order.key]))
                elif outcomes[order.key] == UNAVAILABLE:
                    raise BillerUnavailable
                elif order.key not in created:  # taken meanwhile by another process
                    answers.append(self.pay(**order.arguments()))
                elif outcomes[order.key] in (LATE_SUCCESS, LATE_REFUSAL):
                    raise BillerTimeout(f"simulated timeout for {order.key}")
                else:
                    answers.append(self._answer(created[order.key]))
            except Exception as exc:  # as ``pay`` raised it
                answers.append(exc)
        return answers

    def _done(self, key: str) -> SimulatedBillerPayment | None:
        with connection.cursor() as cursor:
            cursor.execute(_done_sql(), [key])
            row = cursor.fetchone()
        return None if row is None else _DONE.build(row)

    def inquire(self, *, biller_code, reference):
        outcome = self._outcome(reference)
        if outcome == UNAVAILABLE:
            raise BillerUnavailable
        bills = [] if outcome == NO_DEBT else self._pending(biller_code, reference)
        if not bills:
            raise NoDebt
        return bills

    def pay(self, *, biller_code, reference, bill_number, amount, key):
        done = self._done(key)
        if done is not None:
            return self._answer(done)
        outcome = self._outcome(reference)
        if outcome == UNAVAILABLE:
            raise BillerUnavailable
        done, created = self._record(biller_code, reference, bill_number, amount, key, outcome)
        if self.answer_delay:
            time.sleep(self.answer_delay)
        if created and outcome in (LATE_SUCCESS, LATE_REFUSAL):
            raise BillerTimeout(f"simulated timeout for {key}")
        return self._answer(done)

    def status(self, *, key):
        done = self._done(key)
        if done is None or done.outcome == SimulatedBillerPayment.Outcome.PENDING:
            return None
        return self._answer(done)

    def _record(self, biller_code, reference, bill_number, amount, key, outcome):
        """Takes the payment of ``key`` and stores what became of it; for the same key
        stored meanwhile by another process, returns that one (``created`` False)."""
        Outcome = SimulatedBillerPayment.Outcome
        verdict, reason = Outcome.CONFIRMED, ""
        if outcome in (REFUSED, LATE_REFUSAL):
            verdict, reason = Outcome.REFUSED, REFUSAL_REASON
        elif outcome == UNKNOWN:
            verdict = Outcome.PENDING
        elif bill_number:
            bill = next(
                (b for b in self._pending(biller_code, reference) if b.number == bill_number),
                None,
            )
            if outcome == NO_DEBT or bill is None:
                verdict, reason = Outcome.REFUSED, "La factura no está pendiente de pago."
            elif bill.amount != amount:
                verdict, reason = Outcome.REFUSED, "El valor no coincide con el de la factura."
        row = SimulatedBillerPayment(
            key=key,
            biller_code=biller_code,
            reference=reference,
            bill_number=bill_number,
            amount=amount,
            outcome=verdict,
            reason=reason,
            network_reference=(
                f"SIM{zlib.crc32(key.encode()):010d}" if verdict == Outcome.CONFIRMED else ""
            ),
        )
        try:
            with _scope():
                row.save(force_insert=True)
            return row, True
        except IntegrityError:
            done = SimulatedBillerPayment.objects.filter(key=key).first()
            if done is not None:
                return done, False
        # Another key took the same bill at the same moment: this one is refused.
        row.pk = None
        row.outcome, row.reason = Outcome.REFUSED, "La factura no está pendiente de pago."
        row.network_reference = ""
        with transaction.atomic():
            row.save(force_insert=True)
        return row, True

    def _answer(self, done: SimulatedBillerPayment) -> Confirmation:
        if done.outcome == SimulatedBillerPayment.Outcome.CONFIRMED:
            return Confirmation(network_reference=done.network_reference)
        if done.outcome == SimulatedBillerPayment.Outcome.REFUSED:
            raise BillRefused(
                f"La empresa no aceptó el pago: {done.reason} No se debitó ningún valor "
                "de tu cuenta."
            )
        raise BillerTimeout(f"simulated payment {done.key} still unknown")

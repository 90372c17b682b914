"""The seeded simulation: members, companies and workers acting for thousands of steps
while the world around them fails, and every invariant checked after every step.

One ``random.Random(seed)`` chooses everything — who acts, what, how much, which fault is
armed, which task a worker takes next, how far the clock moves — so a seed replays the
same run. Nothing else may steer it: each run starts from an emptied database whose id
sequences start again at 1 (``Simulation.reset``), so the ids it writes — and the ids in
its log — are the seed's, whatever ran before in the process; the world's members are
named and numbered from the seed, not from the factories' counters; the caches that
outlive a test are cleared; every choice among rows is made by position in a list kept
in a stable order. Actions call the services, the operations engine and the Celery task functions
directly, as the dialog, a worker or the beat would (no HTTP). See ``docs/testing.md``.
"""

from __future__ import annotations

import itertools
import random
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from stdnum import luhn

from accounts.models import Member, Operation, User
from accounts.operations import (
    Actor,
    _kinds,
    operation_approve,
    operation_execute,
    operation_prepare,
    operation_submit_for_approval,
)
from core.errors import DomainError
from ledger.books import books_open
from ledger.models import Tariff
from tests.factories import CEDULAS, COMPANY_RUCS, CompanyFactory, MemberFactory, UserFactory
from tests.simulation import invariants
from tests.simulation.seams import POINTS, Faults, SimCrash, SimDatabaseError, SimRetry, TaskQueue

D = Decimal
CENT = D("0.01")
START = datetime(2026, 3, 2, 8, 30, tzinfo=ZoneInfo("America/Guayaquil"))  # a Monday
# Accounts of the simulated payment network's directory (transfers/data): one accepted,
# one closed (the network rejects the transfer: it is refunded), one it does not know.
EXTERNAL = (
    ("0010", "2201234567", "Carlos Andrés Mendoza Vera"),
    ("0030", "1045678901", "Jorge Luis Alvarado Ruiz"),
    ("0036", "9900112233", "Rosa Elena Quishpe Tapia"),
)
# Cards of other banks (the network's directory knows the second one's account as closed).
EXTERNAL_CARDS = (("0010", "4111111111111111"), ("0030", "4000000000000002"))
# The biller simulator answers by a reference's last four digits (payments/network.py).
REFERENCE_ENDINGS = (
    ["plain"] * 14 + ["7777", "8888", "6666", "5555", "9999", "0000"]
)  # fmt: skip
BEAT_TASKS = (
    "transfers.tasks.settle_interbank_transfers",
    "accounts.tasks.sweep_operations",
    "payments.tasks.sweep_bill_payments",
    "payments.tasks.run_due_schedules",
    "core.tasks.sweep_notifications",
    "ledger.tasks.release_expired_holds",
    "products.tasks.mark_overdue_installments",
)
# The fault points each action or task can reach: a fault is armed at one of them.
LEDGER = ("ledger.post.before", "ledger.post.after")
ENGINE = ("operation.execute.before", "operation.execute.after")
BILLER = ("biller.pay.before", "biller.pay.after", "biller.status", "ledger.hold.before")
NOTICES = ("sms.send", "email.send")
REACHES: dict[str, tuple[str, ...]] = {
    "transfer_own": (*LEDGER, *ENGINE),
    "transfer_internal": (*LEDGER, *ENGINE),
    "transfer_interbank": (*LEDGER, *ENGINE),
    "approve": (),
    "company_transfer": (),
    "bill_pay": (*LEDGER, *ENGINE, *BILLER),
    "card_purchase": LEDGER,
    "card_payment": LEDGER,
    "deferral": LEDGER,
    "loan_payment": LEDGER,
    "accounts.tasks.execute_operation": (*LEDGER, *ENGINE, *BILLER),
    "payments.tasks.resolve_bill_payment": (*LEDGER, *BILLER),
    "payments.tasks.run_schedule": (*LEDGER, *ENGINE, *BILLER),
    "payments.tasks.run_schedules": (*LEDGER, *ENGINE, *BILLER),
    "core.tasks.deliver_notification": NOTICES,
    "transfers.tasks.settle_interbank_transfers": (
        *LEDGER, "network.send.after", "network.results"
    ),
}  # fmt: skip


class SimulationFailure(AssertionError):
    pass


@dataclass
class Person:
    member: Member
    user: User | None
    accounts: list = field(default_factory=list)
    beneficiaries: list = field(default_factory=list)
    card: object = None
    card_payees: list = field(default_factory=list)
    loan: object = None

    @property
    def company(self) -> bool:
        return self.member.kind == Member.Kind.LEGAL


def _task(name: str):
    """The task function by its name (its module imported: the tests autodiscover none)."""
    from django.utils.module_loading import import_string

    return import_string(name)


class Simulation:
    """``Simulation(seed, steps, monkeypatch).run()`` raises :class:`SimulationFailure`
    naming the step, what broke, the last steps and the command that replays it."""

    def __init__(
        self,
        *,
        seed: int,
        steps: int,
        members: int = 6,
        companies: int = 2,
        fault_rate: float = 0.3,
        replay: str = "",
    ):
        self.seed, self.steps = seed, steps
        self.rng = random.Random(seed)
        self.n_members, self.n_companies = members, companies
        self.fault_rate = fault_rate
        self.replay = replay
        self.faults = Faults(on_slow=self._meanwhile)
        self.queue = TaskQueue()
        self.log: list[str] = []
        self.step = 0
        self.counts: dict[str, int] = {}
        self.people: list[Person] = []
        self.billers: list = []
        self.references: list[tuple] = []  # (biller, reference) used before: paid again
        self.approvers: list[User] = []
        self.pending_approvals: list[Operation] = []
        self.watch = invariants.StateWatch()
        self.timings: dict[str, float] = {}
        self._pans = itertools.count(1)

    def _pan(self) -> str:
        body = f"513744{next(self._pans):09d}"
        return body + luhn.calc_check_digit(body)

    # --- the world ------------------------------------------------------------------------

    @staticmethod
    def reset() -> None:
        """The same starting point for every run: the database emptied and its id
        sequences back at 1, the process's caches that outlive a test cleared, and what
        every test finds loaded (the active profile, the catalogs) loaded again. Other
        tests run earlier in the process leave their ids, cached rows and outboxes
        behind; without this, a seed's run and its replay alone would differ."""
        from django.contrib.contenttypes.models import ContentType
        from django.core import mail
        from django.core.cache import cache
        from django.core.management import call_command

        from accounts.catalogs import catalogs_load, faq_load, legal_documents_load
        from core.notifications import LocmemSmsBackend
        from core.profile import cooperatives_load_ready

        call_command("flush", interactive=False, reset_sequences=True, verbosity=0)
        ContentType.objects.clear_cache()
        cache.clear()  # also starts a new generation of the catalogs' copies
        LocmemSmsBackend.outbox.clear()
        mail.outbox = []
        cooperatives_load_ready()
        catalogs_load()
        legal_documents_load()
        faq_load()

    def build(self) -> None:
        from payments.catalog import payment_catalog_load
        from payments.models import Biller
        from products.catalog import product_types_load
        from transfers.catalog import transfer_catalog_load

        books_open(currency="USD")
        product_types_load(cooperative_slug="cooprogreso")
        transfer_catalog_load(cooperative_slug="cooprogreso")
        payment_catalog_load(cooperative_slug="cooprogreso")
        Tariff.objects.get_or_create(
            code=Tariff.Code.TRANSFER_INTERBANK,
            subject="",
            valid_from=date(2024, 4, 1),
            defaults={
                "commission": D("0.36"),
                "iva_rate": D("0.15"),
                "commission_description": "COMISIÓN TRANSFERENCIA PAGO DIRECTO",
                "iva_description": "IVA TRANSFERENCIA PAGO DIRECTO",
            },
        )
        Tariff.objects.get_or_create(
            code=Tariff.Code.CARD_PAYMENT_INTERBANK,
            subject="",
            valid_from=date(2024, 4, 1),
            defaults={
                "commission": D("0.36"),
                "iva_rate": D("0.15"),
                "commission_description": "COMISIÓN PAGO TARJETAS SPI",
                "iva_description": "IVA PAGO TARJETAS SPI",
            },
        )
        probe = "0912345678"
        self.billers = [
            b
            for b in Biller.objects.filter(mode=Biller.Mode.BILLS, is_active=True)
            .select_related("category")
            .order_by("category__position", "name", "pk")
            if not b.reference_error(probe)
        ]
        # Named and numbered here, not by the factories' sequences (which keep counting
        # across the tests of a process).
        for n in range(self.n_members):
            member = MemberFactory(
                user__username=f"sim{self.seed}m{n}",
                member_number=f"{300000 + n}",
                id_number=CEDULAS[n % len(CEDULAS)],
            )
            self.people.append(Person(member=member, user=member.user))
        for n in range(self.n_companies):
            company = CompanyFactory(
                member_number=f"{400000 + n}",
                id_number=COMPANY_RUCS[n % len(COMPANY_RUCS)],
                business_name=f"Distribuidora Sierra {n} Cía. Ltda.",
                email=f"tesoreria{n}@empresa.example.com",
            )
            clerk = UserFactory(username=f"sim{self.seed}c{n}")
            self.people.append(Person(member=company, user=clerk))
        self.approvers = [UserFactory(username=f"sim{self.seed}a{n}") for n in range(2)]
        for person in self.people:
            self._open_accounts(person)
        for person in self.people:
            self._register_beneficiaries(person)
        for person in self.people[: self.n_members]:
            self._issue_card(person)
            self._register_card_payees(person)
        for person in self.rng.sample(self.people[: self.n_members], 2):
            self._grant_loan(person)

    def _open_accounts(self, person: Person) -> None:
        from products.models import ProductType
        from products.services import cash_deposit, deposit_account_open

        savings = ProductType.objects.get(code="AHO")
        for amount in (self.rng.randint(300, 3000), self.rng.randint(0, 300)):
            account = deposit_account_open(member=person.member, product_type=savings)
            if amount:
                cash_deposit(account=account, amount=D(amount), key=f"sim-fund-{account.pk}")
            person.accounts.append(account)

    def _register_beneficiaries(self, person: Person) -> None:
        from transfers.beneficiaries import beneficiary_add_external, beneficiary_add_internal
        from transfers.models import Beneficiary, Institution

        others = [p for p in self.people if p is not person]
        for other in self.rng.sample(others, 3):
            person.beneficiaries.append(
                beneficiary_add_internal(
                    member=person.member, account_number=other.accounts[0].number
                )
            )
        for code, number, name in EXTERNAL:
            person.beneficiaries.append(
                beneficiary_add_external(
                    member=person.member,
                    institution=Institution.objects.get(code=code),
                    account_type="savings",
                    account_number=number,
                    name=name,
                    id_type="cedula",
                    id_number="1710034065",
                )
            )
        # Registered long ago: past the first-payment cap of a new beneficiary.
        Beneficiary.objects.filter(member=person.member).update(
            created_at=START - timedelta(days=30)
        )
        for b in person.beneficiaries:
            b.refresh_from_db()

    def _issue_card(self, person: Person) -> None:
        from cards.models import Card
        from cards.services import card_issue_credit

        person.card = card_issue_credit(
            member=person.member,
            brand=Card.Brand.MASTERCARD,
            pan=self._pan(),
            credit_limit=D(self.rng.choice([500, 800, 1500])),
            reason="Aprobada por comité",
        )

    def _register_card_payees(self, person: Person) -> None:
        """Two cards of other banks: one the network pays, one whose account it knows as
        closed (the payment is returned)."""
        from cards.payees import card_payee_add

        for institution, pan in EXTERNAL_CARDS:
            person.card_payees.append(
                card_payee_add(
                    member=person.member,
                    institution=institution,
                    pan=pan,
                    id_type="cedula",
                    id_number="1710034065",
                    name="Jorge Luis Alvarado Ruiz",
                )
            )

    def _grant_loan(self, person: Person) -> None:
        from products.loans import loan_grant
        from products.models import LoanType

        person.loan = loan_grant(
            member=person.member,
            loan_type=LoanType.objects.filter(is_active=True).order_by("pk").first(),
            principal=D(self.rng.choice([600, 1200, 2400])),
            installments=self.rng.choice([3, 6]),
            disbursement_account=person.accounts[0],
            granted_on=timezone.localdate(),
            first_due=timezone.localdate() + timedelta(days=20),
        )

    # --- running --------------------------------------------------------------------------

    def run(self, clock) -> None:
        self.clock = clock
        started = time.perf_counter()
        self.reset()
        self.build()
        self.initial = invariants.totals_now()
        self._check("la carga inicial")
        self.timings["carga"] = time.perf_counter() - started
        actions = self._actions()
        names, weights = zip(*[(name, w) for name, (w, _) in actions.items()], strict=True)
        for step in range(1, self.steps + 1):
            self.step = step
            name = self.rng.choices(names, weights)[0]
            self._advance(self.rng.choice([0, 0, 1, 1, 2, 3, 5, 8]))
            self._act(name, actions[name][1])
            self._check(name)
        self.timings["pasos"] = time.perf_counter() - started - self.timings["carga"]
        self.drain()
        self.timings["total"] = time.perf_counter() - started

    def drain(self) -> None:
        """The world heals: no more faults, and for a day and a half the beat runs every
        half hour and the workers take every task. Then what was lost must be found."""
        self.fault_rate = 0
        self.step = self.steps + 1
        problems = []
        for _ in range(72):  # half-hour rounds: at most a day and a half
            self._advance(30)
            for name in BEAT_TASKS:
                self._act(f"beat {name}", lambda name=name: self._run_task(name, ()))
            while ready := self.queue.ready():
                for queued in ready:
                    self._act(
                        f"entrega {queued.name}",
                        lambda q=queued: self._deliver(self.queue.take(q)),
                    )
            problems = invariants.liveness_violations()
            if not problems and not self.queue.ready():
                break
        self._check("el final")
        if problems:
            self._fail("después de sanar el mundo", problems)

    def _advance(self, minutes: int) -> None:
        if minutes:
            self.clock.shift(timedelta(minutes=minutes))

    def _arm(self, reaches: str) -> str:
        """With the fault rate's chance, arms one fault where ``reaches`` (an action or a
        task) can meet it; says which."""
        points = REACHES.get(reaches, ())
        if not points or not self.fault_rate or self.rng.random() >= self.fault_rate:
            return ""
        point = self.rng.choice(points)
        effect = self.rng.choice(POINTS[point])
        self.faults.arm(point, effect)
        return f" [falla {point}:{effect}]"

    def _act(self, name: str, action: Callable[[], str | None]) -> None:
        armed = self._arm(name)
        try:
            outcome = action() or "ok"
        except SimCrash as exc:
            outcome = f"CAÍDA en {exc}"
        except SimDatabaseError as exc:
            outcome = f"error de base de datos {exc}"
        except DomainError as exc:
            outcome = f"rechazo: {exc.message}"
        except Exception as exc:
            self._fail(
                f"{name}: excepción inesperada {exc!r}",
                traceback.format_exc().splitlines()[-12:],
            )
        finally:
            self.faults.disarm()
        self.counts[name.split(" ")[0]] = self.counts.get(name.split(" ")[0], 0) + 1
        self.log.append(
            f"{self.step:>5} {timezone.localtime():%a %d %H:%M} {name}{armed}: {outcome}"
        )

    def _check(self, what: str) -> None:
        problems = invariants.all_violations(initial_totals=self.initial, watch=self.watch)
        if problems:
            self._fail(f"tras {what}", problems)

    def _fail(self, what: str, problems: list[str]):
        lines = [
            f"Simulación seed={self.seed}: paso {self.step} — {what}",
            *(f"  ✗ {p}" for p in problems[:20]),
            "Últimos pasos:",
            *(f"  {line}" for line in self.log[-30:]),
            f"Para repetirla: {self.replay}",
        ]
        raise SimulationFailure("\n".join(lines))

    def summary(self) -> str:
        return (
            f"seed={self.seed} pasos={self.steps} acciones={dict(sorted(self.counts.items()))} "
            f"filas={invariants.outcomes()} "
            f"fallas={len(self.faults.fired)} "
            f"segundos={ {k: round(v, 1) for k, v in self.timings.items()} }"
        )

    # --- actions --------------------------------------------------------------------------

    def _actions(self) -> dict[str, tuple[int, Callable[[], str | None]]]:
        return {
            "transfer_own": (6, lambda: self.transfer("transfer_own")),
            "transfer_internal": (8, lambda: self.transfer("transfer_internal")),
            "transfer_interbank": (7, lambda: self.transfer("transfer_interbank")),
            "company_transfer": (4, self.company_transfer),
            "approve": (3, self.approve),
            "bill_pay": (12, self.bill_pay),
            "schedule": (2, self.schedule),
            "card_purchase": (6, self.card_purchase),
            "card_payment": (5, self.card_payment),
            "deferral": (3, self.deferral),
            "loan_payment": (3, self.loan_payment),
            "beat": (12, self.beat),
            "deliver": (25, self.deliver),
            "night": (1, lambda: self._advance(self.rng.randint(6, 16) * 60) or "el reloj avanza"),
        }

    def _key(self) -> str:
        """An idempotency key from the seed: a replay uses the same keys."""
        return f"{self.rng.getrandbits(128):032x}"

    def _person(self, *, company: bool | None = False) -> Person:
        pool = [p for p in self.people if company is None or p.company == company]
        return self.rng.choice(pool)

    def _amount(self, account, cap: int = 400) -> Decimal:
        account.ledger_account.refresh_from_db()
        available = account.ledger_account.available
        top = min(available * D("0.7"), D(cap))
        if top < 1 or self.rng.random() < 0.05:  # sometimes more than there is
            return (available + D(self.rng.randint(1, 50))).quantize(CENT)
        return (D(self.rng.randint(100, int(top * 100))) / 100).quantize(CENT)

    def _execute(self, operation: Operation) -> str:
        """The dialog executes at once (sometimes twice: a double click), or leaves it to
        a worker; a code never typed leaves it prepared for the sweep to expire."""
        from accounts.tasks import execute_operation

        mode = self.rng.choices(["dialog", "double", "worker", "abandoned"], [5, 1, 3, 1])[0]
        if mode == "abandoned":
            return f"operación {operation.pk} abandonada"
        if mode == "worker":
            execute_operation.delay(operation.pk)
            return f"operación {operation.pk} en cola"
        operation = operation_execute(operation=operation)
        if mode == "double":
            operation = operation_execute(operation=Operation.objects.get(pk=operation.pk))
        return f"operación {operation.pk} {operation.state} ({mode})"

    def _transfer_data(self, person: Person, purpose: str) -> dict:
        from transfers.models import Beneficiary

        origin = self.rng.choice(person.accounts)
        data = {
            "origen": str(origin.public_id),
            "monto": str(self._amount(origin)),
            "motivo": "Simulación",
            "origen_fondos": "Ahorros",
            "destino_fondos": "Gastos",
        }
        if purpose == "transfer_own":
            other = [a for a in person.accounts if a.pk != origin.pk]
            data["destino"] = str(self.rng.choice(other).public_id)
        else:
            kind = (
                Beneficiary.Kind.INTERNAL
                if purpose == "transfer_internal"
                else Beneficiary.Kind.EXTERNAL
            )
            data["destino"] = str(
                self.rng.choice([b for b in person.beneficiaries if b.kind == kind]).public_id
            )
        return data

    def transfer(self, purpose: str) -> str:
        person = self._person()
        operation = operation_prepare(
            kind=_kinds[purpose],
            actor=Actor(user=person.user, owner=person.member),
            data=self._transfer_data(person, purpose),
        )
        return self._execute(operation)

    def company_transfer(self) -> str:
        """A company's clerk enters a transfer; two others must approve it (dual control),
        and the last approval queues its execution for a worker."""
        person = self._person(company=True)
        purpose = self.rng.choice(["transfer_internal", "transfer_interbank"])
        kind = _kinds[purpose]
        actor = Actor(user=person.user, owner=person.member)
        form = kind.form_class(self._transfer_data(person, purpose), **kind.form_kwargs(actor))
        if not form.is_valid():
            raise DomainError(next(iter(form.errors.values()))[0])
        operation = operation_submit_for_approval(
            kind=kind, actor=actor, prepared=kind.prepare(actor, form, {}), signatures_required=2
        )
        self.pending_approvals.append(operation)
        return f"operación {operation.pk} por aprobar"

    def approve(self) -> str:
        if not self.pending_approvals:
            return "nada por aprobar"
        operation = self.rng.choice(self.pending_approvals)
        operation.refresh_from_db()
        signed = set(operation.approvals.values_list("user_id", flat=True))
        approver = next((u for u in self.approvers if u.pk not in signed), None)
        if approver is None or operation.state != Operation.State.PENDING_APPROVAL:
            self.pending_approvals.remove(operation)
            return f"operación {operation.pk} {operation.state}"
        operation = operation_approve(operation=operation, user=approver, digest=operation.digest)
        if operation.state != Operation.State.PENDING_APPROVAL:
            self.pending_approvals.remove(operation)
        return f"operación {operation.pk} {operation.state}"

    def _reference(self, biller) -> str:
        ending = self.rng.choice(REFERENCE_ENDINGS)
        digits = f"09{self.rng.randint(0, 9999):04d}"
        if ending == "plain":
            return digits + f"{self.rng.randint(0, 9999):04d}".replace("7777", "7770")
        return digits + ending

    def bill_pay(self) -> str:
        from payments.services import biller_inquire

        person = self._person(company=None)
        if self.references and self.rng.random() < 0.25:  # the same bill again
            biller, reference = self.rng.choice(self.references)
        else:
            biller = self.rng.choice(self.billers)
            reference = self._reference(biller)
        self.references.append((biller, reference))
        bills = biller_inquire(biller=biller, reference=reference)
        chosen = bills if self.rng.random() < 0.3 else bills[:1]
        origin = self.rng.choice(person.accounts)
        data = MultiValueDict(
            {
                "servicio": [str(biller.public_id)],
                "origen": [str(origin.public_id)],
                "referencia": [reference],
                "recibos": [b.number for b in chosen],
            }
        )
        operation = operation_prepare(
            kind=_kinds["bill_payment"],
            actor=Actor(user=person.user, owner=person.member),
            data=data,
        )
        return self._execute(operation)

    def schedule(self) -> str:
        from payments.schedules import TERMS_VERSION, SchedulePlan, schedule_create

        person = self._person()
        schedule = schedule_create(
            member=person.member,
            biller=self.rng.choice(self.billers),
            reference=self._reference(None),
            plan=SchedulePlan(
                origin=person.accounts[0],
                max_amount=D(self.rng.choice([30, 60, 100])),
                frequency="available",
                start_date=timezone.localdate(),
            ),
            terms_version=TERMS_VERSION,
            key=self._key(),
        )
        return f"programación {schedule.pk}"

    def _card_person(self) -> Person:
        return self.rng.choice([p for p in self.people if p.card is not None])

    def card_purchase(self) -> str:
        from cards.services import card_purchase

        person = self._card_person()
        key = f"sim-purchase-{self.rng.getrandbits(48):x}"
        amount = D(self.rng.randint(100, 30000)) / 100
        purchase = card_purchase(card=person.card, amount=amount, description="COMERCIO", key=key)
        if self.rng.random() < 0.2:  # the processor sends the same purchase twice
            card_purchase(card=person.card, amount=amount, description="COMERCIO", key=key)
        return f"consumo {purchase.pk}"

    def card_payment(self) -> str:
        from cards.payments import CardPaymentOrder, card_payment_execute
        from ledger.models import Account

        person = self._card_person()
        if person.card_payees and self.rng.random() < 0.3:  # another bank's card
            order = CardPaymentOrder(
                origin=self.rng.choice(person.accounts),
                amount=self._amount(person.accounts[0], cap=200),
                payee=self.rng.choice(person.card_payees),
            )
            payment = card_payment_execute(member=person.member, order=order, key=self._key())
            return f"pago de tarjeta de otra entidad {payment.pk} {payment.status}"
        revolving = Account.objects.get(pk=person.card.revolving_account_id).balance
        if revolving <= 0:
            return "nada que pagar"
        amount = min(revolving, D(self.rng.randint(100, 50000)) / 100)
        if self.rng.random() < 0.1:
            amount = revolving + D("1.00")  # more than is due
        order = CardPaymentOrder(
            origin=self.rng.choice(person.accounts), amount=amount, card=person.card
        )
        key = self._key()
        payment = card_payment_execute(member=person.member, order=order, key=key, notify=True)
        if self.rng.random() < 0.2:  # a double click
            card_payment_execute(member=person.member, order=order, key=key)
        return f"pago de tarjeta {payment.pk}"

    def deferral(self) -> str:
        from cards.deferral import DEFERRAL_TERMS, card_defer, deferrable_purchases

        person = self._card_person()
        purchases = deferrable_purchases(card=person.card)
        if not purchases:
            return "nada que diferir"
        chosen = self.rng.sample(purchases, self.rng.randint(1, min(3, len(purchases))))
        key = self._key()
        terms = self.rng.choice(list(DEFERRAL_TERMS))
        ids = [p.public_id for p in chosen]
        deferral = card_defer(card=person.card, purchases=ids, installments=terms, key=key)
        if self.rng.random() < 0.2:
            card_defer(card=person.card, purchases=ids, installments=terms, key=key)
        return f"diferido {deferral.pk}"

    def loan_payment(self) -> str:
        from products.loans import installment_pay, loan_due

        person = self.rng.choice([p for p in self.people if p.loan is not None])
        person.loan.refresh_from_db()
        if person.loan.status != "active":
            return "crédito cancelado"
        due = loan_due(loan=person.loan)
        key = self._key()
        number = due.installment.number
        installment_pay(
            loan=person.loan, number=number, amount=due.total, account=person.accounts[0], key=key
        )
        if self.rng.random() < 0.2:  # the same request again
            installment_pay(
                loan=person.loan,
                number=number,
                amount=due.total,
                account=person.accounts[0],
                key=key,
            )
        return f"cuota {number}"

    def beat(self) -> str:
        name = self.rng.choice(BEAT_TASKS)
        armed = self._arm(name)
        return f"{name}{armed}: {self._run_task(name, ())}"

    def deliver(self) -> str:
        """A worker takes a task that is due: normally once; sometimes twice (a duplicated
        message) or never (a lost one, for the sweeps to find)."""
        ready = self.queue.ready()
        if not ready:
            return "cola vacía"
        queued = self.queue.take(self.rng.choice(ready))
        fate = self.rng.choices(["once", "twice", "lost"], [8, 1, 1])[0]
        if fate == "lost":
            self.queue.dropped += 1
            return f"{queued.name} perdida"
        what = f"{queued.name}({', '.join(map(str, queued.args))}){self._arm(queued.name)}"
        self.log.append(f"{self.step:>5} {timezone.localtime():%a %d %H:%M} entrega {what}")
        outcome = self._deliver(queued)
        if fate == "twice":
            outcome += " / otra vez: " + self._deliver(queued)
        return f"{fate}: {outcome}"

    def _deliver(self, queued) -> str:
        try:
            return str(self._run_task(queued.name, queued.args, queued.kwargs))
        except SimCrash:
            # acks_late: the worker died, the broker hands the task out again later.
            self.queue.push(
                queued.name,
                queued.args,
                queued.kwargs,
                eta=timezone.now() + timedelta(minutes=self.rng.randint(1, 60)),
            )
            raise

    def _meanwhile(self, point: str) -> None:
        """A slow call at ``point``: minutes pass and other workers run in the meantime —
        the beat's sweeps and settlement, and every task that is due, once each."""
        minutes = self.rng.randint(3, 40)
        self._advance(minutes)
        names = self.rng.sample(
            [
                "accounts.tasks.sweep_operations",
                "payments.tasks.sweep_bill_payments",
                "transfers.tasks.settle_interbank_transfers",
            ],
            self.rng.randint(1, 3),
        )
        done = []
        for name in names:
            done.append(f"{name.rsplit('.', 1)[1]}={self._nested(name, ())}")
        for queued in self.queue.ready():
            self.queue.take(queued)
            done.append(f"{queued.name.rsplit('.', 1)[1]}{queued.args}={self._nested(queued)}")
        self.log.append(f"      mientras {point} tarda {minutes} min: {'; '.join(done)}")

    def _nested(self, name_or_task, args=()):
        try:
            if isinstance(name_or_task, str):
                return self._run_task(name_or_task, args)
            return self._deliver(name_or_task)
        except (SimCrash, SimDatabaseError, DomainError) as exc:
            return f"{type(exc).__name__}"

    def _run_task(self, name: str, args=(), kwargs=None):
        """As a worker runs it: not eagerly (a retry is queued again, not run at once)."""
        try:
            return _task(name)(*args, **(kwargs or {}))
        except SimRetry:
            return "reintento en cola"

"""Transfers under load against the ledger alone, in one run: one transfer, many members at
once, the same journals without the transfer layer, and the settlement of a day's
interbank transfers.

    .venv/bin/python bench/transfers.py [--members 40] [--transfers 1000] [--processes 8]
                                        [--seconds 15] [--history 5000]
                                        [--database-url postgres://…]

1. A scratch PostgreSQL database migrated with the portal's schema and the demo
   cooperative loaded; ``--members`` members, each with a funded savings account, a
   Cooprogreso beneficiary and a beneficiary at Banco Pichincha (past their cooling-off),
   all made through the services (no test factories: the runtime dependencies suffice).
2. One at a time: ``--transfers`` interbank transfers (commission and IVA) through
   ``transfer_execute`` — median and 95th percentile, and the queries one of them runs
   (BEGIN and COMMIT included).
3. In parallel, ``--processes`` worker processes for ``--seconds`` each, every process its
   own member: ``journal_post`` alone with the same four-leg journal an interbank
   transfer posts (member debit, clearing credit, fee income, IVA payable), and
   ``transfer_execute`` for interbank transfers — in the order journal, transfer,
   transfer, journal, so that a machine getting busier or quieter during the run weighs
   on both alike. The ratio of the mean rates, transfer/journal, says what the transfer
   layer (rules, limits, fees, the member's lock, the transfer row) costs.
4. A member with ``--history`` transfers this month: the time of one more transfer (the
   day/week/month limit sums read the ``(member, kind, created_at)`` index).
5. Settlement: every pending interbank transfer through ``settlement_run`` with the
   simulated network (batches of 1,000), then the clearing book's balance (what remains
   is exactly what step 3's bare journals credited) and ``ledger_check``.

Prints figures; fails on nothing but a broken invariant. docs/performance.md records the
latest run.
"""

import argparse
import multiprocessing
import os
import statistics
import sys
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The script's own folder leaves the path: bench/http.py would shadow the standard
# library's ``http`` package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

from bench.ledger import database_url, django_setup, recreate_database  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/postgres"
D = Decimal


def setup(members: int):
    from django.core.management import call_command
    from django.utils import timezone

    from accounts.models import Member
    from cooprogreso.demo import demo_load
    from products.models import ProductType
    from products.services import cash_deposit, deposit_account_open
    from transfers.beneficiaries import beneficiary_add_external, beneficiary_add_internal
    from transfers.models import Beneficiary, Institution, TransferLimit

    call_command("migrate", verbosity=0)
    demo_load()  # the scratch database is the bench's own; the command guards real ones
    for limit in TransferLimit.objects.all():  # the bench measures speed, not refusals
        limit.daily = limit.weekly = limit.monthly = D("999999999.00")
        limit.save()  # saved, not updated: the catalog copies hear of it
    savings = ProductType.objects.get(code="AHO")
    pichincha = Institution.objects.get(code="0010")
    people = []
    for n in range(members):
        member = Member.objects.create(
            member_number=f"{900000 + n}",
            id_type=Member.IdType.PASSPORT,
            id_number=f"BENCH{n:06d}",
            first_names="Socio",
            last_names=f"De Prueba {n}",
            email=f"bench{n:05d}@example.com",
            mobile_phone="+593991234567",
            birth_date=date(1990, 5, 17),
            address="Av. Amazonas N24-03, Quito",
        )
        account = deposit_account_open(member=member, product_type=savings)
        cash_deposit(account=account, amount=D("1000000.00"), key=f"bench-fund-{n}")
        people.append({"member": member, "account": account})
    for n, person in enumerate(people):
        neighbour = people[(n + 1) % members]["account"]
        person["internal"] = beneficiary_add_internal(
            member=person["member"], account_number=neighbour.number
        )
        person["external"] = beneficiary_add_external(
            member=person["member"],
            institution=pichincha,
            account_type="savings",
            account_number=f"77{n:08d}",
            name=f"Beneficiario {n}",
            id_type="pasaporte",
            id_number=f"BENCH{n:05d}",
        )
    Beneficiary.objects.update(created_at=timezone.now() - timedelta(days=2))
    return [_person(n) for n in range(members)]


def _person(n: int) -> dict:
    from accounts.models import Member
    from products.models import DepositAccount
    from transfers.models import Beneficiary

    member = Member.objects.get(member_number=f"{900000 + n}")
    beneficiaries = Beneficiary.objects.select_related("account", "institution")
    return {
        "member": member,
        "account": DepositAccount.objects.select_related("ledger_account", "product_type").get(
            member=member
        ),
        "internal": beneficiaries.get(member=member, kind="internal"),
        "external": beneficiaries.get(member=member, kind="external"),
    }


def order(person, kind: str, amount: str):
    from transfers.models import TransferKind
    from transfers.services import TransferOrder

    beneficiary = person["internal"] if kind == "internal" else person["external"]
    return TransferOrder(
        kind=TransferKind.INTERNAL if kind == "internal" else TransferKind.INTERBANK,
        origin=person["account"],
        destination=beneficiary.account,
        beneficiary=beneficiary,
        amount=D(amount),
    )


def transfer(person, key: str, kind: str = "interbank", amount: str = "2.00"):
    from transfers.services import transfer_execute

    return transfer_execute(
        member=person["member"], order=order(person, kind, amount), key=key, notify=False
    )


def journal(person, key: str):
    """The journal an interbank transfer of $2.00 posts, through ``journal_post`` alone."""
    from ledger import calendar
    from ledger.books import book_account_id
    from ledger.fees import fee_lines, fee_quote
    from ledger.models import Channel, Kind, Tariff
    from ledger.services import Line, journal_post

    origin = person["account"].ledger_account
    text = "ND TRANSFERENCIA PAGO DIRECTO"
    lines = [
        Line.debit(origin, D("2.00"), text),
        Line.credit(book_account_id("SPI_CLEARING", origin.currency, spread=key), D("2.00"), text),
        *fee_lines(fee_quote(Tariff.Code.TRANSFER_INTERBANK), payer=origin, spread=key),
    ]
    return journal_post(
        key=f"bench-journal:{key}",
        kind=Kind.TRANSFER_INTERBANK,
        lines=lines,
        channel=Channel.WEB,
        motive="Transferencias Interbancarias",
        value_date=calendar.value_date(),
    )


def one_at_a_time(people, count: int) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for n in range(20):  # warm-up: connection, catalogs
        transfer(people[n % len(people)], f"seq-warm-{n}")
    with CaptureQueriesContext(connection) as queries:
        done = transfer(people[0], "seq-counted")
    assert done.journal.source_type == "transfers.transfer" and done.journal.source_id == str(
        done.pk
    )
    times = []
    for n in range(count):
        began = time.perf_counter()
        transfer(people[n % len(people)], f"seq-{n}")
        times.append(time.perf_counter() - began)
    times.sort()
    print(
        f"{'Una a la vez (interbancaria)':40} {count:7,d} "
        f"{statistics.median(times) * 1000:8.2f} ms {times[int(len(times) * 0.95)] * 1000:8.2f} ms "
        f"{count / sum(times):9.0f}/s  ({len(queries)} consultas)"
    )


def _parallel_worker(url, what, worker, members, seconds, counter, errors, ready, go):
    django_setup(url)
    person = _person(worker % members)
    step = journal if what == "journal" else transfer
    for n in range(20):  # warm-up: connection, catalogs
        step(person, f"{what}-{worker}-warm-{n}")
    done = 0
    with ready.get_lock():
        ready.value += 1
    go.wait()  # every process imported, connected and warm before the clock starts
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            step(person, f"{what}-{worker}-{done}")
        except Exception:  # counted and reported
            with errors.get_lock():
                errors.value += 1
        done += 1
    with counter.get_lock():
        counter.value += done


def parallel(url: str, what: str, members: int, processes: int, seconds: int) -> float:
    """``processes`` worker processes, each a different member, running ``journal`` or
    ``transfer`` for ``seconds`` (processes, not threads: each call spends Python time)."""
    from django.db import connections

    connections.close_all()
    ctx = multiprocessing.get_context("spawn")
    counter, errors, ready, go = (
        ctx.Value("q", 0),
        ctx.Value("q", 0),
        ctx.Value("i", 0),
        ctx.Event(),
    )
    workers = [
        ctx.Process(
            target=_parallel_worker,
            args=(url, what, n, members, seconds, counter, errors, ready, go),
        )
        for n in range(processes)
    ]
    for w in workers:
        w.start()
    while ready.value < processes:
        time.sleep(0.05)
    go.set()
    for w in workers:
        w.join()
    rate = counter.value / seconds
    label = {"journal": "journal_post solo", "transfer": "transfer_execute"}[what]
    print(
        f"{f'{label} ({processes} procesos, interbancaria)':40} {counter.value:7,d} "
        f"{'':>11} {'':>11} {rate:9.0f}/s"
    )
    if errors.value:
        print(f"  errores: {errors.value}")
    return rate


def long_history(person, history: int) -> None:
    """``history`` transfers this month for one member, then the time of 50 more."""
    for n in range(history):
        transfer(person, f"hist-{n}", "internal", "0.01")
    times = []
    for n in range(50):
        began = time.perf_counter()
        transfer(person, f"hist-more-{n}", "internal", "0.01")
        times.append(time.perf_counter() - began)
    print(
        f"{f'Con {history:,} transferencias en el mes':40} {50:7,d} "
        f"{statistics.median(times) * 1000:8.2f} ms {max(times) * 1000:8.2f} ms"
    )


def settle() -> None:
    from django.db.models import Sum
    from django.utils import timezone

    from core.money import from_minor
    from ledger import calendar
    from ledger.models import Posting
    from ledger.selectors import book_balance
    from transfers.models import SettlementBatch, Transfer
    from transfers.settlement import settlement_run

    pending = Transfer.objects.filter(status=Transfer.Status.PENDING)
    count = pending.count()
    day = max(pending.values_list("value_date", flat=True), default=timezone.localdate())
    while not calendar.is_business_day(day):
        day += timedelta(days=1)
    now = timezone.make_aware(datetime.combine(day, datetime.min.time()).replace(hour=10))
    began = time.perf_counter()
    rounds = 0
    while Transfer.objects.filter(status__in=["pending", "sent"]).exists() and rounds < 1000:
        settlement_run(now=now)
        rounds += 1
    elapsed = time.perf_counter() - began
    batches = SettlementBatch.objects.count()
    print(
        f"{'Compensación (simulador)':40} {count:7,d} {'':>11} {'':>11} "
        f"{count / elapsed:9.0f}/s  ({batches} lotes, {elapsed:.1f} s)"
    )
    clearing = book_balance("SPI_CLEARING", "USD")
    bare = -Posting.objects.filter(
        journal__idempotency_key__startswith="bench-journal:",
        account__code__startswith="SPI_CLEARING:",
    ).aggregate(total=Sum("amount_minor"))["total"]
    print(
        f"\nSaldo de SPI_CLEARING tras compensar: {clearing} "
        f"(los asientos sin transferencia del paso 3: {from_minor(bare or 0)})"
    )
    if clearing != from_minor(bare or 0):
        raise SystemExit("la cuenta de compensación no volvió a lo que dejaron esos asientos")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=40)
    parser.add_argument("--transfers", type=int, default=1000)
    parser.add_argument("--processes", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--history", type=int, default=5_000)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    args = parser.parse_args()

    name = "cooprogreso_bench_transfers"
    url = database_url(args.database_url, name)
    recreate_database(args.database_url, name)
    django_setup(url)
    print(f"Preparando {args.members} socios con cuentas y beneficiarios…", flush=True)
    people = setup(args.members)

    from django.core.management import call_command

    print(f"\n{'Prueba':40} {'ops.':>7} {'mediana':>11} {'p95/peor':>11} {'ritmo':>11}")
    one_at_a_time(people, args.transfers)
    rates = {"journal": [], "transfer": []}
    for what in ("journal", "transfer", "transfer", "journal"):  # ABBA: drift cancels out
        rates[what].append(parallel(url, what, args.members, args.processes, args.seconds))
    journals, transfers = (statistics.mean(rates[what]) for what in ("journal", "transfer"))
    print(
        f"{'Razón transferencia / asiento':40} {'':>7} {'':>11} {'':>11} "
        f"{transfers / journals:9.2f}   ({transfers:.0f}/s ÷ {journals:.0f}/s; meta ≥ 0.25)"
    )
    long_history(people[0], args.history)
    settle()
    call_command("ledger_check")
    print(f"{datetime.now():%Y-%m-%d %H:%M}")


if __name__ == "__main__":
    main()

"""Transfers under load: the service one member at a time, many members at once, and the
settlement of a day's interbank transfers, in one run.

    .venv/bin/python bench/transfers.py [--members 40] [--transfers 2000] [--processes 8]
                                        [--seconds 15] [--history 5000]
                                        [--database-url postgres://…]

1. A scratch PostgreSQL database migrated with the portal's schema and the demo
   cooperative loaded; ``--members`` members, each with a funded savings account, a
   Cooprogreso beneficiary and a beneficiary at Banco Pichincha (past their cooling-off).
2. Sequential: ``--transfers`` Cooprogreso transfers through ``transfer_execute`` (limits,
   fees, the member's lock, the ledger) — median and 95th percentile, transfers per second.
3. Parallel: ``--processes`` worker processes for ``--seconds``, each its own member,
   sending interbank transfers (commission and IVA, the sharded clearing book) —
   transfers per second.
4. A member with ``--history`` transfers this month: the time of one more transfer (the
   day/week/month limit sums read the ``(member, kind, created_at)`` index).
5. Settlement: every pending interbank transfer through ``settlement_run`` with the
   simulated network (batches of 1,000), then the clearing book's balance (must be 0).

Prints figures; fails on nothing but a broken invariant. docs/performance.md records the
latest run.
"""

import argparse
import multiprocessing
import os
import statistics
import sys
import time
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ledger import database_url, django_setup, recreate_database  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/postgres"
D = Decimal


def setup(members: int):
    from django.core.management import call_command
    from django.utils import timezone

    from cooprogreso.demo import demo_load
    from products.models import ProductType
    from products.services import cash_deposit, deposit_account_open
    from tests.factories import MemberFactory
    from transfers.beneficiaries import beneficiary_add_external, beneficiary_add_internal
    from transfers.models import Beneficiary, Institution, TransferLimit

    call_command("migrate", verbosity=0)
    demo_load()  # the scratch database is the bench's own; the command guards real ones
    TransferLimit.objects.update(  # the bench measures speed, not the limits' refusals
        daily=D("999999999.00"), weekly=D("999999999.00"), monthly=D("999999999.00")
    )
    savings = ProductType.objects.get(code="AHO")
    pichincha = Institution.objects.get(code="0010")
    people = []
    for n in range(members):
        member = MemberFactory(
            member_number=f"{900000 + n}",
            id_type="pasaporte",
            id_number=f"BENCH{n:06d}",
            user__username=f"bench{n:05d}",
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
    for person in people:
        for key in ("internal", "external"):
            person[key].refresh_from_db()
    return people


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


def sequential(people, count: int) -> None:
    from transfers.services import transfer_execute

    times = []
    for n in range(count):
        person = people[n % len(people)]
        began = time.perf_counter()
        transfer_execute(
            member=person["member"],
            order=order(person, "internal", "1.25"),
            key=f"seq-{n}",
            notify=False,
        )
        times.append(time.perf_counter() - began)
    times.sort()
    print(
        f"{'Secuencial (Cooprogreso)':34} {count:7,d} {statistics.median(times) * 1000:8.2f} ms "
        f"{times[int(len(times) * 0.95)] * 1000:8.2f} ms {count / sum(times):9.0f}/s"
    )


def _person(n: int) -> dict:
    from accounts.models import Member
    from products.models import DepositAccount
    from transfers.models import Beneficiary

    member = Member.objects.get(user__username=f"bench{n:05d}")
    beneficiaries = Beneficiary.objects.select_related("account", "institution")
    return {
        "member": member,
        "account": DepositAccount.objects.select_related("ledger_account").get(member=member),
        "internal": beneficiaries.get(member=member, kind="internal"),
        "external": beneficiaries.get(member=member, kind="external"),
    }


def _parallel_worker(url, worker, members, seconds, counter, errors, ready, go):
    django_setup(url)
    from transfers.services import transfer_execute

    mine = [_person(worker % members)]
    done = 0
    with ready.get_lock():
        ready.value += 1
    go.wait()  # every process imported, connected and waiting before the clock starts
    deadline = time.time() + seconds
    while time.time() < deadline:
        person = mine[done % len(mine)]
        try:
            transfer_execute(
                member=person["member"],
                order=order(person, "interbank", "2.00"),
                key=f"par-{worker}-{done}",
                notify=False,
            )
        except Exception:  # counted and reported
            with errors.get_lock():
                errors.value += 1
        done += 1
    with counter.get_lock():
        counter.value += done


def parallel(url: str, members: int, processes: int, seconds: int) -> None:
    """``processes`` worker processes, each a different member, sending interbank
    transfers for ``seconds`` (processes, not threads: each transfer spends Python time)."""
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
            args=(url, n % members, members, seconds, counter, errors, ready, go),
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
    print(
        f"{f'Paralelo ({processes} procesos, interbancaria)':34} {counter.value:7,d} "
        f"{'':>11} {'':>11} {counter.value / seconds:9.0f}/s"
    )
    if errors.value:
        print(f"  errores: {errors.value}")


def long_history(person, history: int) -> None:
    """``history`` transfers this month for one member, then the time of 50 more."""
    from transfers.services import transfer_execute

    for n in range(history):
        transfer_execute(
            member=person["member"],
            order=order(person, "internal", "0.01"),
            key=f"hist-{n}",
            notify=False,
        )
    times = []
    for n in range(50):
        began = time.perf_counter()
        transfer_execute(
            member=person["member"],
            order=order(person, "internal", "0.01"),
            key=f"hist-more-{n}",
            notify=False,
        )
        times.append(time.perf_counter() - began)
    print(
        f"{f'Con {history:,} transferencias en el mes':34} {50:7,d} "
        f"{statistics.median(times) * 1000:8.2f} ms {max(times) * 1000:8.2f} ms"
    )


def settle() -> None:
    from django.utils import timezone

    from ledger import calendar
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
        f"{'Compensación (simulador)':34} {count:7,d} {'':>11} {'':>11} "
        f"{count / elapsed:9.0f}/s  ({batches} lotes, {elapsed:.1f} s)"
    )
    clearing = book_balance("SPI_CLEARING", "USD")
    print(f"\nSaldo de SPI_CLEARING tras compensar: {clearing}")
    if clearing != D("0.00"):
        raise SystemExit("la cuenta de compensación no volvió a cero")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=40)
    parser.add_argument("--transfers", type=int, default=2000)
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

    print(f"\n{'Prueba':34} {'transf.':>7} {'mediana':>11} {'p95/peor':>11} {'ritmo':>11}")
    sequential(people, args.transfers)
    parallel(url, args.members, args.processes, args.seconds)
    long_history(people[0], args.history)
    settle()
    call_command("ledger_check")
    print(f"{datetime.now():%Y-%m-%d %H:%M}")


if __name__ == "__main__":
    main()

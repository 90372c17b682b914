"""Pagos programados under load: the beat's run of 10,000 due schedules through real
Celery workers, against the transfer service's rate on the same machine, in one run.

    .venv/bin/python bench/payments.py [--schedules 10000] [--members 1000]
                                       [--concurrency 4] [--processes 8] [--seconds 15]
                                       [--database-url postgres://…]
                                       [--redis-url redis://127.0.0.1:6379/13]

1. A scratch PostgreSQL database migrated with the portal's schema and the demo
   cooperative loaded (its catalog: AGUA EPMAPA PEDERNALES, $0.31 a bill), made through
   the services (no test factories: the runtime dependencies suffice): the members of
   ``bench/transfers.py`` for the transfer rate, and ``--members`` more with a funded
   savings account sharing ``--schedules`` schedules "Siempre que se encuentre
   disponible", one reference each (one pending bill of $1.00 to $99.99 at the
   simulated biller network), registered through ``payments.schedules.schedule_create``.
2. The transfer rate as ``bench/transfers.py`` measures it: ``transfer_execute``
   (interbank, commission and IVA) from ``--processes`` processes for ``--seconds``.
3. The beat's run: a Celery worker (prefork, ``--concurrency`` processes) on its own
   Redis database runs ``payments.tasks.run_due_schedules`` — queued from here like the
   beat queues it — which queues one ``run_schedules`` per 50 schedules; for each
   schedule it inquires, runs the bill's operation (hold, the simulated biller, capture)
   and stores the member's e-mail; one task per chunk delivers its e-mails (to a dummy
   backend) on the same worker.
   The clock runs from queuing the fan-out until every schedule was looked at
   (``last_run_at``).
4. Step 2 again (the mean of both runs: drift in a shared machine's load weighs on both),
   the ratio of the rates (schedules paid per second ÷ transfers per second), and the
   checks: every bill paid once, one journal each, ``ledger_check``.

On a day the business calendar skips (a weekend, a holiday) the beat queues nothing, so the
script queues the due schedules' ``run_schedules`` itself, as the fan-out would.

Prints figures; fails on nothing but a broken invariant. docs/performance.md records the
latest run.
"""

import argparse
import os
import signal
import statistics
import subprocess
import sys
import time
from datetime import datetime
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The script's own folder leaves the path: bench/http.py would shadow the standard
# library's ``http`` package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

from bench.ledger import database_url, django_setup, recreate_database  # noqa: E402
from bench.transfers import DEFAULT_URL  # noqa: E402

D = Decimal
MEMBER_BASE = 800_000
TRANSFER_MEMBERS = 40


def setup(schedules: int, members: int) -> None:
    from django.utils import timezone

    from accounts.models import Member
    from bench.transfers import setup as transfers_setup
    from payments.models import Biller
    from payments.schedules import TERMS_VERSION, SchedulePlan, schedule_create
    from products.models import ProductType
    from products.services import cash_deposit, deposit_account_open

    transfers_setup(TRANSFER_MEMBERS)  # migrates and loads the demo cooperative too
    biller = Biller.objects.select_related("category__cooperative").get(code="EPMAPA-PEDERNALES")
    savings = ProductType.objects.get(code="AHO")
    accounts = []
    for n in range(members):
        member = Member.objects.create(
            member_number=f"{MEMBER_BASE + n}",
            id_type=Member.IdType.PASSPORT,
            id_number=f"PAGO{n:06d}",
            first_names="Socia",
            last_names=f"De Pagos {n}",
            email=f"pagos{n:05d}@example.com",
            mobile_phone="+593991234567",
            birth_date=datetime(1988, 3, 9).date(),
            address="Av. 10 de Agosto N30-12, Quito",
        )
        account = deposit_account_open(member=member, product_type=savings)
        cash_deposit(account=account, amount=D("1000000.00"), key=f"bench-pagos-fund-{n}")
        accounts.append((member, account))
    today = timezone.localdate()
    for n in range(schedules):
        member, account = accounts[n % members]
        schedule_create(
            member=member,
            biller=biller,
            reference=f"{n:07d}1",  # one bill each; no simulated outcome ends in 1
            plan=SchedulePlan(
                origin=account,
                max_amount=D("100.00"),
                frequency="available",
                start_date=today,
            ),
            terms_version=TERMS_VERSION,
            key=f"bench-schedule-{n}",
        )


def worker_start(url: str, redis_url: str, concurrency: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "CELERY_BROKER_URL": redis_url,
        "EMAIL_URL": "dummymail://",
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "cooprogreso",
            "worker",
            "--pool",
            "prefork",
            "--concurrency",
            str(concurrency),
            "--without-gossip",
            "--without-mingle",
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )


def worker_stop(worker: subprocess.Popen) -> None:
    """A warm shutdown (the worker's own SIGTERM), then its whole group if it lingers."""
    worker.terminate()
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()


def beat_run(schedules: int) -> tuple[float, float]:
    """Queues the fan-out as the beat does and waits until every schedule was looked at.
    Returns (seconds until the fan-out had queued every schedule, seconds in all)."""
    from django.utils import timezone

    from ledger.calendar import is_business_day
    from payments.models import PaymentSchedule
    from payments.schedules import schedule_due_ids
    from payments.tasks import SCHEDULES_PER_TASK, run_due_schedules, run_schedules

    began_at = timezone.now()
    began = time.perf_counter()
    if is_business_day(timezone.localdate()):
        run_due_schedules.delay()
    else:
        print("  (hoy no es día hábil: el script encola los run_schedules, como el beat)")
        ids = list(schedule_due_ids(on=timezone.localdate()))
        for n in range(0, len(ids), SCHEDULES_PER_TASK):
            run_schedules.delay(ids[n : n + SCHEDULES_PER_TASK])
    fanned = None
    done = 0
    while done < schedules:
        time.sleep(0.5)
        done = PaymentSchedule.objects.filter(last_run_at__gte=began_at).count()
        if fanned is None and done:
            fanned = time.perf_counter() - began
    return fanned or 0.0, time.perf_counter() - began


def checks(schedules: int) -> None:
    from django.core.management import call_command
    from django.db.models import Count

    from ledger.models import Journal, Kind
    from payments.models import BillPayment, SimulatedBillerPayment

    paid = BillPayment.objects.exclude(schedule_id=None)
    states = dict(paid.values_list("state").annotate(n=Count("pk")))
    twice = (
        paid.values("biller", "reference", "bill_number").annotate(n=Count("pk")).filter(n__gt=1)
    )
    journals = Journal.objects.filter(kind=Kind.BILL_PAYMENT).count()
    at_biller = SimulatedBillerPayment.objects.count()
    print(
        f"\nPagos programados: {states} · facturas pagadas dos veces: {twice.count()} · "
        f"asientos: {journals} · pagos en la red simulada: {at_biller}"
    )
    if states.get("paid") != schedules or twice.exists() or journals != schedules:
        raise SystemExit("un pago programado no se pagó exactamente una vez")
    call_command("ledger_check")


def main() -> None:
    from bench.transfers import parallel

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schedules", type=int, default=10_000)
    parser.add_argument("--members", type=int, default=1_000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--processes", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument(
        "--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
    )
    args = parser.parse_args()

    name = "cooprogreso_bench_payments"
    url = database_url(args.database_url, name)
    recreate_database(args.database_url, name)
    os.environ["CELERY_BROKER_URL"] = args.redis_url
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"
    django_setup(url)
    print(
        f"Preparando {TRANSFER_MEMBERS} socios para transferencias, {args.members} socios con "
        f"{args.schedules:,} pagos programados…",
        flush=True,
    )
    began = time.perf_counter()
    setup(args.schedules, args.members)
    print(f"  listo en {time.perf_counter() - began:.0f} s", flush=True)

    import redis

    redis.Redis.from_url(args.redis_url).flushdb()  # the bench's own Redis database

    print(f"\n{'Prueba':44} {'ops.':>7} {'tiempo':>9} {'ritmo':>10}")
    transfers = [parallel(url, "transfer", TRANSFER_MEMBERS, args.processes, args.seconds)]
    worker = worker_start(url, args.redis_url, args.concurrency)
    try:
        time.sleep(5)  # the worker's processes started and connected
        fanned, elapsed = beat_run(args.schedules)
    finally:
        worker_stop(worker)
    rate = args.schedules / elapsed
    print(
        f"{f'Pagos programados (worker, {args.concurrency} procesos)':44} "
        f"{args.schedules:7,d} {elapsed:8.1f}s {rate:9.0f}/s  "
        f"(primer pago a los {fanned:.1f} s; meta: < 60 s)"
    )
    transfers.append(parallel(url, "transfer", TRANSFER_MEMBERS, args.processes, args.seconds))
    transfer_rate = statistics.mean(transfers)
    print(
        f"{'Razón pago programado / transferencia':44} {'':>7} {'':>9} "
        f"{rate / transfer_rate:9.2f}   ({rate:.0f}/s ÷ {transfer_rate:.0f}/s)"
    )
    checks(args.schedules)
    print(f"{datetime.now():%Y-%m-%d %H:%M}")


if __name__ == "__main__":
    main()

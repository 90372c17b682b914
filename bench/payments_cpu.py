"""Pagos programados in one process: the CPU a scheduled bill costs, in Python and in its
PostgreSQL backend, a chunk in phases against one bill at a time.

    .venv/bin/python bench/payments_cpu.py --prepare [--schedules 450]   # once
    .venv/bin/python bench/payments_cpu.py batch      # run_schedules: a chunk in phases
    .venv/bin/python bench/payments_cpu.py each       # schedule_run: one bill at a time

``--prepare`` builds a template database shaped as ``bench/payments.py``'s (40 members,
``--schedules`` schedules, one bill each). Each run copies it and runs its schedules
eagerly, fifty at a time, after a first chunk that warms the process (the tariff, the
books, the compiled queries); the e-mails are delivered in the same process to a dummy
backend. Prints, per bill: ``time.process_time()``, the backend's own CPU
(``/proc/<pid>/stat`` of ``pg_backend_pid()``: the database on this machine), the wall
time, and the statements that took longest. docs/performance.md records the latest runs.
"""

import argparse
import os
import sys
import time
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

from bench.ledger import database_url, django_setup, recreate_database  # noqa: E402
from bench.transfers import DEFAULT_URL  # noqa: E402

TEMPLATE, COPY = "cooprogreso_bench_payments_cpu_tpl", "cooprogreso_bench_payments_cpu"
CHUNK = 50


def backend_cpu() -> float:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(mode: str) -> None:
    import time_machine
    from django.db import connection
    from django.utils import timezone

    from core.notifications import notifications_batched
    from ledger.calendar import is_business_day
    from payments.models import BillPayment, PaymentSchedule
    from payments.schedules import schedule_run
    from payments.tasks import run_schedules

    day = timezone.localdate()
    while not is_business_day(day):
        day += timedelta(days=1)
    morning = timezone.make_aware(datetime.combine(day, datetime.min.time()).replace(hour=7))

    def chunk_run(ids: list[int]) -> None:
        if mode == "batch":
            run_schedules(ids)
        else:
            with notifications_batched():
                for schedule_id in ids:
                    schedule_run(schedule_id=schedule_id)

    spent: dict[str, list] = defaultdict(lambda: [0, 0.0])

    def timed(execute, sql, params, many, context):
        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            entry = spent[" ".join(sql.split()[:3])[:60]]
            entry[0] += 1
            entry[1] += time.perf_counter() - began

    with time_machine.travel(morning, tick=True):
        ids = list(PaymentSchedule.objects.order_by("pk").values_list("pk", flat=True))
        warm, rest = ids[:CHUNK], ids[CHUNK:]
        chunk_run(warm)
        backend = backend_cpu()
        cpu, wall = time.process_time(), time.perf_counter()
        with connection.execute_wrapper(timed):
            for n in range(0, len(rest), CHUNK):
                chunk_run(rest[n : n + CHUNK])
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        backend = backend_cpu() - backend
        paid = BillPayment.objects.filter(state=BillPayment.State.PAID).count()
    bills = len(rest)
    print(f"\n{'ms/bill':>8} {'count':>6}  statement (the ten that took longest)")
    for key, (count, seconds) in sorted(spent.items(), key=lambda kv: -kv[1][1])[:10]:
        print(f"{seconds * 1000 / bills:8.2f} {count:6d}  {key}")
    print(
        f"\n{mode}: {bills} bills ({paid} paid in all) · Python {cpu * 1000 / bills:.1f} ms · "
        f"PostgreSQL {backend * 1000 / bills:.1f} ms · wall {wall * 1000 / bills:.1f} ms a bill"
        f" · load {' '.join(f'{x:.1f}' for x in os.getloadavg())}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", nargs="?", choices=("batch", "each"), default="batch")
    parser.add_argument("--prepare", action="store_true")
    parser.add_argument("--schedules", type=int, default=450)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    args = parser.parse_args()
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "true"
    os.environ["EMAIL_URL"] = "dummymail://"
    if args.prepare:
        from bench.payments import setup

        recreate_database(args.database_url, TEMPLATE)
        django_setup(database_url(args.database_url, TEMPLATE))
        setup(args.schedules, 40)
        return
    recreate_database(args.database_url, COPY, template=TEMPLATE)
    django_setup(database_url(args.database_url, COPY))
    run(args.mode)


if __name__ == "__main__":
    main()

"""Ledger throughput against this machine's raw PostgreSQL limit, in one run.

    .venv/bin/python bench/ledger.py [--seconds 15] [--database-url postgres://…]

1. The raw limit: pgbench on a scratch database with the ledger-shaped schema of
   docs/performance.md (lock both accounts in id order, check, two UPDATEs, one journal
   INSERT, two posting INSERTs), random accounts among 100,000 and one hot source.
2. The same workloads through ``ledger.services.journal_post`` in worker processes,
   on a scratch database migrated with the portal's real schema and triggers.
3. A 10,000-line payroll from one company account, in journals of 500 lines.
4. The invariants: every journal balanced, the total unchanged, nothing negative, every
   stored balance equal to its postings. Any violation makes the script exit 1.

Prints figures; fails on nothing but a broken invariant.
"""

import argparse
import multiprocessing
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
# The script's own folder leaves the path: bench/http.py would shadow the standard
# library's ``http`` package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

ACCOUNTS = 100_000
OPENING_MINOR = 100_000_000  # $1,000,000.00 on every account: nobody runs dry

RAW_SCHEMA = f"""
DROP TABLE IF EXISTS posting, journal, account;
CREATE TABLE account (id bigint PRIMARY KEY, balance bigint NOT NULL CHECK (balance >= 0),
                      name text NOT NULL DEFAULT '');
CREATE TABLE journal (id bigserial PRIMARY KEY, kind text NOT NULL, amount bigint NOT NULL,
                      idempotency_key text NOT NULL UNIQUE,
                      created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE posting (id bigserial PRIMARY KEY, journal_id bigint NOT NULL REFERENCES journal,
                      account_id bigint NOT NULL REFERENCES account,
                      amount bigint NOT NULL CHECK (amount <> 0));
CREATE INDEX ON posting (journal_id);
CREATE INDEX ON posting (account_id, id);
INSERT INTO account (id, balance) SELECT g, {OPENING_MINOR} FROM generate_series(1, {ACCOUNTS}) g;
VACUUM ANALYZE;
"""

RAW_TRANSFER = """
\\set a {source}
\\set b random(1, {accounts})
BEGIN;
SELECT id, balance FROM account WHERE id IN (:a, :b) ORDER BY id FOR UPDATE;
UPDATE account SET balance = balance - 1 WHERE id = :a;
UPDATE account SET balance = balance + 1 WHERE id = :b;
INSERT INTO journal (kind, amount, idempotency_key)
    VALUES ('transfer', 1, md5(random()::text || clock_timestamp()::text)) RETURNING id \\gset
INSERT INTO posting (journal_id, account_id, amount) VALUES (:id, :a, -1), (:id, :b, 1);
COMMIT;
"""


def database_url(base: str, name: str) -> str:
    parsed = urlparse(base)
    return urlunparse(parsed._replace(path=f"/{name}"))


def recreate_database(base: str, name: str, *, template: str | None = None) -> None:
    """Drops ``name`` and creates it again, empty or as a copy of ``template``."""
    import psycopg

    parsed = urlparse(base)
    with psycopg.connect(
        host=parsed.hostname,
        port=parsed.port or 5432,
        user=parsed.username or "postgres",
        password=parsed.password,
        dbname="postgres",
        autocommit=True,
    ) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        copy = f' TEMPLATE "{template}"' if template else ""
        conn.execute(f'CREATE DATABASE "{name}"{copy}')


def pgbench(url: str, *, clients: int, seconds: int, hot: bool) -> float:
    script = RAW_TRANSFER.format(source="1" if hot else f"random(1, {ACCOUNTS})", accounts=ACCOUNTS)
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as f:
        f.write(script)
    parsed = urlparse(url)
    env = dict(os.environ, PGPASSWORD=parsed.password or "")
    result = subprocess.run(
        [
            "pgbench",
            "-n",
            "-c",
            str(clients),
            "-j",
            str(min(clients, 2)),
            "-T",
            str(seconds),
            "-h",
            parsed.hostname,
            "-p",
            str(parsed.port or 5432),
            "-U",
            parsed.username or "postgres",
            "-f",
            f.name,
            parsed.path.lstrip("/"),
        ],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    os.unlink(f.name)
    match = re.search(r"tps = ([\d.]+) \(without initial connection time\)", result.stdout)
    return float(match.group(1))


def raw_limits(base: str, seconds: int) -> dict[str, float]:
    url = database_url(base, "cooprogreso_bench_raw")
    recreate_database(base, "cooprogreso_bench_raw")
    subprocess.run(
        ["psql", url, "-q", "-v", "ON_ERROR_STOP=1"],
        input=RAW_SCHEMA,
        text=True,
        check=True,
        capture_output=True,
    )
    pgbench(url, clients=8, seconds=5, hot=False)  # warm-up: caches, hint bits, checkpoint
    figures = {}
    for clients in (4, 8):
        figures[f"random/{clients}"] = pgbench(url, clients=clients, seconds=seconds, hot=False)
    for clients in (2, 8):
        figures[f"hot/{clients}"] = pgbench(url, clients=clients, seconds=seconds, hot=True)
    return figures


# --- through the service ----------------------------------------------------------------------


def django_setup(url: str) -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="cooprogreso.settings",
        DATABASE_URL=url,
        DJANGO_DEBUG="false",
        SECRET_KEY="bench-" + "x" * 60,
        CACHE_URL="locmemcache://",
        LOG_LEVEL="WARNING",
    )
    import django

    django.setup()


def prepare_ledger(url: str) -> None:
    django_setup(url)
    from django.core.management import call_command
    from django.db import connection, transaction

    call_command("migrate", verbosity=0)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO ledger_account (id, code, name, kind, normal_side, currency, balance_minor,
                                        held_minor, forbid_negative, status, created_at)
            SELECT g, 'BENCH-' || g, 'Bench ' || g, 'liability', 'C', 'USD', %s, 0, true,
                   'active', now()
            FROM generate_series(1, %s) g
            """,
            [OPENING_MINOR, ACCOUNTS],
        )
        # The opening balances as one balanced journal, so the ledger agrees with itself.
        cursor.execute(
            """
            INSERT INTO ledger_account (id, code, name, kind, normal_side, currency, balance_minor,
                                        held_minor, forbid_negative, status, created_at)
            VALUES (%s, 'BENCH-CASH', 'Caja', 'asset', 'D', 'USD', %s, 0, false,
                    'active', now())
            """,
            [ACCOUNTS + 1, OPENING_MINOR * ACCOUNTS],
        )
        cursor.execute("SELECT setval('ledger_account_id_seq', %s)", [ACCOUNTS + 1])
        cursor.execute("SELECT nextval('ledger_journal_id_seq')")
        (opening_id,) = cursor.fetchone()
        cursor.execute(
            """
            INSERT INTO ledger_posting (journal_id, account_id, amount_minor, currency,
                                        balance_after_minor, description, created_at)
            SELECT %s, g, -%s, 'USD', %s, 'APERTURA', now() FROM generate_series(1, %s) g
            UNION ALL SELECT %s, %s, %s, 'USD', %s, 'APERTURA', now()
            """,
            [
                opening_id,
                OPENING_MINOR,
                OPENING_MINOR,
                ACCOUNTS,
                opening_id,
                ACCOUNTS + 1,
                OPENING_MINOR * ACCOUNTS,
                OPENING_MINOR * ACCOUNTS,
            ],
        )
        cursor.execute(
            """
            INSERT INTO ledger_journal (id, idempotency_key, request_hash, kind, channel, motive,
                                        source_type, source_id, value_date, created_at)
            VALUES (%s, 'bench-opening', '', 'opening', 'system', '', '', '', current_date, now())
            """,
            [opening_id],
        )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        cursor.execute("CHECKPOINT")


def _service_worker(url, seconds, hot, worker, counter, ready, go):
    django_setup(url)
    import random
    from decimal import Decimal

    from django.db import connection

    from ledger.models import Kind
    from ledger.services import Line, journal_post

    rng = random.Random(worker)
    one_cent = Decimal("0.01")
    done = 0
    connection.ensure_connection()
    with ready.get_lock():
        ready.value += 1
    go.wait()  # every process imported, connected and waiting before the clock starts
    deadline = time.time() + seconds
    while time.time() < deadline:
        source = 1 if hot else rng.randint(1, ACCOUNTS)
        target = rng.randint(2, ACCOUNTS)
        if target == source:
            continue
        journal_post(
            key=f"bench-{'hot' if hot else 'random'}-{worker}-{done}",
            kind=Kind.TRANSFER_INTERNAL,
            lines=[
                Line.debit(source, one_cent, "ND TRANSFERENCIA"),
                Line.credit(target, one_cent, "NC"),
            ],
        )
        done += 1
    with counter.get_lock():
        counter.value += done


def service_rate(url: str, *, processes: int, seconds: int, hot: bool) -> float:
    ctx = multiprocessing.get_context("spawn")
    counter, ready, go = ctx.Value("q", 0), ctx.Value("i", 0), ctx.Event()
    workers = [
        ctx.Process(target=_service_worker, args=(url, seconds, hot, n, counter, ready, go))
        for n in range(processes)
    ]
    for w in workers:
        w.start()
    while ready.value < processes:
        time.sleep(0.05)
    go.set()
    for w in workers:
        w.join()
    return counter.value / seconds


def payroll(url: str, lines: int = 10_000, chunk: int = 500) -> float:
    django_setup(url)
    from decimal import Decimal

    from ledger.models import Kind
    from ledger.services import Line, journal_post

    company = ACCOUNTS  # one company account pays everybody
    amount = Decimal("1.00")
    started = time.perf_counter()
    for n, first in enumerate(range(0, lines, chunk)):
        employees = range(first + 1, min(first + chunk, lines) + 1)
        batch = [Line.credit(e, amount, "NC PAGO DE NÓMINA") for e in employees]
        total = amount * len(batch)
        journal_post(
            key=f"bench-payroll-{n}",
            kind=Kind.PAYROLL,
            lines=[Line.debit(company, total, "ND PAGO DE NÓMINA"), *batch],
        )
    return time.perf_counter() - started


def invariants(url: str) -> tuple[bool, list[str]]:
    django_setup(url)
    from django.db import connection

    from ledger.audit import ledger_check

    report = ledger_check()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT sum(CASE WHEN normal_side = 'C' THEN balance_minor ELSE -balance_minor END)"
            " FROM ledger_account"
        )
        (net,) = cursor.fetchone()
    lines = report.lines()
    lines.append(f"suma neta de todas las cuentas: {net} (debe ser 0)")
    return report.ok and net == 0, lines


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
    )
    parser.add_argument(
        "--processes", default="8,16", help="worker processes to try, comma-separated"
    )
    args = parser.parse_args()
    seconds = args.seconds
    print(f"máquina: {os.cpu_count()} núcleos; {seconds} s por medición")

    raw = raw_limits(args.database_url, seconds)
    print("\nlímite crudo (pgbench, esquema del libro):")
    for name, tps in raw.items():
        print(f"  {name:<10} {tps:8.0f} transferencias/s")

    url = database_url(args.database_url, "cooprogreso_bench")
    recreate_database(args.database_url, "cooprogreso_bench")
    subprocess.run([sys.executable, __file__, "--prepare", url], check=True)

    print("\nservicio del libro (journal_post, procesos Python):")
    service_rate(url, processes=8, seconds=5, hot=False)  # warm-up, not counted
    best = {"random": 0.0, "hot": 0.0}
    for processes in map(int, args.processes.split(",")):
        for case in ("random", "hot"):
            rate = service_rate(url, processes=processes, seconds=seconds, hot=case == "hot")
            best[case] = max(best[case], rate)
            print(f"  {case:<6} {processes} procesos {rate:8.0f} transferencias/s")
    raw_random = max(v for k, v in raw.items() if k.startswith("random"))
    raw_hot = max(v for k, v in raw.items() if k.startswith("hot"))
    print("\nrazones (mejor servicio / mejor límite crudo):")
    print(f"  cuentas al azar   {best['random'] / raw_random:5.2f}  (meta ≥ 0.50)")
    print(f"  cuenta caliente   {best['hot'] / raw_hot:5.2f}  (meta ≥ 0.75)")

    elapsed = subprocess.run(
        [sys.executable, __file__, "--payroll", url], check=True, capture_output=True, text=True
    ).stdout.strip()
    print(
        "\nnómina de 10,000 líneas desde una cuenta, en comprobantes de 500: "
        f"{elapsed} s (meta ≤ 2 s)"
    )

    check = subprocess.run(
        [sys.executable, __file__, "--invariants", url], capture_output=True, text=True
    )
    print("\ninvariantes:")
    print("  " + check.stdout.strip().replace("\n", "\n  "))
    return check.returncode


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--prepare":
        prepare_ledger(sys.argv[2])
    elif len(sys.argv) == 3 and sys.argv[1] == "--payroll":
        print(f"{payroll(sys.argv[2]):.2f}")
    elif len(sys.argv) == 3 and sys.argv[1] == "--invariants":
        ok, lines = invariants(sys.argv[2])
        print("\n".join(lines))
        sys.exit(0 if ok else 1)
    else:
        sys.exit(main())

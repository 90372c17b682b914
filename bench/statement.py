"""How long one estado de cuenta takes: a month of 500 movements, read and reconciled with
the ledger, then rendered as the verifiable PDF (WeasyPrint).

    .venv/bin/python bench/statement.py [--movements 500] [--runs 5] [--database-url postgres://…]

1. A scratch database migrated with the portal's real schema and triggers; one member's
   savings account with an opening deposit and ``--movements`` deposits and withdrawals
   booked through ``products.services`` across last month (``ledger.services.booked_at``).
2. After one warm-up (fonts, templates), ``--runs`` times: ``statement_build`` (its
   queries counted) and ``statement_pdf``; the median and best of each.
3. The raw floor of the read: the month's SELECT through a bare cursor, to compare with
   the build.

Prints figures; fails on nothing but a statement that does not reconcile.
"""

import argparse
import io
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

from pypdf import PdfReader

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DATABASE = "cooprogreso_bench_statement"


def database_url(base: str, name: str) -> str:
    return urlunparse(urlparse(base)._replace(path=f"/{name}"))


def recreate_database(base: str, name: str) -> None:
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
        conn.execute(f'CREATE DATABASE "{name}"')


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


def prepare(movements: int):
    """The member, the account and its history; returns the account and the month."""
    from datetime import datetime, time, timedelta
    from decimal import Decimal

    from django.core.management import call_command
    from django.utils import timezone

    from accounts.models import Member
    from core.profile import cooperatives_load_ready
    from ledger.books import books_open
    from ledger.services import booked_at
    from products.catalog import product_types_load
    from products.models import ProductType
    from products.services import cash_deposit, cash_withdrawal, deposit_account_open

    call_command("migrate", verbosity=0)
    cooperatives_load_ready()
    books_open(currency="USD")
    product_types_load(cooperative_slug="cooprogreso")
    member = Member.objects.create(
        member_number="900001",
        id_type=Member.IdType.CEDULA,
        id_number="1710034065",
        first_names="María Fernanda",
        last_names="Pérez Andrade",
        email="maria@example.com",
        mobile_phone="+593991234567",
        birth_date=datetime(1990, 5, 17).date(),
        address="Av. Amazonas N24-03, Quito",
    )
    account = deposit_account_open(member=member, product_type=ProductType.objects.get(code="AHO"))
    tz = timezone.get_current_timezone()
    last = timezone.localdate().replace(day=1) - timedelta(days=1)
    first = last.replace(day=1)
    with booked_at(datetime.combine(first - timedelta(days=1), time(9), tz)):
        cash_deposit(account=account, amount=Decimal("100000.00"), key="bench-opening")
    start = datetime.combine(first, time(0, 1), tz)
    step = (datetime.combine(last, time(23, 0), tz) - start) / movements
    for n in range(movements):
        post = cash_withdrawal if n % 3 == 2 else cash_deposit
        amount = Decimal(f"{10 + n % 97}.{n % 100:02d}")
        with booked_at(start + step * n):
            post(account=account, amount=amount, key=f"bench-{n}")
    return account, first.year, first.month


def measure(account, year: int, month: int, runs: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from ledger.selectors import day_start
    from products.statements import month_bounds, statement_build, statement_pdf

    statement_pdf(statement_build(account=account, year=year, month=month))  # warm-up
    builds, renders, queries = [], [], 0
    for _ in range(runs):
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as captured:
            statement = statement_build(account=account, year=year, month=month)
        built = time.perf_counter()
        pdf = statement_pdf(statement)
        done = time.perf_counter()
        builds.append(built - started)
        renders.append(done - built)
        queries = len(captured)
    first, last = month_bounds(year, month)
    from datetime import timedelta

    raw = []
    with connection.cursor() as cursor:
        for _ in range(runs):
            started = time.perf_counter()
            cursor.execute(
                "SELECT id, journal_id, created_at, amount_minor, balance_after_minor,"
                " description FROM ledger_posting WHERE account_id = %s AND created_at >= %s"
                " AND created_at < %s ORDER BY created_at, id",
                [
                    account.ledger_account_id,
                    day_start(first),
                    day_start(last + timedelta(days=1)),
                ],
            )
            cursor.fetchall()
            raw.append(time.perf_counter() - started)
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    return {
        "lines": len(statement.lines),
        "opening": statement.opening,
        "closing": statement.closing,
        "queries": queries,
        "build": builds,
        "render": renders,
        "raw": raw,
        "pages": pages,
        "bytes": len(pdf),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--movements", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
    )
    args = parser.parse_args()
    recreate_database(args.database_url, DATABASE)
    django_setup(database_url(args.database_url, DATABASE))
    print(f"máquina: {os.cpu_count()} núcleos; {args.runs} mediciones tras un calentamiento")

    started = time.perf_counter()
    account, year, month = prepare(args.movements)
    print(
        f"historia: {args.movements} movimientos en {month:02d}/{year} por products.services "
        f"en {time.perf_counter() - started:.1f} s"
    )
    figures = measure(account, year, month, args.runs)

    def ms(values):
        median, best = statistics.median(values) * 1000, min(values) * 1000
        return f"mediana {median:7.1f} ms · mejor {best:7.1f} ms"

    total = [b + r for b, r in zip(figures["build"], figures["render"], strict=True)]
    print(
        f"\nestado de cuenta de {figures['lines']} movimientos "
        f"({figures['pages']} páginas, {figures['bytes'] / 1024:.0f} KiB):"
    )
    for label, values in (
        (f"statement_build ({figures['queries']} consultas)", figures["build"]),
        ("statement_pdf (WeasyPrint)", figures["render"]),
        ("total", total),
        ("SELECT del mes, cursor directo", figures["raw"]),
    ):
        print(f"  {label:<32} {ms(values)}")
    print(
        "\nrazón build / SELECT directo: "
        f"{statistics.median(figures['build']) / statistics.median(figures['raw']):.1f}"
    )
    print(
        f"un worker envía ~{3600 / statistics.median(total):,.0f} estados de cuenta de este "
        "tamaño por hora"
    )
    print(f"\nconcilia: saldo inicial {figures['opening']} → saldo final {figures['closing']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

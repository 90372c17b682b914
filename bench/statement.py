"""How long one estado de cuenta takes: a month of 500 movements, read and reconciled with
the ledger, rendered as the verifiable PDF (WeasyPrint), stored, and downloaded again.

    .venv/bin/python bench/statement.py [--movements 500] [--runs 5] [--database-url postgres://…]

1. A scratch database migrated with the portal's real schema and triggers; one member's
   savings account with an opening deposit and ``--movements`` deposits and withdrawals
   booked through ``products.services`` across last month (``ledger.services.booked_at``).
2. After one warm-up (fonts, templates), ``--runs`` times, alternating so that drift in a
   shared machine's load weighs on both: ``statement_build`` (its queries counted) and
   ``statement_pdf``; and the floor, a bare four-column table of as many rows with no
   styling rendered by WeasyPrint. Their ratio is the statement's overhead over the floor.
3. The monthly run's cost per statement: ``statement_store`` (build, render and keep the
   closed month, what the beat does before e-mailing), as statements per minute per worker.
4. The member's download of the stored statement: ``GET /estado-de-cuenta/`` through
   Django's test client, signed in (middleware, session, form and the stored row).
5. The raw floor of the read: the month's SELECT through a bare cursor, to compare with
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
# The script's own folder leaves the path: bench/http.py would shadow the standard
# library's ``http`` package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
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


def bare_table(rows: int) -> str:
    """The floor: the same number of rows in a four-column table, no stylesheet at all."""
    cells = "".join(
        f"<tr><td>{n % 28 + 1:02d}/05/2026</td><td>{100000 + n}</td>"
        f"<td>DEPÓSITO EN EFECTIVO</td><td>${10 + n % 97}.{n % 100:02d}</td></tr>"
        for n in range(rows)
    )
    return f"<!doctype html><html><body><table>{cells}</table></body></html>"


def bare_pdf(html: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=html).write_pdf()


def download(account, year: int, month: int, runs: int) -> tuple[list[float], int]:
    """``runs`` × 4 downloads of the stored statement, signed in as its member; and the
    queries of one."""
    from django.db import connection
    from django.test import Client

    from accounts.models import User

    user = User.objects.create_user(username="bench-maria", password=None)
    account.member.user = user
    account.member.save(update_fields=["user"])
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    url = f"/estado-de-cuenta/?cuenta={account.public_id}&mes={year}-{month:02d}"
    first = client.get(url, secure=True)  # warm-up, and the check that it is the stored file
    assert first.status_code == 200 and first["Content-Type"] == "application/pdf", first
    captured = []  # the request's own signals reset Django's query log: count them here

    def count(execute, sql, params, many, context):
        captured.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        client.get(url, secure=True)
    times = []
    for _ in range(runs * 4):
        started = time.perf_counter()
        response = client.get(url, secure=True)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200
    return times, len(captured)


def measure(account, year: int, month: int, runs: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from ledger.selectors import day_start
    from products.models import StoredStatement, VerifiedDocument
    from products.statements import month_bounds, statement_build, statement_pdf, statement_store

    statement = statement_build(account=account, year=year, month=month)
    floor_html = bare_table(len(statement.lines))
    statement_pdf(statement)  # warm-up
    bare_pdf(floor_html)
    builds, renders, floors, stores, queries = [], [], [], [], 0
    for _ in range(runs):
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as captured:
            statement = statement_build(account=account, year=year, month=month)
        built = time.perf_counter()
        pdf = statement_pdf(statement)
        done = time.perf_counter()
        bare_pdf(floor_html)
        floors.append(time.perf_counter() - done)
        builds.append(built - started)
        renders.append(done - built)
        queries = len(captured)
        stored = StoredStatement.objects.filter(account=account, year=year, month=month)
        documents = list(stored.values_list("document_id", flat=True))
        stored.delete()
        VerifiedDocument.objects.filter(pk__in=documents).delete()
        started = time.perf_counter()
        statement_store(account=account, year=year, month=month)
        stores.append(time.perf_counter() - started)
    downloads, download_queries = download(account, year, month, runs)
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
        "floor": floors,
        "store": stores,
        "download": downloads,
        "download_queries": download_queries,
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
        (f"tabla sin estilo, {figures['lines']} filas", figures["floor"]),
        ("statement_store (mes cerrado)", figures["store"]),
        (f"descarga del guardado ({figures['download_queries']} consultas)", figures["download"]),
        ("SELECT del mes, cursor directo", figures["raw"]),
    ):
        print(f"  {label:<32} {ms(values)}")
    median = statistics.median
    ratio = median(figures["render"]) / median(figures["floor"])
    print(
        f"\nrazón statement_pdf / tabla sin estilo: {ratio:.2f} "
        f"({'cumple' if ratio <= 1.25 else 'no cumple'} ≤ 1.25)"
    )
    stored_ms = median(figures["download"]) * 1000
    print(
        f"descarga de un estado de cuenta guardado: {stored_ms:.1f} ms "
        f"({'cumple' if stored_ms <= 50 else 'no cumple'} ≤ 50 ms)"
    )
    print(
        "corrida mensual: un worker guarda ~"
        f"{60 / median(figures['store']):,.1f} estados de cuenta de este tamaño por minuto"
    )
    print(f"razón build / SELECT directo: {median(figures['build']) / median(figures['raw']):.1f}")
    print(f"\nconcilia: saldo inicial {figures['opening']} → saldo final {figures['closing']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

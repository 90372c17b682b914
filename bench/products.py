"""The member's pages with a long history: time and query count, in one run.

    .venv/bin/python bench/products.py [--postings 100000] [--runs 20] [--database-url postgres://…]

1. A scratch database migrated with the portal's schema and the demo cooperative loaded.
2. A savings account for the demo member María with ``--postings`` movements spread over
   the last 400 days, posted through ``products.services`` (the real ledger path).
3. Through Django's test client, signed in as María: the "Posición consolidada" page, an
   account's "Últimos movimientos", the "Mes anterior" filter, a page far down the keyset
   pagination, and the "Mes anterior" PDF. For each: median and worst time of ``--runs``
   requests and the number of SQL queries one request runs.

Prints figures; fails on nothing. docs/performance.md records the latest run.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The script's own folder leaves the path: bench/http.py would shadow the standard
# library's ``http`` package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

from bench.ledger import database_url, django_setup, recreate_database  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/postgres"


def load_history(postings: int):
    from django.core.management import call_command
    from django.utils import timezone

    from accounts.models import Member
    from cooprogreso.demo import demo_load
    from ledger.services import booked_at
    from products.models import ProductType
    from products.services import cash_deposit, cash_withdrawal, deposit_account_open

    call_command("migrate", verbosity=0)
    demo_load()  # the scratch database is the bench's own; the command guards real ones
    maria = Member.objects.get(user__username="mariaperez")
    account = deposit_account_open(member=maria, product_type=ProductType.objects.get(code="AHO"))
    start = timezone.now() - timedelta(days=400)
    step = timedelta(days=399) / postings
    began = time.perf_counter()
    for n in range(postings):
        with booked_at(start + step * n):
            if n % 3 == 2:
                cash_withdrawal(account=account, amount=Decimal("7.00"), key=f"bench-{n}")
            else:
                cash_deposit(account=account, amount=Decimal("5.50"), key=f"bench-{n}")
        if n and n % 10_000 == 0:
            print(f"  {n:,} movimientos ({time.perf_counter() - began:.0f} s)", flush=True)
    return maria, account


def measure(client, url: str, runs: int) -> tuple[float, float, int, int]:
    from django.db import connections

    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    client.get(url)  # warm-up: the process's catalogs, as in a running portal
    with connections["default"].execute_wrapper(count):
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - began)
    return statistics.median(times), max(times), len(queries), len(response.content)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postings", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    args = parser.parse_args()

    os.environ.update(
        ALLOWED_HOSTS="testserver", SECURE_SSL_REDIRECT="false", STATIC_MANIFEST="false"
    )
    name = "cooprogreso_bench_products"
    recreate_database(args.database_url, name)
    django_setup(database_url(args.database_url, name))
    print(f"Cargando {args.postings:,} movimientos en una cuenta de María…", flush=True)
    began = time.perf_counter()
    maria, account = load_history(args.postings)
    print(f"  listo en {time.perf_counter() - began:.0f} s\n")

    from django.test import Client

    from ledger.selectors import movements

    client = Client()
    client.force_login(maria.user)
    cursor, deep = None, 1
    while deep <= 500:  # up to 5,000 movements down the list
        following = movements(account=account.ledger_account, cursor=cursor, limit=10).next_cursor
        if following is None:
            break
        cursor, deep = following, deep + 1
    detail = f"/cuentas/{account.public_id}/"
    pages = [
        ("Posición consolidada", "/posicion-consolidada/"),
        ("Detalle de cuenta (últimos)", detail),
        ("Filtro Mes anterior", f"{detail}?periodo=mes_anterior"),
        (f"Página {deep} (keyset)", f"{detail}?cursor={cursor}"),
        (
            "Descargar PDF Mes anterior",
            f"/cuentas/{account.public_id}/descargar/?periodo=mes_anterior&formato=pdf",
        ),
    ]
    print(f"{'Página':32} {'mediana':>9} {'peor':>9} {'consultas':>10} {'bytes':>9}")
    for label, url in pages:
        median, worst, queries, size = measure(client, url, args.runs if "PDF" not in label else 3)
        print(f"{label:32} {median * 1000:7.1f} ms {worst * 1000:7.1f} ms {queries:10d} {size:9,d}")
    print(f"\n{args.postings:,} movimientos en la cuenta; {datetime.now():%Y-%m-%d %H:%M}")


if __name__ == "__main__":
    main()

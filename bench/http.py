"""The portal over HTTP under load, in one run: the login page, the position, an account's
movements and a complete transfer through gunicorn, each at its maximum rate and at half
of it.

    .venv/bin/python bench/http.py [--members 60] [--seconds 15] [--connections 16]
                                   [--port 8765] [--database-url postgres://…]
                                   [--redis-url redis://127.0.0.1:6379/14]

Needs wrk (Debian: ``apt-get install -y wrk``), PostgreSQL and Redis.

1. A scratch PostgreSQL database migrated with the portal's schema and the demo cooperative
   loaded, and ``--members`` members who each hold what the demo's María holds — a savings
   account and certificates with a year of history, a CONSUMO AGIL loan paid installment
   by installment, a póliza, a debit card and a credit card with purchases and a closed
   statement — all through the services; then ``VACUUM ANALYZE``, so that the planner
   knows what was loaded, as in a database in service. The static files collected with
   the manifest.
2. A signed-in session per member, made as Django's test client signs in (the session
   engine's row with the user's id and password hash: the code and device steps of the
   sign-in are the login page's own work, measured there).
3. gunicorn with ``gunicorn.conf.py`` (its workers and threads, ``WEB_WORKERS`` and
   ``WEB_THREADS`` as in production), production settings (``DJANGO_DEBUG=false``, the
   manifest's static files, Redis as the shared cache), PostgreSQL on loopback. SMS codes
   go to the bench's own backend, which leaves them in the shared cache for the client;
   e-mails go nowhere; the notices' tasks to an in-memory broker (no worker).
4. For each page, after a warm-up: the maximum rate with ``wrk`` (``--connections``
   connections, every request a different member's session, round robin); a complete
   transfer — the «Transferencias a mis cuentas» form's page, then «Continuar» (the review
   and the code sent) and the code (the receipt) posted as htmx posts them, each answered
   with the dialog's next step — from a threaded Python client, ``--connections``
   threads. The pages' maximum rates are measured in turns of two seconds each (login,
   position, account, login…) until each had ``--seconds``, so that a drift of the
   machine's speed weighs on every page alike; the rate-limit counts are forgotten
   every second while transfers run (the bench measures speed, not refusals). Then each again at
   half its maximum rate
   from an open-loop client that sends on a fixed schedule and times each request from
   the moment it was due (as wrk2 does, so a stalled server is not hidden): the 95th
   percentile.
5. Queries per page: one request of each through Django's test client in this process,
   counted with ``CaptureQueriesContext``.

Prints each page's maximum rate, its p95 at half rate and its queries, the ratio
position/login (target ≥ 0.40) and whether every p95 is within 50 ms. Fails on nothing:
docs/performance.md records the latest run.
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# Run as a script, this file's folder would come first on the path and this module would
# shadow the standard library's ``http`` package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import http.client  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from datetime import timedelta  # noqa: E402
from decimal import Decimal  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS = "redis://127.0.0.1:6379/14"
DATABASE = "cooprogreso_bench_http"
CODE = re.compile(r"código de seguridad es (\d{6})")
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
ALERT = re.compile(r'role="alert"[^>]*>\s*(?:<[^>]+>\s*)*([^<]+)')
OP = re.compile(r'name="op" value="([0-9a-f]{32})"')
TRANSFER_URL = "/transferencias/mis-cuentas/"
SLICE_SECONDS = 2  # the pages' turns at maximum rate
SESSION_COOKIE = "__Host-sessionid"  # production settings: secure cookies
CSRF_COOKIE = "__Host-csrftoken"
D = Decimal


class CodeCacheSmsBackend:
    """The bench's SMS gateway (``SMS_BACKEND`` of the portal under test, the interface of
    ``core.notifications.BaseSmsBackend``): each message waits in the shared cache, under
    its phone number, for the client to read the code."""

    def send_messages(self, messages):
        from django.core.cache import cache

        for message in messages:
            cache.set(f"bench-sms:{message.to}", message.body, 600)
        return len(messages)


# --- the data ---------------------------------------------------------------------------------


def environment(url: str, redis_url: str, static_root: str) -> dict[str, str]:
    """Production settings for the portal under test and for this process alike."""
    return {
        "DJANGO_SETTINGS_MODULE": "cooprogreso.settings",
        "DATABASE_URL": url,
        "DJANGO_DEBUG": "false",
        "SECRET_KEY": "bench-" + "x" * 60,
        "CACHE_URL": redis_url,
        "CELERY_BROKER_URL": "memory://localhost/",
        "EMAIL_URL": "dummymail://",
        "SMS_BACKEND": "bench.http.CodeCacheSmsBackend",
        "STATIC_ROOT": static_root,
        "ALLOWED_HOSTS": "127.0.0.1,testserver",
        "SECURE_SSL_REDIRECT": "false",  # TLS ends at the proxy in front of gunicorn
        "LOG_LEVEL": "WARNING",
        # Sessions outlive a long run (the idle limit is a setting, not a cost).
        "SESSION_IDLE_SECONDS": "3600",
    }


def pan(prefix: str, n: int) -> str:
    from stdnum import luhn

    body = f"{prefix}{n:09d}"
    return body + luhn.calc_check_digit(body)


def member_seed(n: int, today) -> None:
    """Member ``n`` holds what the demo's María holds, made through the services."""
    from accounts.models import Member, SecurityImage, User
    from cards.models import Card
    from cards.services import (
        card_issue_credit,
        card_issue_debit,
        card_purchase,
        card_statement_close,
    )
    from core.demo import Demo, at
    from ledger.demo import history_run
    from ledger.services import booked_at
    from products import demo as products_demo
    from products.amortization import add_months
    from products.investments import term_deposit_open
    from products.loans import loan_grant
    from products.models import DepositAccount, LoanType, ProductType, TermDepositType
    from products.services import cash_deposit, deposit_account_open

    user = User(
        username=f"socio{n:05d}",
        first_name="Socia",
        last_name=f"Prueba {n}",
        email=f"socio{n:05d}@example.com",
        security_image=SecurityImage.objects.get(slug="estrella"),
    )
    user.set_unusable_password()  # sessions are made here, not by signing in
    user.save()
    member = Member.objects.create(
        user=user,
        member_number=f"{800000 + n}",
        id_type=Member.IdType.PASSPORT,
        id_number=f"HTTP{n:06d}",
        first_names="Socia",
        last_names=f"De Prueba {n}",
        email=f"socio{n:05d}@example.com",
        mobile_phone=f"+5939{n:08d}",
        birth_date=today.replace(year=1988),
        address="Av. de la Prensa N58-120 y Vaca de Castro, Quito",
    )
    opened = products_demo.history_start(today)
    for code, opening in (("AHO", "295.65"), ("CER", "432.90")):
        account = deposit_account_open(
            member=member, product_type=ProductType.objects.get(code=code)
        )
        with booked_at(opened):
            cash_deposit(account=account, amount=D(opening), key=f"http:{n}:{code}:opening")
    savings = DepositAccount.objects.get(member=member, product_type__code="AHO")
    demo = Demo(today=today)
    demo.history += products_demo._monthly(member, today)
    granted = add_months(today, -5, on_day=1)
    demo.history.append(
        (
            at(granted, 11),
            lambda: products_demo._installment_payments(
                loan_grant(
                    member=member,
                    loan_type=LoanType.objects.get(code="CAG"),
                    principal=D("1000.00"),
                    installments=24,
                    disbursement_account=savings,
                    granted_on=granted,
                    first_due=granted.replace(day=25),
                ),
                savings,
                today,
            ),
        )
    )
    issued = add_months(today, -2, on_day=3)
    demo.history.append(
        (
            at(issued, 12),
            lambda: term_deposit_open(
                member=member,
                deposit_type=TermDepositType.objects.get(code="DPF"),
                account=savings,
                capital=D("1000.00"),
                term_days=365,
                annual_rate=D("0.0725"),
                key=f"http:{n}:poliza",
                issued_on=issued,
            ),
        )
    )
    history_run(demo)
    card_issue_debit(account=savings, brand=Card.Brand.MASTERCARD, pan=pan("550975", n))
    credit = card_issue_credit(
        member=member,
        brand=Card.Brand.MASTERCARD,
        pan=pan("513744", n),
        credit_limit=D("1500.00"),
    )
    for k, (days_ago, description, amount) in enumerate(
        ((12, "SUPERMAXI SAN CARLOS", "86.40"), (6, "TROPI BURGER T049", "2.99")), start=1
    ):
        with booked_at(at(today - timedelta(days=days_ago), 13, 10 + k)):
            card_purchase(
                card=credit, amount=D(amount), description=description, key=f"http:{n}:{k}"
            )
    card_statement_close(card=credit, on=today)


def seed(members: int) -> None:
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from cooprogreso.demo import demo_load
    from transfers.models import TransferLimit

    call_command("migrate", verbosity=0)
    began = time.perf_counter()
    demo_load()  # the scratch database is the bench's own; the command guards real ones
    for limit in TransferLimit.objects.all():  # the bench measures speed, not refusals
        limit.daily = limit.weekly = limit.monthly = D("999999999.00")
        limit.save()
    print(f"  la cooperativa demo en {time.perf_counter() - began:.0f} s", flush=True)
    today = timezone.localdate()
    began = time.perf_counter()
    for n in range(members):
        with transaction.atomic():
            member_seed(n, today)
        if n % 10 == 9:
            print(f"  {n + 1} socios ({time.perf_counter() - began:.0f} s)", flush=True)


def settle() -> None:
    """The planner's statistics for what the seeding loaded, as a database in service has
    them: without, autovacuum's first pass lands in the middle of a measurement."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def limits_forget(redis_url: str) -> None:
    """Forgets the portal's rate-limit counts (the bench's own Redis database)."""
    import redis

    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match="*ratelimit:*", count=1000))
    if keys:
        client.delete(*keys)


@contextmanager
def limits_forgotten(redis_url: str):
    """Forgets the rate-limit counts every second while the block runs: at full speed a
    member whose client thread got a quick connection is sent more codes in a few seconds
    than a person may ask for in fifteen minutes, and the bench measures speed, not
    refusals."""
    done = threading.Event()

    def forget():
        while not done.wait(1.0):
            limits_forget(redis_url)

    limits_forget(redis_url)
    thread = threading.Thread(target=forget, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


@dataclass
class Person:
    username: str
    phone: str
    session: str
    savings: str  # public ids
    certificates: str
    csrf: str = ""

    def cookie(self) -> str:
        cookie = f"{SESSION_COOKIE}={self.session}"
        return f"{cookie}; {CSRF_COOKIE}={self.csrf}" if self.csrf else cookie


def sessions() -> list[Person]:
    """A signed-in session for every bench member, as ``Client.force_login`` makes one."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.utils.module_loading import import_string

    from accounts.models import Member
    from products.models import DepositAccount

    store = import_string(f"{settings.SESSION_ENGINE}.SessionStore")
    people = []
    members = Member.objects.filter(member_number__startswith="8").select_related("user")
    for member in members.order_by("member_number"):
        accounts = {
            a.product_type.code: str(a.public_id)
            for a in DepositAccount.objects.filter(member=member).select_related("product_type")
        }
        session = store()
        session[SESSION_KEY] = str(member.user.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = member.user.get_session_auth_hash()
        session.create()
        people.append(
            Person(
                username=member.user.username,
                phone=member.mobile_phone,
                session=session.session_key,
                savings=accounts["AHO"],
                certificates=accounts["CER"],
            )
        )
    return people


# --- the server -------------------------------------------------------------------------------


def gunicorn_start(env: dict, port: int) -> subprocess.Popen:
    log = open(Path(tempfile.gettempdir()) / f"bench-http-{port}.log", "w")  # noqa: SIM115
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "-c",
            "gunicorn.conf.py",  # its JSON access log too, as in production (to the log file)
            "cooprogreso.wsgi",
        ],
        cwd=ROOT,
        env={**os.environ, **env, "WEB_BIND": f"127.0.0.1:{port}"},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"gunicorn no respondió; ver {log.name}")


def gunicorn_stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)


# --- the load ---------------------------------------------------------------------------------

WRK_SCRIPT = """
local requests = {%s}
local n = 0
bad = 0
local threads = {}
function setup(thread)
  table.insert(threads, thread)
end
function init(args)
  n = math.random(#requests)
end
function request()
  n = n %% #requests + 1
  return requests[n]
end
function response(status, headers, body)
  if status ~= 200 then bad = bad + 1 end
end
function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("bad") end
  io.write(string.format("BAD %%d\\n", total))
end
"""


def lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def wrk(port: int, requests: list[tuple[str, str]], *, seconds: int, connections: int) -> float:
    """Requests per second at saturation; every request ``(path, cookie)`` in turn."""
    if shutil.which("wrk") is None:
        raise SystemExit("Falta wrk: apt-get install -y wrk")

    def entry(path: str, cookie: str) -> str:
        headers = f'["Cookie"] = {lua_string(cookie)}' if cookie else ""
        return f"wrk.format('GET', {lua_string(path)}, {{{headers}}})"

    entries = ", ".join(entry(path, cookie) for path, cookie in requests)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(WRK_SCRIPT % entries)
    try:
        result = subprocess.run(
            [
                "wrk",
                "-t",
                "1",
                "-c",
                str(connections),
                "-d",
                f"{seconds}s",
                "--timeout",
                "10s",
                "-s",
                f.name,
                f"http://127.0.0.1:{port}",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        os.unlink(f.name)
    bad = int(re.search(r"^BAD (\d+)", result.stdout, re.M).group(1))
    errors = re.search(r"Socket errors: .*", result.stdout)
    if bad or errors:
        print(f"  ¡atención! {bad} respuestas distintas de 200; {errors and errors.group(0)}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", result.stdout).group(1))


class Browser:
    """One keep-alive connection, as a browser's: GET and POST with a member's cookies."""

    def __init__(self, port: int):
        self.port = port
        self.connection = None

    def request(self, method: str, path: str, cookie: str, body: dict | None = None, *, htmx=False):
        from urllib.parse import urlencode

        headers = {"Cookie": cookie, "Host": "127.0.0.1"}
        if htmx:  # as htmx sends it: the answer is the dialog's next step, not a page
            headers["HX-Request"] = "true"
            headers["HX-Current-URL"] = f"http://127.0.0.1:{self.port}{path}"
        data = None
        if body is not None:
            data = urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                self.connection.request(method, path, body=data, headers=headers)
                response = self.connection.getresponse()
                content = response.read()
            except (http.client.HTTPException, OSError):
                self.connection.close()
                self.connection = None
                if attempt == 2:
                    raise
                continue
            if response.getheader("Connection", "").lower() == "close":
                self.connection.close()
                self.connection = None
            return response.status, content.decode(), response.getheader("Set-Cookie") or ""


def transfer_steps(browser: Browser, person: Person, cache, timer=None) -> None:
    """One complete transfer as a browser makes it: the form's page, then «Continuar»
    (review and code) and the code (receipt) posted by htmx, which swaps the dialog's next
    step into the page. ``timer(step, seconds)`` hears each request's time."""

    def step(name, method, body=None):
        began = time.perf_counter()
        status, html, set_cookie = browser.request(
            method, TRANSFER_URL, person.cookie(), body, htmx=method == "POST"
        )
        if timer:
            timer(name, time.perf_counter() - began)
        if status != 200:
            raise RuntimeError(f"{name}: HTTP {status}")
        return html, set_cookie

    html, set_cookie = step("formulario", "GET")
    if match := re.search(rf"{CSRF_COOKIE}=([^;]+)", set_cookie):
        person.csrf = match.group(1)
    token = CSRF.search(html).group(1)
    cache.delete(f"bench-sms:{person.phone}")
    html, _ = step(
        "continuar",
        "POST",
        {
            "csrfmiddlewaretoken": token,
            "step": "form",
            "origen": person.savings,
            "destino": person.certificates,
            "monto": "1.00",
            "motivo": "Aporte",
        },
    )
    op = OP.search(html)
    if op is None:
        said = ALERT.search(html)
        raise RuntimeError(f"continuar: sin código de seguridad ({said and said.group(1)})")
    code = CODE.search(cache.get(f"bench-sms:{person.phone}") or "")
    if code is None:
        raise RuntimeError("continuar: el código no llegó")
    html, _ = step(
        "comprobante",
        "POST",
        {
            "csrfmiddlewaretoken": token,
            "step": "confirm",
            "op": op.group(1),
            "answer": code.group(1),
        },
    )
    if "¡Transferencia exitosa!" not in html:
        raise RuntimeError("comprobante: la transferencia no se hizo")


def transfers_max(port: int, people: list[Person], *, seconds: int, threads: int) -> float:
    """Complete transfers per second from ``threads`` closed-loop clients, each with its
    own members."""
    from django.core.cache import cache

    done, failures = [0] * threads, []
    stop = time.monotonic() + seconds

    def run(k: int):
        browser, mine = Browser(port), people[k::threads]
        i = 0
        while time.monotonic() < stop:
            try:
                transfer_steps(browser, mine[i % len(mine)], cache)
                done[k] += 1
            except RuntimeError as exc:
                failures.append(str(exc))
            i += 1

    began = time.monotonic()
    workers = [threading.Thread(target=run, args=(k,)) for k in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    if failures:
        said = "; ".join(sorted(set(failures)))
        print(f"  ¡atención! {len(failures)} transferencias fallidas: {said}")
    return sum(done) / (time.monotonic() - began)


@dataclass
class Latencies:
    values: dict[str, list[float]] = field(default_factory=dict)
    failures: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, name: str, seconds: float) -> None:
        with self.lock:
            self.values.setdefault(name, []).append(seconds)

    def p95(self, name: str | None = None) -> float:
        values = sorted(
            self.values.get(name, []) if name else [v for vs in self.values.values() for v in vs]
        )
        return values[min(len(values) - 1, int(len(values) * 0.95))] if values else float("nan")


def constant_rate(rate: float, seconds: int, job, *, threads: int = 32) -> Latencies:
    """Starts ``job(k, latencies, due)`` at ``rate`` a second for ``seconds``; each job times
    itself from ``due``, its scheduled start, so time spent waiting for a free client
    counts as the server's (no coordinated omission)."""
    latencies = Latencies()
    total = max(1, round(rate * seconds))
    start = time.perf_counter() + 0.2
    next_index = iter(range(total))
    index_lock = threading.Lock()

    def run(k: int):
        while True:
            with index_lock:
                i = next(next_index, None)
            if i is None:
                return
            due = start + i / rate
            pause = due - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            try:
                job(k, i, latencies, due)
            except (RuntimeError, OSError, http.client.HTTPException):
                with latencies.lock:
                    latencies.failures += 1

    workers = [threading.Thread(target=run, args=(k,)) for k in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    if latencies.failures:
        print(f"  ¡atención! {latencies.failures} peticiones fallidas")
    return latencies


def get_job(port: int, requests: list[tuple[str, str]], threads: int):
    browsers = [Browser(port) for _ in range(threads)]

    def job(k, i, latencies, due):
        path, cookie = requests[i % len(requests)]
        status, _, _ = browsers[k].request("GET", path, cookie)
        latencies.add("page", time.perf_counter() - due)
        if status != 200:
            raise RuntimeError(f"HTTP {status}")

    return job


def transfer_job(port: int, people: list[Person], threads: int):
    """At a constant rate of complete transfers: each step is timed on its own (the first
    from the transfer's scheduled start)."""
    from django.core.cache import cache

    browsers = [Browser(port) for _ in range(threads)]
    busy = {p.username: threading.Lock() for p in people}

    def job(k, i, latencies, due):
        person = people[i % len(people)]
        with busy[person.username]:  # one transfer at a time per member, as a person
            first = [True]

            def timer(name, seconds):
                if first[0]:
                    seconds, first[0] = time.perf_counter() - due, False
                latencies.add(name, seconds)

            transfer_steps(browsers[k], person, cache, timer)
            latencies.add("transferencia completa", time.perf_counter() - due)

    return job


# --- queries ----------------------------------------------------------------------------------


def queries_per_page(people: list[Person]) -> dict[str, int]:
    """One request of each page through Django's test client, its queries counted (the
    second request of each: the first also warms this process's catalogs)."""
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User

    person = people[-1]
    client = Client(enforce_csrf_checks=False)
    client.force_login(User.objects.get(username=person.username))

    def count(method, url, data=None) -> tuple[int, str]:
        headers = {"HX-Request": "true"} if method == "post" else {}
        with CaptureQueriesContext(connection) as captured:
            response = getattr(client, method)(url, data, secure=True, headers=headers)
        assert response.status_code == 200, (url, response.status_code)
        return len(captured), response.content.decode()

    figures = {}
    anonymous = Client()
    for _ in range(2):
        with CaptureQueriesContext(connection) as captured:
            assert anonymous.get("/ingresar/", secure=True).status_code == 200
    figures["login"] = len(captured)
    for label, url in (
        ("position", "/posicion-consolidada/"),
        ("account", f"/cuentas/{person.savings}/"),
    ):
        count("get", url)
        figures[label] = count("get", url)[0]
    for _ in range(2):
        form, _ = count("get", TRANSFER_URL)
        cache.delete(f"bench-sms:{person.phone}")
        review, html = count(
            "post",
            TRANSFER_URL,
            {
                "step": "form",
                "origen": person.savings,
                "destino": person.certificates,
                "monto": "1.00",
                "motivo": "Aporte",
            },
        )
        code = CODE.search(cache.get(f"bench-sms:{person.phone}")).group(1)
        receipt, html = count(
            "post",
            TRANSFER_URL,
            {"step": "confirm", "op": OP.search(html).group(1), "answer": code},
        )
        assert "¡Transferencia exitosa!" in html
    figures["transfer"] = (form, review, receipt)
    return figures


# --- the run ----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=60)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS))
    parser.add_argument(
        "--reuse", action="store_true", help="keep the database an earlier run loaded"
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("Falta wrk: apt-get install -y wrk")

    from bench.ledger import database_url, recreate_database

    url = database_url(args.database_url, DATABASE)
    static_root = tempfile.mkdtemp(prefix="bench-http-static-")
    env = environment(url, args.redis_url, static_root)
    os.environ.update(env)
    if not args.reuse:
        recreate_database(args.database_url, DATABASE)
    import django
    import redis

    redis.Redis.from_url(args.redis_url).flushdb()  # the bench's own Redis database
    django.setup()
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connections

    call_command("collectstatic", interactive=False, verbosity=0)
    if not args.reuse:
        print(f"Cargando la cooperativa demo y {args.members} socios como María…", flush=True)
        seed(args.members)
    settle()
    people = sessions()
    print(f"{len(people)} socios con su sesión\n", flush=True)
    queries = queries_per_page(people)
    connections.close_all()

    server = gunicorn_start(env, args.port)
    try:
        pages = {
            "login": [("/ingresar/", "")],
            "position": [("/posicion-consolidada/", p.cookie()) for p in people],
            "account": [(f"/cuentas/{p.savings}/", p.cookie()) for p in people],
        }
        c = args.connections
        for requests in pages.values():  # warm-up: every worker's catalogs and templates
            wrk(args.port, requests, seconds=3, connections=c)
        with limits_forgotten(args.redis_url):
            transfers_max(args.port, people, seconds=3, threads=min(c, len(people)))
        # The pages take turns in short slices: this machine's speed drifts by a third over
        # tens of seconds (the same loop timed back to back), and a page measured in a slow
        # stretch against another in a fast one would say more of the machine than of them.
        slices = {label: [] for label in pages}
        for _ in range(max(1, round(args.seconds / SLICE_SECONDS))):
            for label, requests in pages.items():
                rate = wrk(args.port, requests, seconds=SLICE_SECONDS, connections=c)
                slices[label].append(rate)
        maximum = {label: statistics.fmean(rates) for label, rates in slices.items()}
        for label, rate in maximum.items():
            turns = f"{min(slices[label]):.0f}–{max(slices[label]):.0f}"
            print(f"  {label}: {rate:.0f}/s (tramos de {SLICE_SECONDS} s: {turns})", flush=True)
        with limits_forgotten(args.redis_url):
            maximum["transfer"] = transfers_max(
                args.port, people, seconds=args.seconds, threads=min(c, len(people))
            )
        print(f"  transfer: {maximum['transfer']:.1f}/s", flush=True)
        p95 = {}
        for label, requests in pages.items():
            latencies = constant_rate(
                maximum[label] / 2, args.seconds, get_job(args.port, requests, 32), threads=32
            )
            p95[label] = latencies.p95()
        with limits_forgotten(args.redis_url):
            transfer_latencies = constant_rate(
                maximum["transfer"] / 2,
                args.seconds,
                transfer_job(args.port, people, 32),
                threads=32,
            )
    finally:
        gunicorn_stop(server)
        cache.clear()
        shutil.rmtree(static_root, ignore_errors=True)

    ms = 1000
    names = {
        "login": "Ingreso (/ingresar/)",
        "position": "Posición consolidada",
        "account": "Cuenta: últimos movimientos",
    }
    print(f"\n{'Página':36} {'máx. pet./s':>12} {'p95 a la mitad':>15} {'consultas':>10}")
    for label, name in names.items():
        print(f"{name:36} {maximum[label]:12.1f} {p95[label] * ms:12.1f} ms {queries[label]:10d}")
    steps = ("formulario", "continuar", "comprobante")
    for step, count in zip(steps, queries["transfer"], strict=True):
        p = transfer_latencies.p95(step)
        print(f"{'Transferencia: ' + step:36} {'':12} {p * ms:12.1f} ms {count:10d}")
        p95[f"transfer:{step}"] = p
    print(
        f"{'Transferencia completa':36} {maximum['transfer']:9.1f} /s "
        f"{transfer_latencies.p95('transferencia completa') * ms:12.1f} ms "
        f"{sum(queries['transfer']):10d}"
    )
    ratio = maximum["position"] / maximum["login"]
    slowest = max(p95.values())
    met = "sí" if ratio >= 0.40 else "no"
    print(f"\nPosición / ingreso: {ratio:.3f} (objetivo ≥ 0.40: {met})")
    verdict = "sí" if slowest <= 0.050 else "no"
    print(f"Todas las p95 ≤ 50 ms: {verdict} (la mayor: {slowest * ms:.1f} ms)")
    workers = os.environ.get("WEB_WORKERS", str(2 * (os.cpu_count() or 1)))
    threads = os.environ.get("WEB_THREADS", "1")
    print(
        f"\ngunicorn {workers} workers × {threads} hilos; {len(people)} socios; "
        f"{args.connections} conexiones; {args.seconds} s por medida (máximos en tramos "
        f"alternados de {SLICE_SECONDS} s); "
        f"carga media del sistema al terminar: {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()

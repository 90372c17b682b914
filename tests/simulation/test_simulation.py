"""The seeded simulation over a fixed set of seeds (``docs/testing.md``).

    SIM_SEED=1234 SIM_STEPS=2000 .venv/bin/python -m pytest -p no:cacheprovider \
        tests/simulation -k seed_1234

runs one seed (any number) for longer; ``SIM_SEEDS=20`` runs seeds 1 to 20,
``SIM_SEEDS=100-149`` those; ``SIM_FAULT_RATE=0.6`` arms faults more often. A seed that
once failed stays in ``REGRESSIONS`` with what it found.
"""

import os
from decimal import Decimal

import pytest
import time_machine
from django.db import connection

from tests.simulation.driver import START, Simulation
from tests.simulation.seams import install

# The seeds CI runs, each for STEPS steps (a few minutes in all on two cores).
SEEDS = [11, 23, 37]
STEPS = 300
# The chance that a step has a fault armed where it can meet one.
FAULT_RATE = 0.3
# Seeds that found a bug, kept with what they found (and run with the others).
REGRESSIONS: dict[int, str] = {
    11: "a bill payment the biller had confirmed stayed resolving, its money held: its check "
    "after the first day met a passing failure and the resolver stopped asking for good "
    "(payments.services.bill_payment_next_check)",
}


def _seeds() -> list[int]:
    if os.environ.get("SIM_SEED"):
        return [int(os.environ["SIM_SEED"])]
    if seeds := os.environ.get("SIM_SEEDS"):  # "50" (1 to 50) or "100-149"
        first, _, last = seeds.rpartition("-")
        return list(range(int(first or 1), int(last) + 1))
    return sorted(set(SEEDS) | set(REGRESSIONS))


def _steps() -> int:
    return int(os.environ.get("SIM_STEPS", STEPS))


def _fault_rate() -> float:
    return float(os.environ.get("SIM_FAULT_RATE", FAULT_RATE))


def replay_command(seed: int, steps: int, fault_rate: float) -> str:
    rate = f"SIM_FAULT_RATE={fault_rate} " if fault_rate != FAULT_RATE else ""
    return (
        f"SIM_SEED={seed} SIM_STEPS={steps} {rate}.venv/bin/python -m pytest -p no:cacheprovider "
        f"tests/simulation -k seed_{seed}"
    )


# The invariants read PostgreSQL with SQL of their own (and the ledger's locks are real).
pytestmark = pytest.mark.postgres


@pytest.mark.timeout(max(900, 2 * _steps()))  # seconds: a long local run needs more
@pytest.mark.parametrize("seed", _seeds(), ids=lambda seed: f"seed_{seed}")
def test_simulation(seed, transactional_db, monkeypatch, capsys):
    steps, fault_rate = _steps(), _fault_rate()
    simulation = Simulation(
        seed=seed,
        steps=steps,
        fault_rate=fault_rate,
        replay=replay_command(seed, steps, fault_rate),
    )
    install(monkeypatch, faults=simulation.faults, queue=simulation.queue)
    with connection.cursor() as cursor:  # every statement commits: no wait for the disk
        cursor.execute("SET synchronous_commit TO off")
    with time_machine.travel(START, tick=False) as clock:
        simulation.run(clock)
    with capsys.disabled():
        print(f"\n{simulation.summary()}")


# The repeatability check: one seed, long enough to reach every kind of action and a few
# faults, short enough to run twice in CI.
REPLAY_SEED, REPLAY_STEPS = 5, 60


def _run(seed: int, steps: int, monkeypatch) -> Simulation:
    simulation = Simulation(seed=seed, steps=steps, fault_rate=FAULT_RATE)
    install(monkeypatch, faults=simulation.faults, queue=simulation.queue)
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO off")
    with time_machine.travel(START, tick=False) as clock:
        simulation.run(clock)
    monkeypatch.undo()
    return simulation


def _unrelated_rows() -> None:
    """What other tests leave in the process: ids handed out (the sequences moved on),
    rows the next run did not make, the factories' counters advanced, rows in the caches
    and messages in the outboxes."""
    from django.contrib.contenttypes.models import ContentType
    from django.core import mail
    from django.core.cache import cache

    from core.notifications import LocmemSmsBackend, SmsMessage
    from ledger.books import books_open
    from products.catalog import product_types_load
    from products.models import ProductType
    from products.services import cash_deposit, deposit_account_open
    from tests.factories import CompanyFactory, MemberFactory, UserFactory

    Simulation.reset()
    books_open(currency="USD")
    product_types_load(cooperative_slug="cooprogreso")
    savings = ProductType.objects.get(code="AHO")
    for member in [*MemberFactory.create_batch(5), CompanyFactory()]:
        account = deposit_account_open(member=member, product_type=savings)
        cash_deposit(account=account, amount=Decimal(25), key=f"unrelated-{account.pk}")
    UserFactory.create_batch(3)
    with connection.cursor() as cursor:  # and every table's ids far ahead
        for sequence in connection.introspection.sequence_list():
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, %s), 977, true)",
                [connection.ops.quote_name(sequence["table"]), sequence["column"]],
            )
    ContentType.objects.get_for_model(ProductType)
    cache.set("unrelated", 1)
    LocmemSmsBackend.outbox.append(SmsMessage(to="+593991234567", body="otra prueba"))
    mail.outbox = [object()]


@pytest.mark.timeout(600)
def test_a_seed_replays_step_for_step_whatever_ran_before(transactional_db, monkeypatch):
    first = _run(REPLAY_SEED, REPLAY_STEPS, monkeypatch)
    _unrelated_rows()
    second = _run(REPLAY_SEED, REPLAY_STEPS, monkeypatch)

    assert len(first.log) > REPLAY_STEPS
    assert second.log == first.log
    assert second.counts == first.counts
    assert second.faults.fired == first.faults.fired

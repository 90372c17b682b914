"""The seeded simulation over a fixed set of seeds (``docs/testing.md``).

    SIM_SEED=1234 SIM_STEPS=2000 .venv/bin/python -m pytest -p no:cacheprovider \
        tests/simulation -k seed_1234

runs one seed (any number) for longer; ``SIM_SEEDS=20`` runs seeds 1 to 20,
``SIM_SEEDS=100-149`` those; ``SIM_FAULT_RATE=0.6`` arms faults more often. A seed that
once failed stays in ``REGRESSIONS`` with what it found.
"""

import os

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

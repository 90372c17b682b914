"""The seeded simulation over a fixed set of seeds (``docs/testing.md``).

    SIM_SEED=1234 SIM_STEPS=2000 .venv/bin/python -m pytest -p no:cacheprovider \
        tests/simulation -k seed_1234

runs one seed (any number) for longer; ``SIM_SEEDS=20`` runs that many seeds from 1. A
seed that once failed stays in ``REGRESSIONS`` with what it found.
"""

import os

import pytest
import time_machine
from django.db import connection

from tests.simulation.driver import START, Simulation
from tests.simulation.seams import install

# The seeds CI runs, each for STEPS steps (a few minutes in all on two cores).
SEEDS = [11, 23, 37, 41, 59]
STEPS = 300
# Seeds that found a bug, kept with what they found (and run with the others).
REGRESSIONS: dict[int, str] = {}


def _seeds() -> list[int]:
    if os.environ.get("SIM_SEED"):
        return [int(os.environ["SIM_SEED"])]
    if os.environ.get("SIM_SEEDS"):
        return list(range(1, int(os.environ["SIM_SEEDS"]) + 1))
    return sorted(set(SEEDS) | set(REGRESSIONS))


def _steps() -> int:
    return int(os.environ.get("SIM_STEPS", STEPS))


def replay_command(seed: int, steps: int) -> str:
    return (
        f"SIM_SEED={seed} SIM_STEPS={steps} .venv/bin/python -m pytest -p no:cacheprovider "
        f"tests/simulation -k seed_{seed}"
    )


# The invariants read PostgreSQL with SQL of their own (and the ledger's locks are real).
pytestmark = pytest.mark.postgres


@pytest.mark.timeout(900)
@pytest.mark.parametrize("seed", _seeds(), ids=lambda seed: f"seed_{seed}")
def test_simulation(seed, transactional_db, monkeypatch, capsys):
    steps = _steps()
    simulation = Simulation(seed=seed, steps=steps, replay=replay_command(seed, steps))
    install(monkeypatch, faults=simulation.faults, queue=simulation.queue)
    with connection.cursor() as cursor:  # every statement commits: no wait for the disk
        cursor.execute("SET synchronous_commit TO off")
    with time_machine.travel(START, tick=False) as clock:
        simulation.run(clock)
    with capsys.disabled():
        print(f"\n{simulation.summary()}")

"""The simulation's checks see what they are meant to: money written outside the ledger, a
row moved back in its life cycle, and a failure that says how to replay it."""

from decimal import Decimal

import pytest
from django.db.models import F

from ledger.models import Account, Hold
from ledger.services import hold_place, hold_release
from tests.simulation import invariants
from tests.simulation.driver import Simulation, SimulationFailure


def test_money_written_outside_the_ledger_breaks_the_balance_and_the_total(maria_savings):
    initial = invariants.totals_now()
    assert invariants.ledger_violations() == []
    assert invariants.total_violations(initial) == []

    Account.objects.filter(pk=maria_savings.pk).update(balance_minor=F("balance_minor") + 500)

    assert any(maria_savings.code in v for v in invariants.ledger_violations())
    assert invariants.total_violations(initial) == ["total USD: -500 ≠ 0 al inicio"]


def test_a_row_moved_back_in_its_life_cycle_is_an_illegal_transition(maria_savings):
    watch = invariants.StateWatch()
    hold = hold_place(
        account=maria_savings, amount=Decimal("10.00"), key="sim-hold", description="RETENCIÓN"
    )
    assert watch.violations() == []
    hold_release(hold=hold)
    assert watch.violations() == []  # active → released: allowed

    Hold.objects.filter(pk=hold.pk).update(status=Hold.Status.ACTIVE)

    assert watch.violations() == [f"retención {hold.pk}: released → active no es un paso permitido"]


@pytest.mark.postgres
def test_a_world_just_loaded_breaks_nothing(transactional_db):
    simulation = Simulation(seed=5, steps=0)
    simulation.build()
    assert invariants.all_violations(initial_totals={"USD": 0}, watch=simulation.watch) == []


def test_a_failure_names_the_seed_the_step_and_the_replay_command():
    simulation = Simulation(seed=1234, steps=300, replay="SIM_SEED=1234 SIM_STEPS=300 …")
    simulation.step = 187
    simulation.log = ["  186 Mon 02 10:15 deliver: once: executed"]

    with pytest.raises(SimulationFailure) as failure:
        simulation._fail("tras deliver", ["transferencia pagada dos veces: transferencia 52"])

    text = str(failure.value)
    assert text.startswith("Simulación seed=1234: paso 187 — tras deliver")
    assert "✗ transferencia pagada dos veces" in text
    assert "186 Mon 02 10:15 deliver" in text
    assert text.endswith("Para repetirla: SIM_SEED=1234 SIM_STEPS=300 …")

from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from ledger.audit import ledger_check
from ledger.models import Account
from ledger.services import hold_place
from ledger.tasks import check_ledger


def test_a_consistent_ledger_reports_no_drift(maria_savings, gabriel_savings, capsys):
    hold_place(account=maria_savings, amount=Decimal("1"), key="h", description="x")
    call_command("ledger_check")
    assert "Libro contable cuadrado." in capsys.readouterr().out
    assert check_ledger()


def test_a_balance_changed_behind_the_ledgers_back_is_named(maria_savings, capsys):
    Account.objects.filter(pk=maria_savings.pk).update(balance_minor=20_000)
    report = ledger_check()
    assert not report.ok
    assert report.balance_drift == [(maria_savings.code, Decimal("200.00"), Decimal("100.00"))]
    with pytest.raises(CommandError):
        call_command("ledger_check")
    assert f"DESCUADRE de saldo en {maria_savings.code}" in capsys.readouterr().out
    assert not check_ledger()


def test_a_held_amount_without_its_hold_is_named(maria_savings):
    Account.objects.filter(pk=maria_savings.pk).update(held_minor=500)
    assert ledger_check().held_drift == [(maria_savings.code, Decimal("5.00"), Decimal("0.00"))]

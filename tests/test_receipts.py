"""The receipts registry: each app describes the journals it writes, by their source."""

from types import SimpleNamespace

import pytest

from core import receipts
from core.receipts import UNSOURCED, Description, describer_register, receipt_describe

PAYMENT = Description(beneficiary="EMPRESA ELÉCTRICA — 1234", institution="EEQ", status="Pagada")


@pytest.fixture(autouse=True)
def registry(monkeypatch):
    monkeypatch.setattr(receipts, "_describers", {})


def journal(source_type: str = UNSOURCED, pk: int = 1):
    return SimpleNamespace(pk=pk, source_type=source_type, source_id="7")


def test_a_journal_is_described_by_what_its_source_registered():
    describer_register("payments.payment", lambda j: PAYMENT)
    assert receipt_describe(journal("payments.payment")) == PAYMENT
    assert receipt_describe(journal("products.loan")) is None


def test_a_describer_that_does_not_know_the_journal_leaves_it_to_the_next():
    describer_register(UNSOURCED, lambda j: None)
    describer_register(UNSOURCED, lambda j: PAYMENT if j.pk == 2 else None)
    assert receipt_describe(journal(pk=1)) is None
    assert receipt_describe(journal(pk=2)) == PAYMENT


def test_it_registers_as_a_decorator_and_only_once():
    calls = []

    @describer_register("payments.payment")
    def describe(j):
        calls.append(j)

    describer_register("payments.payment", describe)
    receipt_describe(journal("payments.payment"))
    assert len(calls) == 1

"""Every transfer rule: what passes posts one balanced journal; what fails says why in
Spanish and leaves the ledger as it was."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.test import TestCase

from ledger.exceptions import IdempotencyConflict
from ledger.models import Journal, Kind
from ledger.selectors import book_balance
from products.models import DepositAccount
from transfers.exceptions import (
    CoolingOff,
    CurrencyMismatch,
    DestinationNotAllowed,
    FundsDeclarationRequired,
    InvalidAmount,
    JointSignature,
    NotEnoughFunds,
    OriginNotAllowed,
    SameAccount,
    TransferError,
)
from transfers.limits import LimitExceeded, member_limits_set
from transfers.models import Transfer, TransferKind
from transfers.services import TransferOrder, transfer_execute, transfer_quote

from .conftest import open_funded

D = Decimal
GYE = ZoneInfo("America/Guayaquil")


def own(savings, destination, amount="10.00", **kw):
    return TransferOrder(
        kind=TransferKind.OWN, origin=savings, destination=destination, amount=D(amount), **kw
    )


def internal(savings, beneficiary, amount="10.00", **kw):
    return TransferOrder(
        kind=TransferKind.INTERNAL,
        origin=savings,
        beneficiary=beneficiary,
        destination=beneficiary.account,
        amount=D(amount),
        **kw,
    )


def interbank(savings, beneficiary, amount="10.00", **kw):
    return TransferOrder(
        kind=TransferKind.INTERBANK, origin=savings, beneficiary=beneficiary, amount=D(amount), **kw
    )


def balance(account):
    account.ledger_account.refresh_from_db()
    return account.ledger_account.balance


def run(member, order, key="k1"):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return transfer_execute(member=member, order=order, key=key, user=member.user)


def test_own_transfer_moves_the_amount_without_fee(member, savings, certificates):
    transfer = run(member, own(savings, certificates, "125.50", motive="Ahorro"))
    assert balance(savings) == D("874.50") and balance(certificates) == D("125.50")
    assert transfer.status == Transfer.Status.DONE and transfer.total == D("125.50")
    journal = transfer.journal
    assert journal.kind == Kind.TRANSFER_OWN and journal.motive == "Ahorro"
    assert {p.description for p in journal.postings.all()} == {
        "TRANSFERENCIA ENTRE CUENTAS MISMO CLIENTE"
    }
    assert mail.outbox[-1].to == [member.email]
    assert "Comprobante N.º" in mail.outbox[-1].body


def test_internal_transfer_reaches_the_beneficiary_and_tells_them(
    member, savings, gabriel, gabriel_savings
):
    run(member, internal(savings, gabriel, "40.00"))
    assert balance(savings) == D("960.00") and balance(gabriel_savings) == D("90.00")
    assert [m.to for m in mail.outbox[-2:]] == [[member.email], ["gabriel@example.com"]]
    assert "te transfirió $40.00" in mail.outbox[-1].body


def test_interbank_transfer_debits_amount_fee_and_iva_into_clearing(member, savings, carlos):
    with time_machine.travel(datetime(2026, 11, 24, 10, 0, tzinfo=GYE)):
        transfer = run(member, interbank(savings, carlos, "6.00"))
    assert balance(savings) == D("993.59")
    assert (transfer.commission, transfer.iva, transfer.total) == (D("0.36"), D("0.05"), D("6.41"))
    assert transfer.status == Transfer.Status.PENDING
    assert transfer.value_date.isoformat() == "2026-11-24"
    assert book_balance("SPI_CLEARING", "USD") == D("6.00")
    descriptions = [p.description for p in transfer.journal.postings.filter(amount_minor__gt=0)]
    assert descriptions == [
        "ND TRANSFERENCIA PAGO DIRECTO",
        "COMISIÓN TRANSFERENCIA PAGO DIRECTO",
        "IVA TRANSFERENCIA PAGO DIRECTO",
    ]


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2026, 11, 24, 15, 0), "2026-11-24"),  # at the cut-off: same day
        (datetime(2026, 11, 24, 15, 1), "2026-11-25"),  # after it: next business day
        (datetime(2026, 11, 27, 16, 0), "2026-11-30"),  # Friday afternoon: Monday
        (datetime(2026, 11, 28, 9, 0), "2026-11-30"),  # Saturday
        (datetime(2026, 12, 24, 16, 0), "2026-12-28"),  # Christmas Eve late: after the 25th
    ],
)
def test_interbank_value_date_follows_cutoff_weekends_and_holidays(
    member, savings, carlos, moment, expected
):
    with time_machine.travel(moment.replace(tzinfo=GYE), tick=False):
        quote = transfer_quote(member=member, order=interbank(savings, carlos))
        transfer = run(member, interbank(savings, carlos))
    assert quote.value_date.isoformat() == expected == transfer.value_date.isoformat()
    assert quote.deferred == (expected != moment.date().isoformat())
    if quote.deferred:
        assert "posterior a las 15h00 o feriados" in mail.outbox[-1].body


@pytest.mark.parametrize("amount", ["0", "-5.00", "10.001", "NaN", "Infinity"])
def test_amounts_must_be_positive_with_two_decimals(member, savings, certificates, amount):
    with pytest.raises(InvalidAmount) as exc:
        run(member, own(savings, certificates, amount))
    assert "mayor a cero" in exc.value.message
    assert Journal.objects.filter(kind=Kind.TRANSFER_OWN).count() == 0


def test_available_balance_must_cover_amount_fee_and_iva(member, savings, carlos):
    with pytest.raises(NotEnoughFunds) as exc:
        run(member, interbank(savings, carlos, "999.80"))
    assert "$1,000.21" in exc.value.message and "$1,000.00" in exc.value.message
    assert not Transfer.objects.exists() and balance(savings) == D("1000.00")
    run(member, interbank(savings, carlos, "999.59"))
    assert balance(savings) == D("0.00")


def test_another_members_account_cannot_be_the_origin(
    member, other_member, gabriel_savings, savings
):
    with pytest.raises(OriginNotAllowed):
        run(member, own(gabriel_savings, savings))
    with pytest.raises(DestinationNotAllowed):
        run(member, own(savings, gabriel_savings))


def test_a_joint_account_cannot_transact(member, savings, certificates):
    DepositAccount.objects.filter(pk=savings.pk).update(signature="joint")
    savings.refresh_from_db()
    with pytest.raises(JointSignature) as exc:
        run(member, own(savings, certificates))
    assert exc.value.message == "Las cuentas con firma conjunta no podrán transaccionar."


def test_inactive_origin_or_destination_is_refused(member, savings, certificates):
    DepositAccount.objects.filter(pk=certificates.pk).update(status="inactive")
    certificates.refresh_from_db()
    with pytest.raises(DestinationNotAllowed):
        run(member, own(savings, certificates))
    DepositAccount.objects.filter(pk=savings.pk).update(status="inactive")
    savings.refresh_from_db()
    with pytest.raises(OriginNotAllowed):
        run(member, own(savings, certificates))


def test_destination_must_differ_from_origin(member, savings):
    with pytest.raises(SameAccount):
        run(member, own(savings, savings))


def test_same_currency_only(member, savings, transfer_catalog):
    from products.models import ProductType

    ProductType.objects.create(
        code="AHB", name="CAJA DE AHORROS", family="savings", currency="BOB", transactional=True
    )
    from ledger.books import books_open

    books_open(currency="BOB")
    bob = open_funded(member, code="AHB", amount="0")
    with pytest.raises(CurrencyMismatch):
        run(member, own(savings, bob))


def test_another_members_beneficiary_cannot_be_used(other_member, gabriel, transfer_catalog):
    gabriels = open_funded(other_member)
    with pytest.raises(TransferError) as exc:
        run(other_member, internal(gabriels, gabriel))
    assert "no está registrado" in exc.value.message


def test_a_forged_internal_destination_is_refused(member, savings, gabriel, certificates):
    order = TransferOrder(
        kind=TransferKind.INTERNAL,
        origin=savings,
        beneficiary=gabriel,
        destination=certificates,
        amount=D("5.00"),
    )
    with pytest.raises(DestinationNotAllowed):
        run(member, order)


def test_the_same_key_posts_once(member, savings, certificates):
    first = run(member, own(savings, certificates, "10.00"), key="same")
    again = run(member, own(savings, certificates, "10.00"), key="same")
    assert first.pk == again.pk and balance(savings) == D("990.00")
    with pytest.raises(IdempotencyConflict):
        run(member, own(savings, certificates, "20.00"), key="same")


def test_daily_limit_counts_what_was_already_sent(member, savings, carlos):
    member_limits_set(
        member=member,
        kind=TransferKind.INTERBANK,
        daily=D("100.00"),
        weekly=D("200.00"),
        monthly=D("300.00"),
    )
    run(member, interbank(savings, carlos, "60.00"), key="a")
    with pytest.raises(LimitExceeded) as exc:
        run(member, interbank(savings, carlos, "40.01"), key="b")
    assert "cupo diario de $100.00" in exc.value.message and "$40.00" in exc.value.message
    run(member, interbank(savings, carlos, "40.00"), key="c")


def test_limits_are_per_period(member, savings, carlos):
    member_limits_set(
        member=member,
        kind=TransferKind.INTERBANK,
        daily=D("100.00"),
        weekly=D("150.00"),
        monthly=D("300.00"),
    )
    with time_machine.travel(datetime(2026, 11, 23, 10, 0, tzinfo=GYE)):  # Monday
        run(member, interbank(savings, carlos, "100.00"), key="mon")
    with time_machine.travel(datetime(2026, 11, 24, 10, 0, tzinfo=GYE)):
        with pytest.raises(LimitExceeded) as exc:
            run(member, interbank(savings, carlos, "60.00"), key="tue")
        assert "semanal" in exc.value.message
    with time_machine.travel(datetime(2026, 11, 30, 10, 0, tzinfo=GYE)):  # next week
        run(member, interbank(savings, carlos, "100.00"), key="next")


def test_rejected_transfers_do_not_count_against_limits(member, savings, carlos):
    member_limits_set(
        member=member,
        kind=TransferKind.INTERBANK,
        daily=D("100.00"),
        weekly=D("100.00"),
        monthly=D("100.00"),
    )
    first = run(member, interbank(savings, carlos, "100.00"), key="a")
    Transfer.objects.filter(pk=first.pk).update(status=Transfer.Status.REJECTED)
    run(member, interbank(savings, carlos, "100.00"), key="b")


def test_a_new_beneficiary_has_a_first_payment_cap(member, savings, gabriel_savings):
    from transfers.beneficiaries import beneficiary_add_internal

    fresh = beneficiary_add_internal(member=member, account_number=gabriel_savings.number)
    run(member, internal(savings, fresh, "300.00"), key="a")
    with pytest.raises(CoolingOff) as exc:
        run(member, internal(savings, fresh, "200.01"), key="b")
    assert "primeras 24 horas" in exc.value.message and "$200.00" in exc.value.message
    with time_machine.travel(fresh.created_at + timedelta(hours=24, seconds=1)):
        run(member, internal(savings, fresh, "500.00"), key="c")


def test_registering_a_payee_again_does_not_reset_its_cap(member, savings, gabriel_savings):
    from transfers.beneficiaries import beneficiary_add_internal, beneficiary_delete

    first = beneficiary_add_internal(member=member, account_number=gabriel_savings.number)
    run(member, internal(savings, first, "300.00"), key="a")
    beneficiary_delete(beneficiary=first)
    again = beneficiary_add_internal(member=member, account_number=gabriel_savings.number)
    with pytest.raises(CoolingOff):
        run(member, internal(savings, again, "200.01"), key="b")
    run(member, internal(savings, again, "200.00"), key="c")


def test_funds_origin_is_required_past_the_bolivian_threshold(member, savings, carlos):
    from core.models import Cooperative

    coop = Cooperative.objects.get(is_active=True)
    coop.funds_origin_threshold, coop.funds_origin_window_days = D("1000.00"), 5
    coop.save()
    member_limits_set(  # the coop's limits are high enough
        member=member,
        kind=TransferKind.INTERBANK,
        daily=D("2000.00"),
        weekly=D("5000.00"),
        monthly=D("10000.00"),
    )
    from products.services import cash_deposit

    cash_deposit(account=savings, amount=D("2000.00"), key="more")
    savings.ledger_account.refresh_from_db()
    run(member, interbank(savings, carlos, "600.00"), key="a")
    assert not transfer_quote(
        member=member, order=interbank(savings, carlos, "400.00")
    ).funds_required
    with pytest.raises(FundsDeclarationRequired) as exc:
        run(member, interbank(savings, carlos, "400.01"), key="b")
    assert "últimos 5 días superan $1,000.00" in exc.value.message
    transfer = run(
        member,
        interbank(
            savings, carlos, "400.01", funds_origin="Ahorros", funds_destination="Pago a proveedor"
        ),
        key="c",
    )
    assert (transfer.funds_origin, transfer.funds_destination) == ("Ahorros", "Pago a proveedor")
    with time_machine.travel(transfer.created_at + timedelta(days=5, minutes=1)):
        order = interbank(savings, carlos, "100.00")
        savings.ledger_account.refresh_from_db()
        assert not transfer_quote(member=member, order=order).funds_required

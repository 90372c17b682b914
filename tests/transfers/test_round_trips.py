"""What one transfer costs the database: a handful of round trips whatever the member's
history, the catalogs (profile, tariff, limits, books) read once per process — and a
staff edit to them charged or enforced from the very next transfer, in every process."""

from decimal import Decimal

import pytest
from django.core.cache import cache

from core.cached import STAMP_KEY
from ledger.models import Tariff
from products.models import ProductType
from products.receipts import receipt_result
from transfers.exceptions import InstitutionNotAvailable, OriginNotAllowed
from transfers.limits import LimitExceeded
from transfers.models import Institution, Transfer, TransferKind, TransferLimit
from transfers.services import transfer_execute

from .test_services import interbank, own

D = Decimal


def execute(member, order, key):
    """The transfer with its e-mail notices, stored in its transaction (their delivery
    waits for a commit the test never makes)."""
    return transfer_execute(member=member, order=order, key=key, user=member.user)


@pytest.mark.postgres  # where the journal is one round trip (ledger_post)
def test_an_interbank_transfer_with_fee_and_iva_runs_at_most_eight_queries(
    member, savings, carlos, django_assert_max_num_queries
):
    execute(member, interbank(savings, carlos, "5.00"), key="first")  # reads the catalogs
    for n in range(30):  # history changes nothing
        execute(member, interbank(savings, carlos, "1.00"), key=f"history-{n}")
    with django_assert_max_num_queries(8):
        transfer = execute(member, interbank(savings, carlos, "6.00"), key="counted")
    assert (transfer.commission, transfer.iva, transfer.total) == (D("0.36"), D("0.05"), D("6.41"))


@pytest.mark.postgres
def test_an_own_transfer_runs_at_most_eight_queries(
    member, savings, certificates, django_assert_max_num_queries
):
    execute(member, own(savings, certificates, "5.00"), key="first")
    with django_assert_max_num_queries(8):  # the member's e-mail notice among them
        execute(member, own(savings, certificates, "6.00"), key="counted")


def with_receipt(member, order, key):
    return transfer_execute(member=member, order=order, key=key, user=member.user, receipt=True)


@pytest.mark.postgres
def test_the_receipts_legs_are_read_in_the_exchange_that_writes_the_row(
    member, savings, certificates, django_assert_max_num_queries
):
    """The confirmation dialog's receipt: the journal's legs sent together with the
    transfer's row and notice, before the commit."""
    with_receipt(member, own(savings, certificates, "5.00"), key="first")  # the catalogs
    with django_assert_max_num_queries(9) as captured:
        with_receipt(member, own(savings, certificates, "6.00"), key="counted")
    assert "ledger_posting" in captured.captured_queries[-2]["sql"]  # before the release


def test_the_receipt_from_the_legs_as_posted_is_the_one_read_after(member, savings, certificates):
    transfer = with_receipt(member, own(savings, certificates, "6.00"), key="k")
    journal, postings = transfer.receipt_legs
    assert journal.pk == transfer.journal_id and len(postings) == 2
    assert receipt_result(
        transfer.journal_id, viewer=member, legs=transfer.receipt_legs
    ) == receipt_result(transfer.journal_id, viewer=member)
    again = with_receipt(member, own(savings, certificates, "6.00"), key="k")
    assert again.pk == transfer.pk and again.receipt_legs is None  # a replay reads them after


def test_a_replay_is_found_under_the_lock_without_posting(
    member, savings, carlos, django_assert_max_num_queries
):
    first = execute(member, interbank(savings, carlos, "6.00"), key="same")
    with django_assert_max_num_queries(6):
        again = execute(member, interbank(savings, carlos, "6.00"), key="same")
    assert again.pk == first.pk and Transfer.objects.count() == 1


def test_the_journal_names_its_transfer_as_source(member, savings, carlos):
    transfer = execute(member, interbank(savings, carlos, "6.00"), key="k")
    journal = transfer.journal
    assert (journal.source_type, journal.source_id) == ("transfers.transfer", str(transfer.pk))


def raise_interbank_tariff(commission: str) -> None:
    """Staff save the tariff in the admin."""
    tariff = Tariff.objects.get(code=Tariff.Code.TRANSFER_INTERBANK)
    tariff.commission = D(commission)
    tariff.save()


def test_a_tariff_edit_is_charged_by_the_next_transfer(member, savings, carlos):
    assert execute(member, interbank(savings, carlos), key="a").commission == D("0.36")
    raise_interbank_tariff("0.50")
    transfer = execute(member, interbank(savings, carlos), key="b")
    assert (transfer.commission, transfer.iva) == (D("0.50"), D("0.08"))


def test_a_tariff_edited_in_another_process_is_charged_by_the_next_transfer(
    member, savings, carlos
):
    assert execute(member, interbank(savings, carlos), key="a").commission == D("0.36")
    # The other process's UPDATE: this process hears no signal and keeps its copy...
    Tariff.objects.filter(code=Tariff.Code.TRANSFER_INTERBANK).update(commission=D("0.50"))
    assert execute(member, interbank(savings, carlos), key="b").commission == D("0.36")
    # ...until the other process's receiver replaces the stamp in the shared cache.
    cache.delete(STAMP_KEY)
    assert execute(member, interbank(savings, carlos), key="c").commission == D("0.50")


def test_a_lower_cooperative_limit_applies_to_the_next_transfer(member, savings, carlos):
    execute(member, interbank(savings, carlos, "60.00"), key="a")
    limit = TransferLimit.objects.get(kind=TransferKind.INTERBANK)
    limit.daily = D("100.00")
    limit.save()
    with pytest.raises(LimitExceeded) as exc:
        execute(member, interbank(savings, carlos, "40.01"), key="b")
    assert "cupo diario de $100.00" in exc.value.message and "$40.00" in exc.value.message


def test_a_limit_edited_in_another_process_applies_to_the_next_transfer(member, savings, carlos):
    execute(member, interbank(savings, carlos, "60.00"), key="a")
    TransferLimit.objects.filter(kind=TransferKind.INTERBANK).update(daily=D("100.00"))
    cache.delete(STAMP_KEY)
    with pytest.raises(LimitExceeded):
        execute(member, interbank(savings, carlos, "40.01"), key="b")


def test_an_institution_taken_off_the_network_refuses_the_next_transfer(
    member, savings, carlos, pichincha
):
    execute(member, interbank(savings, carlos), key="a")
    pichincha = Institution.objects.get(pk=pichincha.pk)
    pichincha.is_active = False
    pichincha.save()
    with pytest.raises(InstitutionNotAvailable):
        execute(member, interbank(savings, carlos), key="b")


def test_a_product_no_longer_transactional_refuses_the_next_transfer(member, savings, certificates):
    execute(member, own(savings, certificates), key="a")
    product = ProductType.objects.get(pk=savings.product_type_id)
    product.transactional = False
    product.save()
    with pytest.raises(OriginNotAllowed):
        execute(member, own(savings, certificates), key="b")

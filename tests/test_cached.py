"""Catalog rows are read once per process and seen again at once when they change — in this
process, in the others (the shared stamp), and never when the change rolled back."""

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from core.cached import STAMP_KEY, catalog_generation
from core.models import Cooperative
from core.profile import NoActiveCooperative, cooperative_current

pytestmark = pytest.mark.django_db


def queries(read):
    with CaptureQueriesContext(connection) as captured:
        value = read()
    return value, len(captured)


def test_a_catalog_is_read_once_per_process(cooperative):
    first, read_first = queries(cooperative_current)
    again, read_again = queries(cooperative_current)
    assert (read_first, read_again) == (1, 0)
    assert again is first


def test_saving_a_row_is_seen_by_the_next_read(cooperative):
    cooperative_current()
    cooperative.short_name = "Progreso"
    cooperative.save()
    assert cooperative_current().short_name == "Progreso"


def test_an_edit_in_another_process_is_seen_once_the_shared_stamp_changes(cooperative):
    cooperative_current()
    # Another process saves the profile: the row changes in the database (this process
    # hears no signal) and that process's receiver drops the stamp in the shared cache.
    Cooperative.objects.filter(pk=cooperative.pk).update(short_name="Progreso")
    assert cooperative_current().short_name == "Cooprogreso"  # this process's copy
    cache.delete(STAMP_KEY)
    assert cooperative_current().short_name == "Progreso"


def test_a_cleared_shared_cache_starts_a_new_generation(cooperative):
    cooperative_current()
    Cooperative.objects.filter(pk=cooperative.pk).update(short_name="Progreso")
    cache.clear()
    assert cooperative_current().short_name == "Progreso"


def test_a_change_that_rolls_back_is_forgotten(cooperative):
    cooperative_current()
    with pytest.raises(RuntimeError), transaction.atomic():
        cooperative.short_name = "Progreso"
        cooperative.save()
        assert cooperative_current().short_name == "Progreso"  # its own transaction sees it
        raise RuntimeError
    assert cooperative_current().short_name == "Cooprogreso"


@pytest.mark.django_db(transaction=True)
def test_after_a_transaction_rolls_back_the_catalog_is_kept_again(cooperative):
    cooperative_current()
    with pytest.raises(RuntimeError), transaction.atomic():
        cooperative.short_name = "Progreso"
        cooperative.save()
        cooperative_current()
        raise RuntimeError
    with transaction.atomic():
        reread, read_first = queries(cooperative_current)
    with transaction.atomic():
        _, read_again = queries(cooperative_current)
    assert reread.short_name == "Cooprogreso" and (read_first, read_again) == (1, 0)


@pytest.mark.django_db(transaction=True)
def test_a_change_rolled_back_is_forgotten_when_the_same_block_is_entered_again(cooperative):
    block = transaction.atomic()  # as a decorated function enters the same block each call
    with pytest.raises(RuntimeError), block:
        cooperative.short_name = "Progreso"
        cooperative.save()
        cooperative_current()
        raise RuntimeError
    with block:
        assert cooperative_current().short_name == "Cooprogreso"


def test_an_operation_reads_one_generation_throughout(cooperative):
    with catalog_generation():
        cooperative_current()
        Cooperative.objects.filter(pk=cooperative.pk).update(short_name="Progreso")
        cache.delete(STAMP_KEY)  # another process's edit, halfway through
        assert cooperative_current().short_name == "Cooprogreso"
    assert cooperative_current().short_name == "Progreso"


def test_not_having_an_active_profile_is_not_kept(cooperative):
    Cooperative.objects.update(is_active=False)
    with pytest.raises(NoActiveCooperative):
        cooperative_current()
    Cooperative.objects.filter(pk=cooperative.pk).update(is_active=True)
    assert cooperative_current().pk == cooperative.pk

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine
from hypothesis import given
from hypothesis import strategies as st

from ledger import calendar
from ledger.models import CalendarDay

GYE = ZoneInfo("America/Guayaquil")
pytestmark = pytest.mark.django_db


def at(*args) -> datetime:
    return datetime(*args, tzinfo=GYE)


def test_weekends_are_not_business_days():
    assert calendar.is_business_day(date(2026, 11, 20))  # Friday
    assert not calendar.is_business_day(date(2026, 11, 21))  # Saturday
    assert not calendar.is_business_day(date(2026, 11, 22))  # Sunday


def test_national_holidays_are_not_business_days():
    assert not calendar.is_business_day(date(2026, 12, 25))  # Navidad
    assert not calendar.is_business_day(date(2026, 2, 16))  # Carnaval
    assert not calendar.is_business_day(date(2026, 11, 3))  # Independencia de Cuenca


def test_a_moved_holiday_frees_its_original_date():
    # 1 May 2025 (Thursday) was moved to Friday 2 May: the Thursday was a working day.
    assert calendar.is_business_day(date(2025, 5, 1))
    assert not calendar.is_business_day(date(2025, 5, 2))
    # 10 October 2025 (Friday) is the observed Independencia de Guayaquil.
    assert calendar.is_business_day(date(2025, 10, 9))
    assert not calendar.is_business_day(date(2025, 10, 10))


def test_staff_add_local_holidays_and_working_days(django_capture_on_commit_callbacks):
    quito = date(2026, 12, 4)  # Friday before 6 December, declared by the municipality
    assert calendar.is_business_day(quito)
    with django_capture_on_commit_callbacks(execute=True):
        CalendarDay.objects.create(
            country="EC", date=quito, kind="holiday", name="Fundación de Quito"
        )
    assert not calendar.is_business_day(quito)
    assert calendar.next_business_day(date(2026, 12, 3)) == date(2026, 12, 7)
    with django_capture_on_commit_callbacks(execute=True):
        CalendarDay.objects.create(
            country="EC", date=date(2026, 11, 3), kind="working", name="Decreto"
        )
    assert calendar.is_business_day(date(2026, 11, 3))


def test_moving_a_correction_to_another_year_forgets_both_years(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        day = CalendarDay.objects.create(
            country="EC", date=date(2026, 12, 4), kind="holiday", name="x"
        )
    assert not calendar.is_business_day(date(2026, 12, 4))
    assert calendar.is_business_day(date(2027, 12, 3))
    with django_capture_on_commit_callbacks(execute=True):
        day.date = date(2027, 12, 3)
        day.save()
    assert calendar.is_business_day(date(2026, 12, 4))
    assert not calendar.is_business_day(date(2027, 12, 3))


def test_the_next_business_day_skips_weekends_and_holidays():
    assert calendar.next_business_day(date(2026, 12, 24)) == date(2026, 12, 28)
    assert calendar.next_business_day(date(2026, 10, 30)) == date(2026, 11, 4)
    assert calendar.add_business_days(date(2026, 11, 20), 2) == date(2026, 11, 24)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (at(2026, 11, 20, 9, 0), date(2026, 11, 20)),  # Friday morning
        (at(2026, 11, 20, 15, 0), date(2026, 11, 20)),  # at the cut-off
        (at(2026, 11, 20, 15, 0, 1), date(2026, 11, 23)),  # after 15h00 → Monday
        (at(2026, 11, 21, 10, 0), date(2026, 11, 23)),  # Saturday → Monday
        (at(2026, 12, 24, 16, 0), date(2026, 12, 28)),  # Christmas Eve evening → Monday
        (at(2026, 12, 25, 10, 0), date(2026, 12, 28)),  # Christmas → Monday
    ],
)
def test_value_dates_follow_the_cutoff_and_the_calendar(moment, expected):
    assert calendar.value_date(moment) == expected


def test_the_cutoff_comes_from_the_cooperative_profile(cooperative):
    cooperative.cutoff_time = time(17, 0)
    cooperative.save()
    assert calendar.value_date(at(2026, 11, 20, 16, 0)) == date(2026, 11, 20)


def test_value_date_defaults_to_now():
    with time_machine.travel(at(2026, 11, 20, 18, 30), tick=False):
        assert calendar.value_date() == date(2026, 11, 23)
        assert calendar.is_after_cutoff()


def test_other_countries_use_their_own_holidays():
    assert not calendar.is_business_day(date(2026, 1, 22), country="BO")  # Estado Plurinacional
    assert calendar.is_business_day(date(2026, 1, 22), country="EC")
    assert not calendar.is_business_day(date(2026, 11, 3), country="PA")  # Separación de Colombia


@given(st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31)))
def test_the_next_business_day_is_always_a_later_business_day(day):
    following = calendar.next_business_day(day, country="EC")
    assert following > day
    assert calendar.is_business_day(following, country="EC")
    assert (following - day).days <= 6

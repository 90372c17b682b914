"""The business calendar every feature asks: business days, the cut-off, value dates.

Holidays come from the ``holidays`` package for the cooperative's country, with two
corrections: when a holiday is moved ("observado"), the package keeps the original
date too, which is a working day — it is dropped; and staff add what the package cannot
know (decree days, local holidays such as Quito's 6 December) or mark a day as working
in the admin (``CalendarDay``).
"""

from datetime import date, datetime, time, timedelta
from functools import lru_cache

import holidays
from django.utils import timezone

from core.cached import catalog_cached, catalog_watch
from core.profile import cooperative_current
from ledger.models import CalendarDay


@lru_cache(maxsize=64)
def _package_holidays(country: str, year: int) -> frozenset[date]:
    raw = holidays.country_holidays(country, years=year, observed=True, language="es")
    label = getattr(raw, "observed_label", "%s")
    prefix, _, suffix = label.partition("%s")
    observed_bases = set()
    entries = []
    for day in raw:
        for name in raw.get_list(day):
            is_observed = (
                bool(suffix or prefix) and name.startswith(prefix) and name.endswith(suffix)
            )
            if is_observed:
                observed_bases.add(name[len(prefix) : len(name) - len(suffix)])
            entries.append((day, name, is_observed))
    days = set()
    for day, name, is_observed in entries:
        moved_away = not is_observed and name in observed_bases and day.weekday() < 5
        if not moved_away:
            days.add(day)
    return frozenset(days)


@catalog_cached
def _overrides(country: str, year: int) -> dict[date, str]:
    """Staff's corrections for ``year``: a catalog (``core.cached``), read once per
    process and generation, read again everywhere as soon as a day is saved or deleted."""
    return dict(
        CalendarDay.objects.filter(country=country, date__year=year).values_list("date", "kind")
    )


catalog_watch(CalendarDay)


def _country(country: str | None) -> str:
    return country or cooperative_current().holiday_country


def is_holiday(day: date, *, country: str | None = None) -> bool:
    country = _country(country)
    override = _overrides(country, day.year).get(day)
    if override is not None:
        return override == CalendarDay.Kind.HOLIDAY
    return day in _package_holidays(country, day.year)


def is_business_day(day: date, *, country: str | None = None) -> bool:
    country = _country(country)
    override = _overrides(country, day.year).get(day)
    if override is not None:
        return override == CalendarDay.Kind.WORKING
    return day.weekday() < 5 and day not in _package_holidays(country, day.year)


def next_business_day(day: date, *, country: str | None = None) -> date:
    """The first business day strictly after ``day``."""
    country = _country(country)
    candidate = day + timedelta(days=1)
    while not is_business_day(candidate, country=country):
        candidate += timedelta(days=1)
    return candidate


def add_business_days(day: date, n: int, *, country: str | None = None) -> date:
    country = _country(country)
    for _ in range(n):
        day = next_business_day(day, country=country)
    return day


def business_day_on_or_after(day: date, *, country: str | None = None) -> date:
    country = _country(country)
    return day if is_business_day(day, country=country) else next_business_day(day, country=country)


def value_date(
    moment: datetime | None = None, *, country: str | None = None, cutoff: time | None = None
) -> date:
    """The date an operation made at ``moment`` takes effect: that day if it is a
    business day and the moment is not after the cut-off (15:00), else the next
    business day."""
    local = timezone.localtime(moment or timezone.now())
    if cutoff is None:
        cutoff = cooperative_current().cutoff_time
    country = _country(country)
    today = local.date()
    if is_business_day(today, country=country) and local.time() <= cutoff:
        return today
    return next_business_day(today, country=country)


def is_after_cutoff(moment: datetime | None = None, **kwargs) -> bool:
    """Whether an operation made now is dated for a later business day."""
    local = timezone.localtime(moment or timezone.now())
    return value_date(local, **kwargs) != local.date()

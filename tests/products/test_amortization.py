"""The schedule against the manual's CONSUMO AGIL and against formulas of our own."""

from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.calendar import business_day_on_or_after
from products.amortization import add_months, fixed_payment, schedule


def manual_schedule():
    return schedule(
        principal=Decimal("1000.00"),
        annual_rate=Decimal("0.156"),
        insurance_rate=Decimal("0.018432"),
        installments=24,
        granted_on=date(2025, 7, 1),
        first_due=date(2025, 7, 25),
        business_day=lambda day: business_day_on_or_after(day, country="EC"),
    )


def test_it_reproduces_the_manuals_first_rows(db):
    rows = manual_schedule()
    first = rows[0]
    assert (first.capital, first.interest, first.insurance) == (
        Decimal("38.03"),
        Decimal("10.40"),
        Decimal("1.23"),
    )
    assert first.total == Decimal("49.66")
    assert [r.balance for r in rows[:6]] == [
        Decimal("1000.00"),
        Decimal("961.97"),
        Decimal("926.76"),
        Decimal("891.02"),
        Decimal("855.18"),
        Decimal("817.54"),
    ]
    # Rows 2-6 as the Web Empresas manual prints them: capital, interest, insurance.
    assert [(r.capital, r.interest, r.insurance) for r in rows[1:6]] == [
        (Decimal("35.21"), Decimal("12.92"), Decimal("1.53")),
        (Decimal("35.74"), Decimal("12.45"), Decimal("1.47")),
        (Decimal("35.84"), Decimal("12.36"), Decimal("1.46")),
        (Decimal("37.64"), Decimal("10.75"), Decimal("1.27")),
        (Decimal("37.38"), Decimal("10.98"), Decimal("1.30")),
    ]


def test_due_dates_move_to_business_days(db):
    dates = [r.due_date for r in manual_schedule()]
    assert dates[3] == date(2025, 10, 27)  # the 25th is a Saturday
    assert dates[5] == date(2025, 12, 26)  # Christmas
    assert dates[6] == date(2026, 1, 26)  # a Sunday
    assert all(d.weekday() < 5 for d in dates)


def test_plain_french_formula():
    assert fixed_payment(Decimal("1000"), Decimal("0.013"), 24) == Decimal("48.77")
    assert fixed_payment(Decimal("1200"), Decimal("0"), 12) == Decimal("100.00")


def test_months_clamp_to_the_month_end():
    assert add_months(date(2026, 1, 31), 1, on_day=31) == date(2026, 2, 28)
    assert add_months(date(2026, 11, 30), 3, on_day=31) == date(2027, 2, 28)


@settings(max_examples=200, deadline=None)
@given(
    principal=st.decimals(min_value=Decimal("50"), max_value=Decimal("250000"), places=2),
    rate=st.decimals(min_value=Decimal("0"), max_value=Decimal("0.30"), places=4),
    insurance=st.decimals(min_value=Decimal("0"), max_value=Decimal("0.03"), places=5),
    installments=st.integers(min_value=1, max_value=120),
    granted=st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31)),
    gap=st.integers(min_value=15, max_value=45),
)
def test_capital_sums_to_the_principal_and_ends_at_zero(
    principal, rate, insurance, installments, granted, gap
):
    rows = schedule(
        principal=principal,
        annual_rate=rate,
        insurance_rate=insurance,
        installments=installments,
        granted_on=granted,
        first_due=granted + timedelta(days=gap),
    )
    assert sum(r.capital for r in rows) == principal
    assert rows[-1].balance - rows[-1].capital == 0
    for before, after in pairwise(rows):
        assert after.balance == before.balance - before.capital
        assert after.due_date > before.due_date
    for row in rows:
        assert row.capital >= 0 and row.interest >= 0 and row.insurance >= 0
        assert row.capital.as_tuple().exponent >= -2
        # interest is the actual/360 formula on the row's balance, to the cent
        expected = row.balance * rate * row.days / 360
        assert abs(row.interest - expected) <= Decimal("0.005")
    payment = fixed_payment(principal, (rate + insurance) / 12, installments)
    assert all(r.total == payment for r in rows[:-1] if r.capital and r.capital < r.balance)

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.money import AmountError, format_money, from_minor, parse_amount, quantize, to_minor


def test_rounding_is_half_up_to_cents():
    assert quantize(Decimal("0.054")) == Decimal("0.05")
    assert quantize(Decimal("0.055")) == Decimal("0.06")
    assert quantize(Decimal("-0.055")) == Decimal("-0.06")


def test_floats_are_refused():
    with pytest.raises(TypeError):
        quantize(0.1)


def test_cents_round_trip():
    assert to_minor(Decimal("12.34")) == 1234
    assert from_minor(1234) == Decimal("12.34")
    with pytest.raises(ValueError):
        to_minor(Decimal("1.001"))


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_every_amount_of_cents_survives_the_round_trip(cents):
    assert to_minor(from_minor(cents)) == cents


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("1500", "1500"),
        ("1500.5", "1500.5"),
        ("1500,50", "1500.50"),
        ("$ 25.00", "25.00"),
        ("0.01", "0.01"),
    ],
)
def test_amounts_accept_a_dot_or_a_comma(typed, value):
    assert parse_amount(typed) == Decimal(value)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Ingresa un monto."),
        ("1,500", "sin separadores de miles y con hasta dos decimales"),
        ("1.234.567", "sin separadores de miles y con hasta dos decimales"),
        ("1,234.56", "sin separadores de miles y con hasta dos decimales"),
        ("10.505", "hasta dos decimales"),
        ("1.2.3", "hasta dos decimales"),
        ("-5", "válido"),
        ("1e3", "válido"),
        ("NaN", "válido"),
        ("Infinity", "válido"),
        ("0", "mayor a cero"),
        ("0.00", "mayor a cero"),
        ("abc", "válido"),
        ("٣", "válido"),  # digits of other scripts are not what the member sees on screen
        ("1_0", "válido"),
    ],
)
def test_bad_amounts_get_a_spanish_message(typed, message):
    with pytest.raises(AmountError, match=message):
        parse_amount(typed)


@given(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999999999999.99"), places=2))
def test_any_valid_amount_typed_either_way_parses_back(value):
    assert parse_amount(str(value)) == value
    assert parse_amount(str(value).replace(".", ",")) == value


def test_the_portal_shows_money_one_way():
    assert format_money(Decimal("1234.5")) == "$1,234.50"
    assert format_money(Decimal("-5.5")) == "-$5.50"
    assert format_money(Decimal("0")) == "$0.00"
    assert format_money(Decimal("10"), "BOB") == "Bs 10.00"

"""Rules members' secrets follow."""

import itertools
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from accounts.credentials import normalize_answer, validate_pin


@given(st.text(max_size=40))
def test_normalizing_an_answer_twice_changes_nothing(answer):
    assert normalize_answer(normalize_answer(answer)) == normalize_answer(answer)


@given(st.text(alphabet="aeiouáéíóúAEIOUÁÉÍÓÚ ", min_size=1, max_size=20))
def test_answers_ignore_case_accents_and_spacing(answer):
    assert normalize_answer(answer.upper()) == normalize_answer(" " + answer.lower() + "  ")


@given(st.text(alphabet="0123456789", min_size=4, max_size=4))
def test_every_accepted_pin_is_four_non_trivial_digits(pin):
    try:
        validate_pin(pin, birth_date=date(1988, 3, 14))
    except ValidationError:
        return
    digits = [int(c) for c in pin]
    assert len(set(digits)) > 1
    assert pin not in {"1403", "0314", "1988", "8803"}
    assert {b - a for a, b in itertools.pairwise(digits)} not in ({1}, {-1})


@pytest.mark.parametrize("pin", ["0123", "9876", "0000", "1403", "1988"])
def test_obvious_pins_are_refused(pin):
    with pytest.raises(ValidationError):
        validate_pin(pin, birth_date=date(1988, 3, 14))


@pytest.mark.parametrize("pin", ["1357\n", "١٣٥٧", "１３５７", " 1357"])
def test_a_pin_is_four_of_the_digits_0_to_9_and_nothing_else(pin):
    with pytest.raises(ValidationError, match="exactamente 4 dígitos"):
        validate_pin(pin)

from core.masking import mask_card, mask_card_number, mask_name, mask_number


def test_an_account_number_shows_only_its_last_four_digits():
    assert mask_number("410000001234") == "*****1234"


def test_another_persons_name_shows_the_first_word_and_initials():
    assert mask_name("María Elena Pérez García") == "MARÍA E*** P*** G***"


def test_a_card_known_by_its_parts_is_masked_as_its_whole_number_is():
    assert mask_card("513744", "0395") == mask_card_number("5137440000000395")
    assert mask_card("513744", "0395") == "513744XXXXXX0395"

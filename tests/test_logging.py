import json
import logging

from hypothesis import given
from hypothesis import strategies as st
from stdnum import luhn

from core.logging import REDACTED, RedactSecretsFilter, RequestIdFilter
from core.masking import mask_card_number, mask_card_numbers_in


def format_record(msg, *args, **extra):
    from pythonjsonlogger.json import JsonFormatter

    record = logging.LogRecord("cooprogreso", logging.INFO, __file__, 1, msg, args, None)
    for key, value in extra.items():
        setattr(record, key, value)
    RequestIdFilter().filter(record)
    RedactSecretsFilter().filter(record)
    return json.loads(JsonFormatter("%(message)s %(request_id)s").format(record))


def test_card_numbers_are_masked_as_the_manuals_show_them():
    assert mask_card_number("5137440000000391") == "513744XXXXXX0391"


def test_a_card_number_in_a_message_is_masked():
    line = format_record("pago con tarjeta %s", "5137440000000391")
    assert line["message"] == "pago con tarjeta 513744XXXXXX0391"


def test_sensitive_extra_fields_are_redacted():
    line = format_record("login", password="Secreta#1", otp="123456", username="mariaperez")
    assert line["password"] == REDACTED
    assert line["otp"] == REDACTED
    assert line["username"] == "mariaperez"


def test_sensitive_keys_inside_a_dict_argument_are_redacted():
    line = format_record("datos %(pin)s %(user)s", {"pin": "4826", "user": "maria"})
    assert line["message"] == f"datos {REDACTED} maria"


def test_every_line_carries_a_request_id():
    assert format_record("hola")["request_id"] == "-"


@given(st.text(alphabet="0123456789", min_size=15, max_size=18))
def test_no_luhn_valid_card_number_survives_in_a_log_line(digits):
    number = digits + luhn.calc_check_digit(digits)
    masked = mask_card_numbers_in(f"tarjeta {number} usada")
    assert number not in masked
    assert masked == f"tarjeta {number[:6]}{'X' * (len(number) - 10)}{number[-4:]} usada"

"""The accessibility and HTML checks themselves catch the faults they exist for."""

import pytest

from tests.e2e.checks import as_document, fingerprint

PAGE = """<!doctype html><html lang="es"><head><meta charset="utf-8"><title>Prueba</title></head>
<body><main>{}</main></body></html>"""


@pytest.fixture
def session(checks):
    if checks is None:
        pytest.skip("sin axe-core ni el validador Nu")
    return checks


def test_the_nu_checker_rejects_hx_attributes_and_a_decimal_comma(session):
    errors = session.nu.errors(
        PAGE.format('<a href="/x" hx-get="/x">x</a><progress max="100" value="22,03"></progress>')
    )
    text = " ".join(m["message"] for m in errors)
    assert "hx-get" in text and "22,03" in text
    assert session.nu.errors(PAGE.format('<a href="/x" data-hx-get="/x">x</a>')) == []


def test_axe_finds_an_unlabelled_control_in_every_width_and_theme(session, browser):
    problems = []
    html = PAGE.format('<input type="checkbox" id="sin-nombre">')
    session.audit(browser, "http://127.0.0.1:9", [("http://127.0.0.1:9/p/", html)], problems)
    assert len(problems) == 1 and problems[0].startswith("axe label (critical)")
    assert "360px/light" in problems[0] and "1280px/light" in problems[0]


def test_a_page_seen_again_with_other_tokens_and_numbers_is_not_checked_again():
    one = '<input name="csrfmiddlewaretoken" value="Xy3kP9qLmN2vB8cD4fG7hJ1kL5zQ0wE2"> 12 $4.53'
    two = '<input name="csrfmiddlewaretoken" value="Ab1cD2eF3gH4iJ5kL6mN7oP8qR9sT0uV"> 15 $9.99'
    assert fingerprint(one) == fingerprint(two) != fingerprint(one.replace("input", "select"))


def test_an_htmx_fragment_is_checked_inside_a_minimal_document():
    assert as_document("<p>hola</p>", fragment=True).startswith("<!doctype html>")
    assert as_document("<!DOCTYPE html><p>x</p>", fragment=True) == "<!DOCTYPE html><p>x</p>"

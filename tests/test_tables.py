"""``core.tables``: a table of records in one pass, escaped as the template engine escapes,
each cell named by its column, amounts shown or hidden, names translated per language."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy

from core.tables import Column, amount_column, day, link, table_html


@dataclass
class Thing:
    name: str
    amount: Decimal
    currency: str = "USD"


COLUMNS = (
    Column("Nombre", lambda t: t.name),
    amount_column("Saldo & más", lambda t: t.amount, lambda t: t.currency),
    Column(
        "Enlace",
        lambda t, label: link("/a?b=1&c=2", t.name, label % {"n": t.name}),
        texts=("Ver %(n)s",),
    ),
)
THINGS = [Thing("Ana <b>", Decimal("1234.5")), Thing("Luis", Decimal("-5"), "BOB")]


def test_it_names_every_cell_by_its_column_and_escapes_as_templates_do():
    html = table_html(COLUMNS, THINGS, amounts_hidden=False)
    assert isinstance(html, SafeString)
    assert html.startswith('<div class="table-wrap"><table class="data stack"><thead><tr>')
    assert '<th>Nombre</th><th class="num">Saldo &amp; más</th><th>Enlace</th>' in html
    assert '<td data-label="Nombre">Ana &lt;b&gt;</td>' in html
    assert '<td class="num" data-label="Saldo &amp; más">$1,234.50</td>' in html
    assert '<td class="num" data-label="Saldo &amp; más">-Bs 5.00</td>' in html
    assert '<a href="/a?b=1&amp;c=2" aria-label="Ver Ana &lt;b&gt;">Ana &lt;b&gt;</a>' in html
    assert html.count("<tr>") == 3


def test_it_renders_what_the_template_engine_renders_for_the_same_table():
    template = Template(
        '<div class="table-wrap"><table class="data stack"><thead><tr><th>{{ label }}</th>'
        "</tr></thead><tbody>{% for thing in things %}<tr>"
        '<td data-label="{{ label }}">{{ thing.name }}</td></tr>{% endfor %}</tbody></table></div>'
    )
    rendered = template.render(Context({"label": "A & B", "things": THINGS}))
    columns = (Column("A & B", lambda t: t.name),)
    assert table_html(columns, THINGS, amounts_hidden=False) == rendered


def test_hidden_amounts_never_reach_the_page():
    html = table_html(COLUMNS, THINGS, amounts_hidden=True)
    assert "1,234.50" not in html and "5.00" not in html
    assert html.count(">****</td>") == 2


def test_the_names_and_texts_are_translated_in_the_active_language():
    columns = (Column(gettext_lazy("Home"), lambda t, word: word, texts=(gettext_lazy("Home"),)),)
    with translation.override("en"):
        english = table_html(columns, THINGS[:1], amounts_hidden=False)
    with translation.override("es"):
        spanish = table_html(columns, THINGS[:1], amounts_hidden=False)
    assert "<th>Home</th>" in english and '<td data-label="Home">Home</td>' in english
    assert "<th>Inicio</th>" in spanish and '<td data-label="Inicio">Inicio</td>' in spanish


@pytest.mark.parametrize(("value", "shown"), [(None, "—"), (date(2026, 1, 31), "31/01/2026")])
def test_a_day_reads_as_the_manuals_print_it(value, shown):
    assert day(value, "—") == shown


def test_a_changed_setting_forgets_the_translated_names():
    from django.test import override_settings

    from core.tables import _frame

    table_html(COLUMNS, THINGS, amounts_hidden=False)
    assert _frame.cache_info().currsize
    with override_settings(LANGUAGE_CODE="es"):
        assert _frame.cache_info().currsize == 0

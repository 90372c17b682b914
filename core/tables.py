"""Tables of records rendered in one pass of Python: the portal's ``table.data.stack``.

A table of products repeats its column's name in every cell (``data-label``: on a phone
each row stacks into name–value pairs), links each record to its page with a label of its
own, and shows amounts through the member's choice to hide them. Rendered by the template
engine such a row costs about a thousand function calls — a variable lookup, a filter and
an escape per cell, a translation per label — and the consolidated position, the page
every member opens first, is little else. Here a table is a tuple of columns, each a name
and a function of the record: the names and the texts the cells are worded with are
translated once per language and table (``_frame``), and each value escaped as the
template engine escapes (text escaped, ``SafeString`` kept). Templates keep the headings,
the empty states and the layout around a table and print it with ``{% data_table %}``.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from html import escape
from typing import Any

from django.core.signals import setting_changed
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from core.money import money_shown


@dataclass(frozen=True, eq=False)  # compared and hashed as itself: tables are constants
class Column:
    """One column: its name (a lazy translation) and its cell, a function of the record —
    or of the record and ``texts``, the lazy translations the cell is worded with, given
    to it translated. An amount column gives the amount and, through ``currency``, the
    record's currency: the table shows it, or asterisks when the viewer hides amounts.
    Numeric columns align right (``class="num"``)."""

    label: Any
    cell: Callable[..., Any]
    numeric: bool = False
    currency: Callable[[Any], str] | None = None
    texts: tuple = ()


def amount_column(label, cell: Callable[[Any], Decimal], currency: Callable[[Any], str]) -> Column:
    return Column(label, cell, numeric=True, currency=currency)


def html(value) -> str:
    """``value`` as HTML: what ``conditional_escape`` gives (``SafeString`` as is, anything
    else as escaped text), without its wrappers."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return escape(str(value))


def day(value: date | None, missing: str = "") -> str:
    """A date as the manuals' tables print it: ``31/01/2026``."""
    return value.strftime("%d/%m/%Y") if value is not None else missing


def link(url: str, text, label: str) -> SafeString:
    """A link to a record's page, named for screen readers by ``label``."""
    return SafeString(f'<a href="{html(url)}" aria-label="{html(label)}">{html(text)}</a>')


@lru_cache(maxsize=256)
def _frame(columns: tuple[Column, ...], language: str | None) -> tuple[str, tuple]:
    """The header row, and each cell's opening tag with the column's translated texts."""
    head = []
    cells = []
    for column in columns:
        name = html(column.label)
        numeric = ' class="num"' if column.numeric else ""
        head.append(f"<th{numeric}>{name}</th>")
        texts = tuple(str(text) for text in column.texts)
        cells.append((f'<td{numeric} data-label="{name}">', column, texts))
    return "".join(head), tuple(cells)


def _forget(**kwargs) -> None:
    """A changed setting (the languages, the catalogs' folders) may change a translation."""
    _frame.cache_clear()


setting_changed.connect(_forget, dispatch_uid="core.tables")


def table_html(columns: Sequence[Column], rows: Iterable, *, amounts_hidden: bool) -> SafeString:
    """``<div class="table-wrap"><table class="data stack">…`` with a header row and a row
    per record."""
    head, cells = _frame(tuple(columns), get_language())
    body = []
    for row in rows:
        body.append("<tr>")
        for opening, column, texts in cells:
            value = column.cell(row, *texts)
            if column.currency is not None:
                value = money_shown(value, column.currency(row), hidden=amounts_hidden)
            body.append(f"{opening}{html(value)}</td>")
        body.append("</tr>")
    return SafeString(
        '<div class="table-wrap"><table class="data stack">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody>"
        "</table></div>"
    )

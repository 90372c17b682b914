"""``{% data_table rows columns %}``: a ``core.tables`` table of ``rows``, its amounts
shown or hidden as the signed-in member chose (as ``{% shown %}`` does)."""

from django import template

from core.tables import table_html

register = template.Library()


def amounts_hidden(context) -> bool:
    """Whether the signed-in member chose to hide amounts with the eye icon."""
    return getattr(getattr(context.get("request"), "user", None), "hide_amounts", False)


@register.simple_tag(takes_context=True)
def data_table(context, rows, columns):
    return table_html(columns, rows, amounts_hidden=amounts_hidden(context))

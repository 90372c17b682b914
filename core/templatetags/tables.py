"""``{% data_table rows columns %}``: a ``core.tables`` table of ``rows``, its amounts
shown or hidden as the signed-in member chose (as ``{% shown %}`` does)."""

from django import template

from core.tables import table_html

register = template.Library()


@register.simple_tag(takes_context=True)
def data_table(context, rows, columns):
    user = getattr(context.get("request"), "user", None)
    return table_html(columns, rows, amounts_hidden=getattr(user, "hide_amounts", False))

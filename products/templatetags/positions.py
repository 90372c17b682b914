"""``{% shown amount currency %}``: an amount, or asterisks when the member chose to hide
amounts with the eye icon (the figure then never reaches the page)."""

from decimal import Decimal

from django import template

from core.masking import mask_number
from core.money import money_shown
from core.templatetags.tables import amounts_hidden

register = template.Library()


@register.simple_tag(takes_context=True)
def shown(context, value, currency: str = "USD") -> str:
    return money_shown(value, currency, hidden=amounts_hidden(context))


@register.filter
def percent(value) -> str:
    """A yearly rate kept as a fraction, as the manuals print it: 0.079 → ``7.90%``."""
    if value is None or value == "":
        return ""
    return f"{(Decimal(value) * 100).quantize(Decimal('0.01'))}%"


@register.filter
def masked(number: str) -> str:
    """An account or loan number as receipts show it: ``*****1234``."""
    return mask_number(str(number))

"""``{% shown amount currency %}``: an amount, or asterisks when the member chose to hide
amounts with the eye icon (the figure then never reaches the page)."""

from decimal import Decimal

from django import template
from django.utils.html import conditional_escape

from core.masking import mask_number
from core.money import format_money

register = template.Library()
HIDDEN = "****"


class ShownNode(template.Node):
    """What ``simple_tag`` would make of it, without its general machinery: the position
    prints a dozen amounts and the tag was a fifteenth of the page's Python."""

    def __init__(self, value, currency=None):
        self.value, self.currency = value, currency

    def render(self, context) -> str:
        user = getattr(context.get("request"), "user", None)
        if getattr(user, "hide_amounts", False):
            return HIDDEN
        currency = self.currency.resolve(context) if self.currency is not None else "USD"
        text = format_money(self.value.resolve(context), currency)
        return conditional_escape(text) if context.autoescape else text


@register.tag
def shown(parser, token) -> ShownNode:
    """``{% shown amount currency %}`` (``currency``: USD when left out)."""
    bits = token.split_contents()
    if len(bits) not in (2, 3):
        raise template.TemplateSyntaxError(f"{bits[0]} takes an amount and a currency")
    return ShownNode(*(parser.compile_filter(bit) for bit in bits[1:]))


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


@register.filter
def share_text(account, cooperative: str) -> str:
    """``{{ account|share_text:coop.short_name }}``: ``DepositAccount.share_text``."""
    return account.share_text(cooperative)

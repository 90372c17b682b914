"""The one way the portal shows money: ``{{ amount|money }}`` → ``$1,234.56``."""

from decimal import Decimal

from django import template

from core.money import format_money

register = template.Library()


@register.filter
def money(value, currency: str = "USD") -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, float):
        raise TypeError("money is never a float")
    return format_money(value if isinstance(value, Decimal) else Decimal(value), currency)

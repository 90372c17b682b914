"""Loan schedules the way Ecuadorian cooperatives compute them.

A fixed payment ("Valor cuota a pagar") from the French formula at the monthly rate of
interest plus desgravamen insurance; each installment's interest and insurance on the
balance for the *actual* days since the previous due date (actual/360); due dates on the
same day of each month, moved to the next business day; the capital is what the payment
leaves after interest and insurance, and the last installment takes whatever balance is
left, so the capital column always sums to the principal and the schedule ends at zero.

With the manual's CONSUMO AGIL (1,000.00 at 15.6% from 2025-07-01, first due 2025-07-25,
24 installments, desgravamen 1.8432% a year) this reproduces its table: 49.66 a month,
first installment capital 38.03, interest 10.40, desgravamen 1.23, then balances 961.97,
926.76, 891.02, 855.18, 817.54…
"""

import calendar
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext

from core.money import quantize

DAY_BASIS = 360
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Row:
    number: int
    due_date: date
    days: int
    balance: Decimal  # "Saldo capital" before this installment
    capital: Decimal
    interest: Decimal
    insurance: Decimal

    @property
    def total(self) -> Decimal:
        return self.capital + self.interest + self.insurance


def add_months(day: date, months: int, *, on_day: int) -> date:
    """``on_day`` of the month ``months`` after ``day``'s, clamped to the month's end."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(on_day, calendar.monthrange(year, month)[1]))


def fixed_payment(principal: Decimal, monthly_rate: Decimal, installments: int) -> Decimal:
    """``P·i / (1 − (1+i)^−n)``, rounded to cents; ``P / n`` at a zero rate."""
    if installments < 1:
        raise ValueError("a loan needs at least one installment")
    if monthly_rate == 0:
        return quantize(principal / installments)
    with localcontext() as context:
        context.prec = 28
        factor = (1 + monthly_rate) ** -installments
        return quantize(principal * monthly_rate / (1 - factor))


def schedule(
    *,
    principal: Decimal,
    annual_rate: Decimal,
    insurance_rate: Decimal,
    installments: int,
    granted_on: date,
    first_due: date,
    business_day: Callable[[date], date] = lambda day: day,
) -> list[Row]:
    """The whole table. Rates are fractions a year (0.156 for 15.6%); ``business_day``
    moves a nominal due date to the day it is actually due."""
    if principal <= 0:
        raise ValueError("the principal must be positive")
    if first_due <= granted_on:
        raise ValueError("the first installment falls due after the loan is granted")
    payment = fixed_payment(principal, (annual_rate + insurance_rate) / 12, installments)
    rows, balance, previous = [], principal, granted_on
    for number in range(1, installments + 1):
        due = business_day(add_months(first_due, number - 1, on_day=first_due.day))
        days = (due - previous).days
        interest = quantize(balance * annual_rate * days / DAY_BASIS)
        insurance = quantize(balance * insurance_rate * days / DAY_BASIS)
        if number == installments:
            capital = balance
        else:
            capital = min(max(payment - interest - insurance, ZERO), balance)
        rows.append(Row(number, due, days, balance, capital, interest, insurance))
        balance -= capital
        previous = due
    return rows

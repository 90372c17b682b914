"""The demo's books and tariffs, and the clock its history is posted by."""

import heapq
import itertools
from datetime import date
from decimal import Decimal

from core.demo import Demo
from core.profile import cooperative_current
from ledger.books import books_open
from ledger.models import Tariff
from ledger.services import booked_at

# Cooprogreso's tariff as the manuals show it: interbank transfers and card payments to
# other institutions cost $0.36 plus IVA (15 % since April 2024); transfers inside the
# cooperative are free.
TARIFFS = [
    (
        Tariff.Code.TRANSFER_INTERBANK,
        "0.36",
        "COMISIÓN TRANSFERENCIA PAGO DIRECTO",
        "IVA TRANSFERENCIA PAGO DIRECTO",
    ),
    (
        Tariff.Code.CARD_PAYMENT_INTERBANK,
        "0.36",
        "COSTO TRANSFERENCIA / PAGO TARJETAS SPI",
        "IVA TRANSFERENCIA / PAGO TARJETAS SPI",
    ),
]


def books_load(demo: Demo) -> None:
    """The cooperative's books in each of its currencies, and its tariffs."""
    for currency in cooperative_current().currencies:
        demo.books += books_open(currency=currency)
    for code, commission, commission_description, iva_description in TARIFFS:
        Tariff.objects.get_or_create(
            code=code,
            valid_from=date(2024, 4, 1),
            defaults={
                "commission": Decimal(commission),
                "iva_rate": Decimal("0.15"),
                "commission_description": commission_description,
                "iva_description": iva_description,
            },
        )


def history_run(demo: Demo) -> None:
    """Posts the history the steps planned, oldest first, each event booked at its moment
    (``booked_at``); an event that returns a list of events (a service's own result is
    never a list) has them join the queue in their turn. Events at the same moment keep
    the order they were planned in."""
    order = itertools.count()
    queue = [(moment, next(order), action) for moment, action in demo.history]
    heapq.heapify(queue)
    while queue:
        moment, _n, action = heapq.heappop(queue)
        with booked_at(moment):
            result = action()
        if isinstance(result, list):
            for later, then in result:
                heapq.heappush(queue, (later, next(order), then))
    demo.history.clear()

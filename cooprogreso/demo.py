"""The demo cooperative: each app's step, in order.

Each app loads its own part of the demo (``<app>/demo.py``) through the services members
and staff use; this module only names the steps and runs them in one transaction.
Idempotent: every step creates what is missing and leaves what exists alone, so loading
twice changes nothing (and never overwrites what staff edited). The history steps plan
events and ``ledger.demo.history_run`` posts them all, oldest first, so María's year
reads the same whichever app wrote each movement.
"""

from django.db import transaction

from accounts import demo as accounts
from cards import demo as cards
from core import demo as core
from ledger import demo as ledger
from payments import demo as payments
from products import demo as products
from transfers import demo as transfers

STEPS = [
    core.cooperatives_load,
    ledger.books_load,
    accounts.staff_load,
    accounts.members_load,
    accounts.companies_load,
    products.accounts_load,
    transfers.catalog_load,
    payments.catalog_load,
    products.history_plan,
    transfers.history_plan,
    ledger.history_run,
    cards.cards_load,
    accounts.members_count,
]


def demo_load() -> core.Demo:
    demo = core.Demo()
    with transaction.atomic():
        for step in STEPS:
            step(demo)
    return demo

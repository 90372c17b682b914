"""María's cards in the demo.

Her MASTERCARD debit card on her savings account and a MASTERCARD credit card with a few
purchases, a statement closed yesterday, and the manual's purchase after it (SANA SANA,
$13.24), which she can defer ("Diferir consumos": $4.53 a month over 3 months) — through
the services staff and the card processor use.
The numbers are test numbers (Luhn-valid, the manuals' BINs and last four digits); the
portal keeps only their BIN, last four and keyed digest, and finds them again by that
digest, so a second load registers nothing twice.
"""

from datetime import timedelta
from decimal import Decimal

from accounts.demo import MARIA
from accounts.models import Member
from cards.models import Card
from cards.selectors import card_by_number
from cards.services import card_issue_credit, card_issue_debit, card_purchase, card_statement_close
from core.demo import Demo, at
from ledger.services import booked_at
from products.models import DepositAccount

DEMO_DEBIT_PAN = "5509750000037023"
DEMO_CREDIT_PAN = "5137440000060395"
DEMO_CREDIT_LIMIT = Decimal("1500.00")
DEMO_PURCHASES = [  # (days ago, description, amount): in the statement closed yesterday
    (9, "SUPERMAXI SAN CARLOS", "86.40"),
    (6, "TROPI BURGER T049", "2.99"),
    (3, "FYBECA EL BOSQUE", "17.11"),
    (1, "KYWI LA PRENSA", "45.80"),
]
# After yesterday's cut, so "Diferir consumos" offers it: the manuals' deferral example.
DEMO_DEFERRABLE = ("SANA SANA N59 ANGEL LUDENA", "13.24")


def cards_load(demo: Demo) -> None:
    member = Member.objects.get(member_number=MARIA)
    savings = DepositAccount.objects.get(member=member, product_type__code="AHO")
    if card_by_number(pan=DEMO_DEBIT_PAN) is None:
        card_issue_debit(
            account=savings,
            brand=Card.Brand.MASTERCARD,
            pan=DEMO_DEBIT_PAN,
            reason="Tarjeta de demostración",
        )
    credit = card_by_number(pan=DEMO_CREDIT_PAN) or card_issue_credit(
        member=member,
        brand=Card.Brand.MASTERCARD,
        pan=DEMO_CREDIT_PAN,
        credit_limit=DEMO_CREDIT_LIMIT,
        reason="Tarjeta de demostración",
    )
    today = demo.today
    for n, (days_ago, description, amount) in enumerate(DEMO_PURCHASES, start=1):
        with booked_at(at(today - timedelta(days=days_ago), 13, 10 + n)):
            card_purchase(
                card=credit,
                amount=Decimal(amount),
                description=description,
                key=f"demo:{MARIA}:card:purchase:{n}",
            )
    if credit.statement_date is None:
        card_statement_close(card=credit, on=today - timedelta(days=1))
    description, amount = DEMO_DEFERRABLE
    card_purchase(  # booked now, after the cut: a purchase of the current period
        card=credit,
        amount=Decimal(amount),
        description=description,
        key=f"demo:{MARIA}:card:purchase:deferrable",
    )

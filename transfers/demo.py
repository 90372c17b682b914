"""The demo's transfer catalog, María's beneficiaries and her monthly transfer to Rosa.

Rosa is a second member (no portal user) with a savings account, for María's
"Beneficiario Cooprogreso"; Carlos is a beneficiary at another bank that the simulated
payment network knows by name.
"""

from datetime import date
from decimal import Decimal

from accounts.demo import MARIA
from accounts.models import Member
from core.demo import Demo, Event, at
from core.profile import cooperative_current
from ledger.calendar import business_day_on_or_after
from ledger.services import booked_at
from products.amortization import add_months
from products.demo import HISTORY_MONTHS, history_start
from products.models import DepositAccount, ProductType
from products.services import cash_deposit, deposit_account_open
from transfers.beneficiaries import beneficiary_add_external, beneficiary_add_internal
from transfers.catalog import transfer_catalog_load
from transfers.models import Beneficiary, Institution, TransferKind
from transfers.services import TransferOrder, transfer_execute

DEMO_NEIGHBOUR = {
    "member_number": "100377",
    "id_type": Member.IdType.CEDULA,
    "id_number": "0926687856",
    "first_names": "Rosa Elena",
    "last_names": "Quishpe Tupiza",
    "email": "rosa.quishpe@example.com",
    "mobile_phone": "+593991112233",
    "birth_date": date(1979, 9, 2),
    "address": "Calle Rocafuerte 12-40, Latacunga",
}
DEMO_EXTERNAL = {
    "institution_code": "0010",
    "account_type": "savings",
    "account_number": "2201234567",
    "name": "Carlos Andrés Mendoza Vera",
    "id_type": "cedula",
    "id_number": "1710034065",
    "alias": "Carlos (arriendo)",
}


def catalog_load(demo: Demo) -> None:
    """The profile's institutions and limits; for Cooprogreso, Rosa's account and María's
    two beneficiaries, registered when her history starts."""
    transfer_catalog_load(cooperative_slug=cooperative_current().slug)
    if cooperative_current().slug != "cooprogreso":
        return
    opening_at = history_start(demo.today)
    rosa = Member.objects.filter(member_number=DEMO_NEIGHBOUR["member_number"]).first()
    if rosa is None:
        rosa = Member(**DEMO_NEIGHBOUR)
        rosa.full_clean()
        rosa.save()
    rosa_savings = DepositAccount.objects.filter(member=rosa, product_type__code="AHO").first()
    if rosa_savings is None:
        rosa_savings = deposit_account_open(
            member=rosa, product_type=ProductType.objects.get(code="AHO")
        )
    with booked_at(opening_at):
        cash_deposit(account=rosa_savings, amount=Decimal("120.00"), key="demo:100377:opening")
    maria = Member.objects.get(member_number=MARIA)
    if not Beneficiary.objects.filter(member=maria, account=rosa_savings).exists():
        beneficiary_add_internal(
            member=maria, account_number=rosa_savings.number, alias="Rosa (vecina)"
        )
    external = dict(DEMO_EXTERNAL)
    institution = Institution.objects.get(code=external.pop("institution_code"))
    if not Beneficiary.objects.filter(
        member=maria, institution=institution, account_number=external["account_number"]
    ).exists():
        beneficiary_add_external(member=maria, institution=institution, **external)
    Beneficiary.objects.filter(member=maria, created_at__gt=opening_at).update(
        created_at=opening_at
    )


def history_plan(demo: Demo) -> None:
    """María's monthly "Transferencias Cooprogreso" to Rosa, through the service, every
    month of the year by today (Cooprogreso's demo only)."""
    if cooperative_current().slug != "cooprogreso":
        return
    today = demo.today
    maria = Member.objects.get(member_number=MARIA)
    savings = DepositAccount.objects.get(member=maria, product_type__code="AHO")
    start = add_months(today, -HISTORY_MONTHS, on_day=1)
    events: list[Event] = []
    for n in range(HISTORY_MONTHS + 1):
        month = add_months(start, n, on_day=1)
        amount = Decimal("15.00") + Decimal(n % 3) * 5
        key = f"demo:{MARIA}:{month:%Y-%m}:rosa"
        events.append(
            (
                at(business_day_on_or_after(month.replace(day=12)), 12, 30),
                lambda v=amount, k=key: _to_rosa(maria, savings, v, k),
            )
        )
    demo.history += [(moment, action) for moment, action in events if moment.date() <= today]


def _to_rosa(member: Member, savings: DepositAccount, amount: Decimal, key: str) -> None:
    rosa = Beneficiary.objects.select_related("account").get(
        member=member, account__member__member_number=DEMO_NEIGHBOUR["member_number"]
    )
    transfer_execute(
        member=member,
        order=TransferOrder(
            kind=TransferKind.INTERNAL,
            origin=savings,
            beneficiary=rosa,
            destination=rosa.account,
            amount=amount,
            motive="Cuota de la vecindad",
        ),
        key=key,
        notify=False,
    )

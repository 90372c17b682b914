"""The demo cooperative: profiles, a branch employee and members who can sign in.

Idempotent: every step creates what is missing and leaves what exists alone, so loading
twice changes nothing (and never overwrites what staff edited). Later sections add their
own step to ``STEPS`` through the same services members and staff use.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction

from accounts.models import Member, SecurityImage, User
from core.profile import cooperative_current, cooperatives_load_ready
from ledger.books import books_open
from ledger.models import Tariff
from products.catalog import product_types_load
from products.models import DepositAccount, ProductType
from products.services import cash_deposit, cash_withdrawal, deposit_account_open


@dataclass(frozen=True)
class DemoLogin:
    role: str
    username: str
    password: str
    where: str


STAFF = DemoLogin("Personal de agencia", "agencia01", "Agencia#2026", "/admin/")
MEMBERS = (
    (
        DemoLogin("Socia", "mariaperez", "Progreso#2026", "/"),
        "estrella",
        [("AHO", "295.65"), ("CER", "432.90")],
        {
            "member_number": "100245",
            "id_type": Member.IdType.CEDULA,
            "id_number": "1714307103",
            "first_names": "María Fernanda",
            "last_names": "Pérez Andrade",
            "email": "maria.perez@example.com",
            "mobile_phone": "+593987654321",
            "birth_date": date(1988, 3, 14),
            "address": "Av. de la Prensa N58-120 y Vaca de Castro, Quito",
        },
    ),
)
DEMO_LOGINS = (STAFF, *(login for login, *_ in MEMBERS))


@dataclass
class DemoSummary:
    cooperatives: int = 0
    members: int = 0
    staff: int = 0
    books: int = 0

    def line(self) -> str:
        return (
            f"Cooperativa demo cargada: {self.cooperatives} perfiles, "
            f"{self.members} socios, {self.staff} usuario de agencia"
        )


def _load_cooperatives(summary: DemoSummary) -> None:
    summary.cooperatives = cooperatives_load_ready()


def _load_staff(summary: DemoSummary) -> None:
    user, created = User.objects.get_or_create(
        username=STAFF.username,
        defaults={
            "first_name": "Lucía",
            "last_name": "Andrade",
            "email": "agencia01@cooprogreso.example",
            "is_staff": True,
            "is_superuser": True,
        },
    )
    if created:
        user.set_password(STAFF.password)
        user.save(update_fields=["password"])
    summary.staff = 1


def _load_members(summary: DemoSummary) -> None:
    for login, image, _products, data in MEMBERS:
        member = Member.objects.filter(member_number=data["member_number"]).first()
        if member is None:
            user = User(
                username=login.username,
                first_name=data["first_names"].split()[0],
                last_name=data["last_names"].split()[0],
                email=data["email"],
                security_image=SecurityImage.objects.get(slug=image),
            )
            user.set_password(login.password)
            user.save()
            member = Member(user=user, **data)
            member.full_clean()
            member.save()
    summary.members = Member.objects.count()


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


def _load_ledger(summary: DemoSummary) -> None:
    for currency in cooperative_current().currencies:
        summary.books += books_open(currency=currency)
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


def _load_products(summary: DemoSummary) -> None:
    """Each demo member's accounts, funded at the branch window through the ledger."""
    from django.utils import timezone

    from ledger.services import booked_at
    from products.amortization import add_months

    product_types_load(cooperative_slug=cooperative_current().slug)
    opening_at = _at(add_months(timezone.localdate(), -HISTORY_MONTHS, on_day=1), 8, 0)
    for _login, _image, products, data in MEMBERS:
        member = Member.objects.get(member_number=data["member_number"])
        for code, opening in products:
            product_type = ProductType.objects.get(code=code)
            account = DepositAccount.objects.filter(
                member=member, product_type=product_type
            ).first()
            if account is None:
                account = deposit_account_open(
                    member=member, product_type=product_type, reason="Cuenta de demostración"
                )
            with booked_at(opening_at):
                cash_deposit(
                    account=account,
                    amount=Decimal(opening),
                    key=f"demo:{data['member_number']}:{code}:opening",
                )


# --- Twelve months of history -----------------------------------------------------------
#
# María's year at the cooperative, posted through the same services the branch and the
# portal use, each journal booked on its day (``ledger.services.booked_at``): a monthly
# salary deposit and a withdrawal at the window, a monthly contribution, the savings
# interest of every month that has ended, a CONSUMO AGIL loan paid installment by
# installment, and a póliza. Keys name calendar months, so a second load the same day
# replays everything and a load a month later adds that month only.

HISTORY_MONTHS = 12


def _at(day: date, hour: int = 10, minute: int = 0):
    from datetime import datetime, time

    from django.utils import timezone

    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _member_timeline(member: Member, today: date) -> list[tuple]:
    """(moment, description, callable) for everything María did, oldest first."""
    from ledger.calendar import business_day_on_or_after
    from products.amortization import add_months
    from products.investments import savings_interest_capitalize

    savings = DepositAccount.objects.get(member=member, product_type__code="AHO")
    certificate = DepositAccount.objects.get(member=member, product_type__code="CER")
    start = add_months(today, -HISTORY_MONTHS, on_day=1)
    events = []
    for n in range(HISTORY_MONTHS + 1):
        month = add_months(start, n, on_day=1)
        tag = f"demo:{member.member_number}:{month:%Y-%m}"
        salary_day = business_day_on_or_after(month.replace(day=5))
        cash_day = business_day_on_or_after(month.replace(day=18))
        salary = Decimal("850.00") + Decimal(n % 3) * Decimal("25.00")
        cash = Decimal("380.00") + Decimal(n % 4) * Decimal("15.50")
        events += [
            (
                _at(salary_day, 9, 15),
                lambda a=savings, v=salary, k=f"{tag}:salary": cash_deposit(
                    account=a, amount=v, key=k
                ),
            ),
            (
                _at(salary_day, 9, 40),
                lambda a=certificate, k=f"{tag}:contribution": cash_deposit(
                    account=a, amount=Decimal("10.00"), key=k
                ),
            ),
            (
                _at(cash_day, 16, 5),
                lambda a=savings, v=cash, k=f"{tag}:cash": cash_withdrawal(
                    account=a, amount=v, key=k
                ),
            ),
        ]
        rosa_day = business_day_on_or_after(month.replace(day=12))
        events.append(
            (
                _at(rosa_day, 12, 30),
                lambda v=Decimal("15.00") + Decimal(n % 3) * 5, k=f"{tag}:rosa": _to_rosa(
                    member, savings, v, k
                ),
            )
        )
        ended = add_months(month, 1, on_day=1)
        if ended <= today:
            events.append(
                (
                    _at(ended, 0, 30),
                    lambda a=savings, m=month: savings_interest_capitalize(
                        account=a, year=m.year, month=m.month
                    ),
                )
            )
    return [
        (moment, action)
        for moment, action in sorted(events, key=lambda e: e[0])
        if moment.date() <= today
    ]


def _to_rosa(member: Member, savings: DepositAccount, amount: Decimal, key: str) -> None:
    """A "Transferencias Cooprogreso" to María's beneficiary Rosa, through the service."""
    from transfers.models import Beneficiary, TransferKind
    from transfers.services import TransferOrder, transfer_execute

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


def _installment_payments(loan, savings, today: date) -> list[tuple]:
    from products.loans import installment_pay, loan_due
    from products.models import Installment

    def pay(installment):
        def action():
            loan.refresh_from_db()
            if loan.installments.get(pk=installment.pk).state == Installment.State.PAID:
                return
            on = installment.due_date
            installment_pay(
                loan=loan,
                number=installment.number,
                amount=loan_due(loan=loan, on=on).total,
                account=savings,
                on=on,
            )

        return action

    return [
        (_at(i.due_date, 8, 30), pay(i))
        for i in loan.installments.filter(due_date__lte=today).order_by("number")
    ]


def _load_history(summary: DemoSummary) -> None:
    import heapq
    import itertools

    from django.utils import timezone

    from ledger.services import booked_at
    from products.amortization import add_months
    from products.investments import term_deposit_open
    from products.loans import loan_grant
    from products.models import Loan, LoanType, TermDeposit, TermDepositType

    if cooperative_current().slug != "cooprogreso":
        return
    today = timezone.localdate()
    data = MEMBERS[0][3]
    member = Member.objects.get(member_number=data["member_number"])
    savings = DepositAccount.objects.get(member=member, product_type__code="AHO")
    timeline = _member_timeline(member, today)
    granted = add_months(today, -5, on_day=1)
    deposit_day = add_months(today, -2, on_day=3)
    loan = Loan.objects.filter(member=member).first()
    if loan is None:
        timeline.append(
            (
                _at(granted, 11),
                lambda: loan_grant(
                    member=member,
                    loan_type=LoanType.objects.get(code="CAG"),
                    principal=Decimal("1000.00"),
                    installments=24,
                    disbursement_account=savings,
                    granted_on=granted,
                    first_due=granted.replace(day=25),
                    reason="Crédito de demostración",
                ),
            )
        )
    else:
        timeline += _installment_payments(loan, savings, today)
    if not TermDeposit.objects.filter(member=member).exists():
        timeline.append(
            (
                _at(deposit_day, 12),
                lambda: term_deposit_open(
                    member=member,
                    deposit_type=TermDepositType.objects.get(code="DPF"),
                    account=savings,
                    capital=Decimal("1000.00"),
                    term_days=365,
                    annual_rate=Decimal("0.0725"),
                    key=f"demo:{member.member_number}:poliza",
                    issued_on=deposit_day,
                    reason="Inversión de demostración",
                ),
            )
        )
    order = itertools.count()
    queue = [(moment, next(order), action) for moment, action in timeline]
    heapq.heapify(queue)
    while queue:
        moment, _n, action = heapq.heappop(queue)
        with booked_at(moment):
            result = action()
        if isinstance(result, Loan):  # its installments fall due as the year goes on
            for due_moment, pay in _installment_payments(result, savings, today):
                heapq.heappush(queue, (due_moment, next(order), pay))


# --- Cards ---------------------------------------------------------------------------------
#
# María's MASTERCARD debit card on her savings account and a MASTERCARD credit card with a
# few purchases and a closed statement, through the services staff and the card processor
# use. The numbers are test numbers (Luhn-valid, the manuals' BINs and last four digits);
# the portal keeps only their BIN, last four and keyed digest, and finds them again by
# that digest, so a second load registers nothing twice.

DEMO_DEBIT_PAN = "5509750000037023"
DEMO_CREDIT_PAN = "5137440000060395"
DEMO_CREDIT_LIMIT = Decimal("1500.00")
DEMO_PURCHASES = [  # (days ago, description, amount)
    (12, "SANA SANA N59 ANGEL LUDENA", "13.24"),
    (9, "SUPERMAXI SAN CARLOS", "86.40"),
    (6, "TROPI BURGER T049", "2.99"),
    (3, "FYBECA EL BOSQUE", "17.11"),
    (1, "KYWI LA PRENSA", "45.80"),
]


def _load_cards(summary: DemoSummary) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from cards.models import Card
    from cards.selectors import card_by_number
    from cards.services import (
        card_issue_credit,
        card_issue_debit,
        card_purchase,
        card_statement_close,
    )
    from ledger.services import booked_at

    data = MEMBERS[0][3]
    member = Member.objects.get(member_number=data["member_number"])
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
    today = timezone.localdate()
    for n, (days_ago, description, amount) in enumerate(DEMO_PURCHASES, start=1):
        with booked_at(_at(today - timedelta(days=days_ago), 13, 10 + n)):
            card_purchase(
                card=credit,
                amount=Decimal(amount),
                description=description,
                key=f"demo:{data['member_number']}:card:purchase:{n}",
            )
    if credit.statement_date is None:
        card_statement_close(card=credit, on=today)


# A second member (no portal user) for María's "Beneficiario Cooprogreso", and a
# beneficiary at another bank that the simulated payment network knows by name.
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


def _load_transfer_catalog(summary: DemoSummary) -> None:
    """The profile's institutions and limits; for Cooprogreso, Rosa's account and María's
    two beneficiaries, registered when her history starts (her monthly transfers to Rosa
    are in the timeline)."""
    from django.utils import timezone

    from ledger.services import booked_at
    from products.amortization import add_months
    from transfers.beneficiaries import beneficiary_add_external, beneficiary_add_internal
    from transfers.catalog import transfer_catalog_load
    from transfers.models import Beneficiary, Institution

    transfer_catalog_load(cooperative_slug=cooperative_current().slug)
    if cooperative_current().slug != "cooprogreso":
        return
    opening_at = _at(add_months(timezone.localdate(), -HISTORY_MONTHS, on_day=1), 8, 0)
    rosa = Member.objects.filter(member_number=DEMO_NEIGHBOUR["member_number"]).first()
    if rosa is None:
        rosa = Member(**DEMO_NEIGHBOUR)
        rosa.full_clean()
        rosa.save()
        summary.members = Member.objects.count()
    rosa_savings = DepositAccount.objects.filter(member=rosa, product_type__code="AHO").first()
    if rosa_savings is None:
        rosa_savings = deposit_account_open(
            member=rosa, product_type=ProductType.objects.get(code="AHO")
        )
    with booked_at(opening_at):
        cash_deposit(account=rosa_savings, amount=Decimal("120.00"), key="demo:100377:opening")
    maria = Member.objects.get(member_number=MEMBERS[0][3]["member_number"])
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


STEPS = [
    _load_cooperatives,
    _load_ledger,
    _load_staff,
    _load_members,
    _load_products,
    _load_transfer_catalog,
    _load_history,
    _load_cards,
]


def demo_load() -> DemoSummary:
    summary = DemoSummary()
    with transaction.atomic():
        for step in STEPS:
            step(summary)
    return summary

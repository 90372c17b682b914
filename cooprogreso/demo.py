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
from cooprogreso.profile import cooperative_current, cooperatives_load_ready
from ledger.books import books_open
from ledger.models import Tariff
from products.catalog import product_types_load
from products.models import DepositAccount, ProductType
from products.services import cash_deposit, deposit_account_open


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
    product_types_load(cooperative_slug=cooperative_current().slug)
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
            cash_deposit(
                account=account,
                amount=Decimal(opening),
                key=f"demo:{data['member_number']}:{code}:opening",
            )


STEPS = [_load_cooperatives, _load_ledger, _load_staff, _load_members, _load_products]


def demo_load() -> DemoSummary:
    summary = DemoSummary()
    with transaction.atomic():
        for step in STEPS:
            step(summary)
    return summary

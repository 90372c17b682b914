"""The demo's people who sign in — a branch employee and the members of the manuals — and
the company that is a member too (a persona jurídica: accounts, no member user)."""

from dataclasses import dataclass
from datetime import date

from accounts.models import Member, SecurityImage, User
from core.demo import Demo


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
MARIA = MEMBERS[0][2]["member_number"]
# A private company's RUC (third digit 9, a valid modulo-11 check digit).
COMPANIES = (
    {
        "kind": Member.Kind.LEGAL,
        "member_number": "300150",
        "id_type": Member.IdType.RUC,
        "id_number": "1792456134001",
        "business_name": "Comercial Andina S.A.",
        "email": "tesoreria@comercialandina.example.com",
        "mobile_phone": "+593992456134",
        "address": "Av. República de El Salvador N34-183 y Suiza, Quito",
    },
)
ANDINA = COMPANIES[0]["member_number"]


def staff_load(demo: Demo) -> None:
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
    demo.staff = 1


def members_load(demo: Demo) -> None:
    for login, image, data in MEMBERS:
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


def companies_load(demo: Demo) -> None:
    """The demo's companies, as staff register them in the admin: no user."""
    for data in COMPANIES:
        if not Member.objects.filter(member_number=data["member_number"]).exists():
            company = Member(**data)
            company.full_clean()
            company.save()


def members_count(demo: Demo) -> None:
    """What the summary line counts once every step ran: socios (natural persons, those
    of every app's steps) and empresas."""
    demo.members = Member.objects.filter(kind=Member.Kind.NATURAL).count()
    demo.companies = Member.objects.filter(kind=Member.Kind.LEGAL).count()

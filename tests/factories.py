from datetime import date

import factory
from factory.django import DjangoModelFactory

from accounts.models import Member, SecurityImage, User

PASSWORD = "Clave#Segura26"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"socio{n:04d}")
    first_name = "Gabriel"
    last_name = "Silva"
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    security_image = factory.LazyFunction(lambda: SecurityImage.objects.get(slug="estrella"))
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save(update_fields=["password"])


# Valid Ecuadorian cédulas (python-stdnum's ec.ci accepts each).
CEDULAS = ["1710034065", "0926687856", "1104680135", "1114140021", "2100759543", "1803834520"]


class MemberFactory(DjangoModelFactory):
    class Meta:
        model = Member

    user = factory.SubFactory(UserFactory)
    member_number = factory.Sequence(lambda n: f"{200000 + n}")
    id_type = Member.IdType.CEDULA
    id_number = factory.Sequence(lambda n: CEDULAS[n % len(CEDULAS)])
    first_names = factory.LazyAttribute(lambda m: m.user.first_name if m.user else "Rosa")
    last_names = factory.LazyAttribute(lambda m: m.user.last_name if m.user else "Quishpe")
    email = factory.LazyAttribute(
        lambda m: m.user.email if m.user else f"socio{m.member_number}@example.com"
    )
    mobile_phone = "+593991234567"
    birth_date = date(1990, 5, 17)
    address = "Av. Amazonas N24-03, Quito"


# Valid RUCs of companies: private (third digit 9, modulo-11 checksum) and public (6).
COMPANY_RUCS = ["1792456134001", "1793017827001", "1791684206001", "0992123451001", "1760001550001"]


class CompanyFactory(MemberFactory):
    """A persona jurídica: identified by its RUC, named by its razón social, no user."""

    kind = Member.Kind.LEGAL
    user = None
    id_type = Member.IdType.RUC
    id_number = factory.Sequence(lambda n: COMPANY_RUCS[n % len(COMPANY_RUCS)])
    business_name = factory.Sequence(lambda n: f"Distribuidora Sierra {n} Cía. Ltda.")
    first_names = ""
    last_names = ""
    birth_date = None
    email = factory.Sequence(lambda n: f"tesoreria{n}@empresa.example.com")
    mobile_phone = "+593992345678"

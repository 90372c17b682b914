"""Companies are members too: a persona jurídica identified by its RUC and named by its
razón social, owning accounts without ever signing in to the member portal."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.enrollment import COMPANY_PROBLEM, enrollment_find, enrollment_user
from accounts.exceptions import CompanyHasNoPortalUser
from accounts.models import AuditEvent, Member, User
from accounts.services import member_issue_credentials
from core.notifications import LocmemSmsBackend
from tests.factories import CompanyFactory, MemberFactory, UserFactory

ANDINA = {
    "kind": Member.Kind.LEGAL,
    "member_number": "300901",
    "id_type": Member.IdType.RUC,
    "id_number": "1792456134001",
    "business_name": "Comercial Andina S.A.",
    "email": "tesoreria@comercialandina.example.com",
    "mobile_phone": "+593992000111",
    "address": "Av. República de El Salvador N34-183, Quito",
}


def company(**changes) -> Member:
    """Andina as staff would type it, unsaved."""
    return Member(**{**ANDINA, **changes})


def errors_of(member: Member) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as raised:
        member.full_clean()
    return raised.value.message_dict


# --- The model -------------------------------------------------------------------------


def test_a_company_is_named_by_its_business_name(db):
    andina = company()
    andina.full_clean()
    andina.save()
    assert andina.full_name == "Comercial Andina S.A."
    assert andina.greeting_name == "Comercial Andina S.A."
    assert str(andina) == "Comercial Andina S.A. (300901)"
    assert andina.is_company and andina.user is None


def test_a_member_is_a_natural_person_unless_staff_say_otherwise(member):
    assert member.kind == Member.Kind.NATURAL and not member.is_company
    assert member.full_name == "María Fernanda Pérez Andrade"
    assert member.greeting_name == "María Fernanda"
    member.full_clean()


@pytest.mark.parametrize(
    "ruc",
    [
        "1792456134001",  # a private company
        "1760001550001",  # a public entity
        "1793213150001",  # a real private company whose checksum no longer verifies
    ],
)
def test_it_takes_the_ruc_of_a_private_company_or_a_public_entity(db, ruc):
    andina = company(id_number=f"{ruc[:5]} {ruc[5:]}")
    andina.full_clean()
    assert andina.id_number == ruc


def test_a_company_is_identified_by_its_ruc(db):
    errors = errors_of(company(id_type=Member.IdType.CEDULA, id_number="1714307103"))
    assert errors["id_type"] == ["Una persona jurídica se identifica con su RUC."]


def test_a_company_is_not_identified_by_a_persons_ruc(db):
    errors = errors_of(company(id_number="1714307103001"))
    assert errors["id_number"] == [
        "El RUC de una persona jurídica es el de una sociedad privada o una entidad pública "
        "(tercer dígito 9 o 6)."
    ]


def test_a_ruc_out_of_structure_is_refused_as_any_other(db):
    # The checksum of a company's RUC is not enforced; its structure is (no establishment).
    assert errors_of(company(id_number="1792456134000"))["id_number"] == [
        "El número de RUC no es válido."
    ]


def test_a_company_needs_its_business_name_and_has_no_personal_data(db):
    errors = errors_of(company(business_name=" ", first_names="Pedro", birth_date=date(1980, 1, 1)))
    assert errors["business_name"] == ["Indica la razón social de la persona jurídica."]
    assert "no tiene nombres, apellidos ni fecha de nacimiento" in errors["first_names"][0]
    assert "birth_date" in errors and "last_names" not in errors


def test_a_person_still_needs_names_and_a_birth_date(db):
    person = Member(
        member_number="300902",
        id_type=Member.IdType.CEDULA,
        id_number="1714307103",
        business_name="Tienda Rosita",
        email="rosita@example.com",
        mobile_phone="+593992000222",
        address="Quito",
    )
    errors = errors_of(person)
    assert set(errors) == {"first_names", "last_names", "birth_date", "business_name"}
    assert errors["first_names"] == ["Este campo es obligatorio para una persona natural."]
    assert errors["business_name"] == ["Una persona natural no tiene razón social."]


def test_a_person_does_not_take_a_companys_ruc(db):
    person = MemberFactory.build(
        user=None, id_type=Member.IdType.RUC, id_number="1792456134001", member_number="300903"
    )
    assert "persona jurídica" in errors_of(person)["id_number"][0]
    person.id_number = "1714307103001"  # her own RUC: her cédula and an establishment
    person.full_clean()


def test_a_member_who_signs_in_cannot_become_a_company(member):
    member.kind = Member.Kind.LEGAL
    member.id_type, member.id_number = Member.IdType.RUC, "1792456134001"
    member.business_name, member.first_names, member.last_names = "Pérez S.A.", "", ""
    member.birth_date = None
    assert errors_of(member) == {"kind": [CompanyHasNoPortalUser.message]}


@pytest.mark.parametrize(
    "change",
    [
        {"id_type": Member.IdType.CEDULA},
        {"business_name": ""},
        {"user_id": "new user"},
    ],
)
def test_the_database_refuses_a_company_out_of_the_rules(db, change):
    andina = CompanyFactory()
    if change.get("user_id") == "new user":
        change = {"user_id": UserFactory().pk}
    with pytest.raises(IntegrityError), transaction.atomic():
        Member.objects.filter(pk=andina.pk).update(**change)


# --- Never a member user ---------------------------------------------------------------


def test_staff_cannot_issue_member_credentials_to_a_company(db):
    andina = CompanyFactory()
    with pytest.raises(CompanyHasNoPortalUser):
        member_issue_credentials(member=andina, actor=None, reason="Solicitud")
    andina.refresh_from_db()
    assert andina.user is None and not AuditEvent.objects.exists()


def test_a_company_cannot_enroll_in_the_member_portal(db):
    andina = CompanyFactory()
    found = enrollment_find(id_number=andina.id_number)
    assert not found.ok and found.problem == COMPANY_PROBLEM
    with pytest.raises(CompanyHasNoPortalUser):
        enrollment_user(member=andina)


def test_a_company_that_tries_to_enroll_sees_a_strangers_steps_and_hears_why_on_its_phone(
    client, db
):
    from tests.accounts.test_enrollment import walk

    andina = CompanyFactory(mobile_phone="+593992000333")
    walk(client, {"id_number": andina.id_number})
    page = client.get("/registro/verificacion/").content.decode()
    assert "Factor de seguridad" in page
    told = LocmemSmsBackend.outbox[-1]
    assert told.to == "+593992000333" and "Web Empresas" in told.body
    assert "código" not in told.body
    response = client.post("/registro/verificacion/", {"answer": "123456"})
    assert "Te quedan 2 intentos" in response.content.decode()
    assert not User.objects.filter(member=andina).exists()


# --- The admin -------------------------------------------------------------------------


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


def admin_form(**changes) -> dict:
    return {
        **ANDINA,
        "first_names": "",
        "last_names": "",
        "birth_date": "",
        **changes,
    }


def test_staff_create_a_company_in_the_admin(staff_client):
    response = staff_client.post("/admin/accounts/member/add/", admin_form())
    assert response.status_code == 302, response.content.decode()
    andina = Member.objects.get(member_number="300901")
    assert andina.is_company and andina.business_name == "Comercial Andina S.A."
    assert andina.user is None


def test_the_admin_explains_a_company_without_a_ruc(staff_client):
    response = staff_client.post(
        "/admin/accounts/member/add/",
        admin_form(id_type=Member.IdType.CEDULA, id_number="1714307103"),
    )
    assert "Una persona jurídica se identifica con su RUC." in response.content.decode()
    assert not Member.objects.filter(member_number="300901").exists()


def test_staff_edit_a_companys_business_name(staff_client):
    andina = CompanyFactory(business_name="Comercial Andina")
    response = staff_client.post(
        f"/admin/accounts/member/{andina.pk}/change/",
        admin_form(
            member_number=andina.member_number,
            id_number=andina.id_number,
            business_name="Comercial Andina S.A.",
        ),
    )
    assert response.status_code == 302, response.content.decode()
    andina.refresh_from_db()
    assert andina.business_name == "Comercial Andina S.A."


def test_staff_find_a_company_by_ruc_or_business_name_and_filter_by_kind(staff_client, member):
    CompanyFactory(business_name="Comercial Andina S.A.", id_number="1792456134001")
    CompanyFactory(business_name="Ferretería Los Andes", id_number="1793017827001")
    by_ruc = staff_client.get("/admin/accounts/member/", {"q": "1792456134001"})
    assert "Comercial Andina S.A." in by_ruc.content.decode()
    assert "Ferretería Los Andes" not in by_ruc.content.decode()
    by_name = staff_client.get("/admin/accounts/member/", {"q": "andina"}).content.decode()
    assert "Comercial Andina S.A." in by_name and "Persona jurídica" in by_name
    companies = staff_client.get("/admin/accounts/member/", {"kind__exact": "legal"})
    page = companies.content.decode()
    assert "Ferretería Los Andes" in page and "Pérez Andrade" not in page
    people = staff_client.get("/admin/accounts/member/", {"kind__exact": "natural"})
    assert "María Fernanda Pérez Andrade" in people.content.decode()


def test_the_access_actions_refuse_a_company_and_go_on_with_the_others(staff_client, db):
    andina = CompanyFactory(business_name="Comercial Andina S.A.")
    person = MemberFactory(user=None, email="ana.mora@example.com")
    response = staff_client.post(
        "/admin/accounts/member/",
        {
            "action": "issue_credentials",
            "_selected_action": [andina.pk, person.pk],
            "reason": "Solicitud presencial",
        },
        follow=True,
    )
    page = response.content.decode()
    assert "Comercial Andina S.A." in page and "quienes actúan por ella ingresan" in page
    assert "1 socio(s)" in page
    andina.refresh_from_db()
    person.refresh_from_db()
    assert andina.user is None and person.user is not None

""" "Regístrate": identification → legal texts → code → credentials (or branch approval)."""

from django.core import mail

from accounts.models import Enrollment, TermsAcceptance, User
from core.models import Cooperative
from core.notifications import LocmemSmsBackend
from core.profile import cooperative_activate
from ledger.books import books_open
from products.catalog import product_types_load
from products.models import ProductType
from products.services import deposit_account_open
from tests.auth import last_code
from tests.factories import MemberFactory


def switch_profile(cooperative, slug):
    cooperative_activate(cooperative=Cooperative.objects.get(slug=slug))


def walk(client, identification: dict):
    client.post("/registro/", identification)
    first = client.get("/registro/documento/0/")
    client.post("/registro/documento/0/", {"accept": "on"})
    second = client.get("/registro/documento/1/")
    client.post("/registro/documento/1/", {"accept": "on"})
    return first, second


def sent() -> int:
    return len(LocmemSmsBackend.outbox) + len(mail.outbox)


def test_a_member_enrolls_and_receives_temporary_credentials(client, new_member):
    first, second = walk(client, {"id_number": new_member.id_number})
    assert "Términos y Condiciones de Canales Digitales" in first.content.decode()
    assert "Autorización para el Tratamiento de Datos Personales" in second.content.decode()
    assert LocmemSmsBackend.outbox[-1].to == "+593987000111"
    done = client.post("/registro/verificacion/", {"answer": last_code()})
    assert "te enviamos tu usuario y contraseña temporal" in done.content.decode()
    new_member.refresh_from_db()
    user = new_member.user
    assert user.is_active and user.must_personalize
    body = mail.outbox[-1].body
    assert f"Tu usuario temporal para Cooprogreso en Línea es: {user.username}" in body
    accepted = TermsAcceptance.objects.filter(member=new_member).select_related("document")
    assert {(a.document.kind, a.document.version) for a in accepted} == {
        ("terms", "1"),
        ("data", "1"),
    }
    assert all(a.ip == "127.0.0.1" for a in accepted)
    password = body.split("Tu contraseña temporal es: ")[1].split()[0]
    client.post("/ingresar/", {"username": user.username})
    assert (
        client.post("/ingresar/clave/", {"password": password})["Location"]
        == "/ingresar/personalizar/"
    )


def test_the_legal_texts_must_be_accepted(client, new_member):
    client.post("/registro/", {"id_number": new_member.id_number})
    response = client.post("/registro/documento/0/", {})
    assert "Debes aceptar para continuar." in response.content.decode()
    assert client.get("/registro/documento/1/")["Location"] == "/registro/"


def test_an_unknown_identification_sees_the_same_steps_and_nothing_is_sent(client, new_member):
    before = sent()
    first, second = walk(client, {"id_number": "1909538934"})
    assert first.status_code == second.status_code == 200
    page = client.get("/registro/verificacion/").content.decode()
    assert "Factor de seguridad" in page
    assert sent() == before
    response = client.post("/registro/verificacion/", {"answer": "123456"})
    assert "Te quedan 2 intentos" in response.content.decode()


def test_a_member_without_products_learns_why_on_their_own_phone(client, db):
    member = MemberFactory(
        user=None, first_names="Luis", last_names="Páez", mobile_phone="+593987000222"
    )
    walk(client, {"id_number": member.id_number})
    assert LocmemSmsBackend.outbox[-1].to == "+593987000222"
    assert "necesitas tener un producto activo" in LocmemSmsBackend.outbox[-1].body
    assert "código" not in LocmemSmsBackend.outbox[-1].body
    assert User.objects.filter(member=member).count() == 0


def test_enrolling_asks_what_the_apps_above_identity_require(new_member, monkeypatch):
    """Identity imports no app above it: products' rule (an active product) and any other
    app's come from the requirements they register."""
    from accounts import enrollment

    assert enrollment.enrollment_find(id_number=new_member.id_number).ok
    monkeypatch.setattr(enrollment, "_requirements", [*enrollment._requirements])
    enrollment.enrollment_requirement_register(
        lambda member: "necesitas firmar el contrato de banca empresas"
    )
    found = enrollment.enrollment_find(id_number=new_member.id_number)
    assert found.problem == "necesitas firmar el contrato de banca empresas"


def test_a_member_who_already_signs_in_is_told_to_recover_instead(client, member, password):
    from tests.auth import sign_in

    sign_in(client, "mariaperez", password)
    client.post("/salir/")
    books_open(currency="USD")
    product_types_load(cooperative_slug="cooprogreso")
    deposit_account_open(member=member, product_type=ProductType.objects.get(code="AHO"))
    walk(client, {"id_number": member.id_number})
    assert "ya tienes un usuario" in LocmemSmsBackend.outbox[-1].body


def test_the_bolivian_profile_leaves_the_request_for_a_branch_to_approve(
    client, new_member, cooperative, staff_user
):
    switch_profile(cooperative, "progreso-bo")
    product_types_load(cooperative_slug="progreso-bo")
    walk(client, {"id_number": new_member.id_number})
    done = client.post("/registro/verificacion/", {"answer": last_code()})
    assert "El registro efectuado está en proceso de aprobación" in done.content.decode()
    enrollment = Enrollment.objects.get(member=new_member)
    assert enrollment.status == Enrollment.Status.PENDING
    new_member.refresh_from_db()
    assert not new_member.user.is_active
    # A branch employee approves it in the admin, with a reason.
    client.force_login(staff_user)
    client.post(
        "/admin/accounts/enrollment/",
        {"action": "approve", "_selected_action": [enrollment.pk], "reason": "Firmó el formulario"},
    )
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.decided_by) == (Enrollment.Status.APPROVED, staff_user)
    assert "credenciales temporales" in mail.outbox[-1].subject


def test_the_panamanian_profile_registers_by_member_number_and_birth_date(
    client, new_member, cooperative
):
    switch_profile(cooperative, "cooprofesionales-pa")
    form = client.get("/registro/").content.decode()
    assert "Número de asociado" in form and "Fecha de Nacimiento" in form
    wrong = {
        "member_number": "500123",
        "birth_date": "1990-01-01",
        "id_number": new_member.id_number,
    }
    before = sent()
    walk(client, wrong)
    assert sent() == before  # a wrong birth date is unknown data: nothing sent
    right = {
        "member_number": "500123",
        "birth_date": new_member.birth_date.isoformat(),
        "id_number": new_member.id_number,
    }
    first, _ = walk(client, right)
    assert "Firmar Contrato" in first.content.decode()
    done = client.post("/registro/verificacion/", {"answer": last_code()})
    assert "proceso de aprobación" in done.content.decode()


def test_the_steps_cannot_be_skipped(client, db):
    assert client.get("/registro/verificacion/")["Location"] == "/registro/"
    assert client.get("/registro/documento/0/")["Location"] == "/registro/"


def test_the_sign_in_page_offers_registration(client, db):
    assert "Regístrate aquí" in client.get("/ingresar/").content.decode()


def test_the_profile_shows_the_accepted_texts(client, new_member):
    walk(client, {"id_number": new_member.id_number})
    client.post("/registro/verificacion/", {"answer": last_code()})
    new_member.refresh_from_db()
    client.force_login(new_member.user)
    html = client.get("/perfil/terminos/").content.decode()
    assert "Términos y Condiciones de Canales Digitales" in html and "Versión 1" in html

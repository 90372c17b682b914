"""Branch staff: temporary credentials, unlock, block — each with a recorded reason."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import AuditEvent, User
from accounts.services import member_issue_credentials
from tests.auth import sign_in
from tests.factories import MemberFactory, UserFactory


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


def run_action(staff_client, member, action, reason="Solicitud presencial con cédula"):
    changelist = "/admin/accounts/member/"
    asked = staff_client.post(changelist, {"action": action, "_selected_action": [member.pk]})
    assert "Motivo" in asked.content.decode()
    return staff_client.post(
        changelist,
        {"action": action, "_selected_action": [member.pk], "reason": reason},
        follow=True,
    )


def test_staff_enable_web_access_and_the_member_receives_temporary_credentials(
    staff_client, staff_user, db
):
    member = MemberFactory(
        user=None, first_names="Ana Lucía", last_names="Mora Vera", email="nuevo.socio@example.com"
    )
    run_action(staff_client, member, "issue_credentials")
    member.refresh_from_db()
    user = member.user
    assert user.must_personalize and user.credentials_expire_at > timezone.now()
    body = mail.outbox[-1].body
    assert f"Tu usuario temporal para Cooprogreso en Línea es: {user.username}" in body
    password = body.split("Tu contraseña temporal es: ")[1].split()[0]
    assert password not in str(User.objects.filter(pk=user.pk).values().get())
    event = AuditEvent.objects.get(event="staff_action", user=user)
    assert (event.actor, event.data["reason"]) == (staff_user, "Solicitud presencial con cédula")
    from tests.conftest import CommittingClient

    member_client = CommittingClient()
    member_client.post("/ingresar/", {"username": user.username})
    response = member_client.post("/ingresar/clave/", {"password": password})
    assert response["Location"] == "/ingresar/personalizar/"


def test_an_action_without_a_reason_does_nothing(staff_client, member):
    staff_client.post(
        "/admin/accounts/member/",
        {"action": "block", "_selected_action": [member.pk], "reason": ""},
    )
    assert User.objects.get(pk=member.user.pk).is_active


def test_staff_block_and_activate(staff_client, member, password):
    from tests.conftest import CommittingClient

    run_action(staff_client, member, "block")
    assert (
        "Usuario o contraseña incorrectos"
        in sign_in(CommittingClient(), "mariaperez", password).content.decode()
    )
    run_action(staff_client, member, "activate")
    assert (
        sign_in(CommittingClient(), "mariaperez", password).redirect_chain[-1][0]
        == "/posicion-consolidada/"
    )


def test_staff_unlock(staff_client, member):
    User.objects.filter(pk=member.user.pk).update(locked_at=timezone.now(), failed_login_count=3)
    run_action(staff_client, member, "unlock")
    assert not User.objects.get(pk=member.user.pk).is_locked


def test_staff_sign_in_to_the_admin_with_the_factor_de_seguridad(client, db):
    staff = UserFactory(username="agencia99", is_staff=True, is_superuser=True)
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0] == "/ingresar/?next=/admin/"
    client.post("/ingresar/?next=/admin/", {"username": "agencia99"})
    client.post("/ingresar/clave/", {"password": "Clave#Segura26"})
    client.post("/ingresar/dispositivo/", {"save": "no"})
    from tests.auth import last_code

    done = client.post("/ingresar/verificacion/", {"answer": last_code()})
    assert done["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    assert staff.email in mail.outbox[-1].to


def test_staff_lock_after_ten_failures_for_thirty_minutes(client, db):
    import time_machine

    staff = UserFactory(username="agencia98", is_staff=True)
    for _ in range(9):
        sign_in(client, "agencia98", "Mala#Clave123")
    assert not User.objects.get(pk=staff.pk).is_locked
    sign_in(client, "agencia98", "Mala#Clave123")
    assert User.objects.get(pk=staff.pk).is_locked
    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        assert (
            sign_in(client, "agencia98", "Clave#Segura26").redirect_chain[-1][0]
            == "/posicion-consolidada/"
        )


def test_reissuing_credentials_keeps_one_user_per_member(member, staff_user):
    member_issue_credentials(member=member, actor=staff_user, reason="Olvidó todo")
    member_issue_credentials(member=member, actor=staff_user, reason="Otra vez")
    assert User.objects.filter(member=member).count() == 1

"""Blocking, deactivating, locking and a new password end every server session of the
user: the rows are gone, and an old cookie stays signed out even after "Activar"."""

import pytest
from django.contrib.auth.hashers import make_password

from accounts import challenges
from accounts.exceptions import SecretsLocked, WrongAnswer
from accounts.models import Session, User
from accounts.services import member_issue_credentials
from core.models import Cooperative
from core.profile import cooperative_activate
from tests.accounts.test_staff import run_action
from tests.auth import last_code, op_id, sign_in
from tests.conftest import CommittingClient

HOME = "/posicion-consolidada/"


def signed_in(username, password) -> CommittingClient:
    browser = CommittingClient()
    sign_in(browser, username, password)
    assert browser.get(HOME).status_code == 200
    return browser


def sessions_of(user) -> int:
    return Session.objects.filter(user_id=user.pk).count()


@pytest.fixture
def staff_client(staff_user):
    browser = CommittingClient()
    browser.force_login(staff_user)
    return browser


def test_a_session_row_names_its_user_only_once_signed_in(client, member, password):
    client.post("/ingresar/", {"username": "mariaperez"})
    assert Session.objects.get().user is None  # the steps before the code: nobody's yet
    sign_in(client, "mariaperez", password)
    assert Session.objects.get().user == member.user


def test_blocking_ends_the_members_sessions_and_activating_does_not_revive_them(
    staff_client, member, password
):
    phone, laptop = signed_in("mariaperez", password), signed_in("mariaperez", password)
    assert sessions_of(member.user) == 2
    run_action(staff_client, member, "block")
    assert sessions_of(member.user) == 0
    run_action(staff_client, member, "activate")
    for browser in (phone, laptop):
        assert browser.get(HOME)["Location"].startswith("/ingresar/")
    assert staff_client.get("/admin/").status_code == 200  # the staff's own session stays


def test_deactivating_in_the_users_admin_form_ends_the_sessions(staff_client, member, password):
    browser = signed_in("mariaperez", password)
    user = member.user
    response = staff_client.post(
        f"/admin/accounts/user/{user.pk}/change/",
        {
            "username": user.username,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "email": user.email,
            "security_image": user.security_image_id or "",
            "security_image_name": user.security_image_name,
            # is_active left unchecked
        },
    )
    assert response.status_code == 302, response.content.decode()
    assert not User.objects.get(pk=user.pk).is_active
    assert sessions_of(user) == 0
    User.objects.filter(pk=user.pk).update(is_active=True)
    assert browser.get(HOME).status_code == 302


def test_a_password_set_in_the_admin_ends_the_sessions(member, password):
    browser = signed_in("mariaperez", password)
    user = User.objects.get(pk=member.user.pk)
    user.set_password("Otra#Clave2027")
    user.save()
    assert sessions_of(user) == 0
    assert browser.get(HOME).status_code == 302


def test_three_wrong_passwords_lock_the_user_and_end_the_sessions(member, password):
    browser = signed_in("mariaperez", password)
    intruder = CommittingClient()
    for _ in range(3):
        intruder.post("/ingresar/", {"username": "mariaperez"})
        intruder.post("/ingresar/clave/", {"password": "Incorrecta#1"})
    assert User.objects.get(pk=member.user.pk).is_locked
    assert sessions_of(member.user) == 0
    User.objects.filter(pk=member.user.pk).update(locked_at=None, failed_login_count=0)
    assert browser.get(HOME).status_code == 302


def test_three_wrong_pins_lock_the_user_and_end_the_sessions(member, password, cooperative):
    cooperative_activate(cooperative=Cooperative.objects.get(slug="progreso-bo"))
    User.objects.filter(pk=member.user.pk).update(transaction_pin=make_password("4826"))
    browser = signed_in("mariaperez", password)
    refusals = []
    for _ in range(3):
        challenge = challenges.challenge_start(user=member.user, purpose="transfer", payload={})
        try:
            challenges.challenge_verify(
                user=member.user,
                public_id=challenge.public_id,
                purpose="transfer",
                payload={},
                answer="0000",
            )
        except (WrongAnswer, SecretsLocked) as exc:
            refusals.append(type(exc))
    assert refusals[-1] is SecretsLocked
    assert sessions_of(member.user) == 0
    assert browser.get(HOME).status_code == 302


def test_changing_the_password_keeps_this_session_rotated_and_ends_the_others(member, password):
    me, other = signed_in("mariaperez", password), signed_in("mariaperez", password)
    before = me.session.session_key
    step = me.post(
        "/perfil/contrasena/",
        {"step": "form", "current": password, "new": "Nueva#Clave26", "confirm": "Nueva#Clave26"},
    )
    me.post("/perfil/contrasena/", {"step": "confirm", "op": op_id(step), "answer": last_code()})
    kept = Session.objects.get(user_id=member.user.pk)
    assert kept.session_key == me.session.session_key != before
    assert me.get(HOME).status_code == 200
    assert other.get(HOME).status_code == 302


def test_a_forgotten_password_reset_ends_every_session(client, member, password):
    from accounts.models import SecurityImage

    browser = signed_in("mariaperez", password)
    client.post(
        "/ingresar/olvide-contrasena/", {"id_number": member.id_number, "username": "mariaperez"}
    )
    client.post(
        "/ingresar/recuperar/imagen/", {"image": SecurityImage.objects.get(slug="estrella").pk}
    )
    client.post("/ingresar/recuperar/verificacion/", {"answer": last_code()})
    client.post(
        "/ingresar/recuperar/nueva-contrasena/",
        {"new": "Otra#Clave2027", "confirm": "Otra#Clave2027"},
    )
    assert User.objects.get(pk=member.user.pk).check_password("Otra#Clave2027")
    assert sessions_of(member.user) == 0
    assert browser.get(HOME).status_code == 302


def test_temporary_credentials_end_every_session(member, password, staff_user):
    browser = signed_in("mariaperez", password)
    member_issue_credentials(member=member, actor=staff_user, reason="Olvidó su clave")
    assert sessions_of(member.user) == 0
    assert browser.get(HOME).status_code == 302


def test_ending_a_users_sessions_leaves_other_users_alone(member, other_member, password):
    from accounts.sessions import user_sessions_end

    mine = signed_in("mariaperez", password)
    theirs = signed_in("gabrielsilva", password)
    assert user_sessions_end(user=member.user) == 1
    assert mine.get(HOME).status_code == 302
    assert theirs.get(HOME).status_code == 200


def test_a_signed_in_request_reads_its_session_user_and_member_in_one_query(member_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    member_client.get(HOME)  # the first request also saves the session
    with CaptureQueriesContext(connection) as captured:
        assert member_client.get(HOME).status_code == 200
    reads = [q["sql"] for q in captured if "accounts_session" in q["sql"]]
    assert len(reads) == 1 and "accounts_user" in reads[0] and "accounts_member" in reads[0]
    assert not [q["sql"] for q in captured if q["sql"].startswith('SELECT "accounts_')]


def test_a_deactivated_or_locked_users_session_signs_nobody_in(member_client, member):
    from django.utils import timezone

    assert member_client.get(HOME).status_code == 200
    User.objects.filter(pk=member.user.pk).update(locked_at=timezone.now())
    assert member_client.get(HOME).status_code == 200  # locking alone: sessions end elsewhere
    User.objects.filter(pk=member.user.pk).update(is_active=False)
    assert member_client.get(HOME)["Location"].startswith("/ingresar/")


def test_a_session_whose_password_hash_changed_is_flushed(member_client, member):
    assert member_client.get(HOME).status_code == 200
    User.objects.filter(pk=member.user.pk).update(password=make_password("Otra-clave-2026"))
    assert member_client.get(HOME)["Location"].startswith("/ingresar/")
    assert member_client.get(HOME)["Location"].startswith("/ingresar/")


def test_a_staff_users_session_has_no_member(staff_client):
    assert staff_client.get("/admin/").status_code == 200
    assert staff_client.get(HOME).status_code == 200  # the position of nobody: empty
    assert staff_client.get("/transferencias/").status_code == 404  # no owner to act for

"""Regressions for what a security review of the identity code found."""

import pytest
from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction

from accounts.models import User
from core.models import Cooperative
from core.profile import cooperative_activate
from tests.accounts.test_enrollment import walk
from tests.auth import last_code
from tests.factories import UserFactory


def test_a_member_blocked_by_a_branch_cannot_reactivate_by_enrolling(
    client, new_member, staff_user
):
    from accounts.services import member_issue_credentials, user_set_active

    user = member_issue_credentials(member=new_member, actor=staff_user, reason="alta")
    user_set_active(user=user, active=False, actor=staff_user, reason="fraude")
    walk(client, {"id_number": new_member.id_number})
    from core.notifications import LocmemSmsBackend

    assert "acércate a una agencia" in LocmemSmsBackend.outbox[-1].body
    assert not User.objects.get(pk=user.pk).is_active


def test_unknown_usernames_get_an_image_name_in_the_panamanian_profile(client, member, cooperative):
    cooperative_activate(cooperative=Cooperative.objects.get(slug="cooprofesionales-pa"))
    client.post("/ingresar/", {"username": "nadie12345"})
    html = client.get("/ingresar/clave/").content.decode()
    assert "<strong>nadie12345</strong> · " in html


def test_the_theme_setting_does_not_redirect_off_site(me):
    response = me.post("/perfil/tema/", {"theme": "dark", "next": "https://evil.example/phish"})
    assert response["Location"] == "/perfil/"


def test_the_client_address_comes_from_the_trusted_proxy(client, member, settings):
    from django.test import RequestFactory

    from cooprogreso.middleware import ClientAddressMiddleware

    settings.TRUSTED_PROXY_HOPS = 1
    seen = {}
    middleware = ClientAddressMiddleware(
        lambda request: seen.setdefault("ip", request.META["REMOTE_ADDR"])
    )
    middleware(
        RequestFactory().get(
            "/", HTTP_X_FORWARDED_FOR="6.6.6.6, 181.39.1.2", REMOTE_ADDR="127.0.0.1"
        )
    )
    assert seen["ip"] == "181.39.1.2"


def test_usernames_are_unique_ignoring_case(db):
    UserFactory(username="mariaperez")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="MariaPerez", password=make_password(None))


def test_current_password_guesses_are_limited(me):
    for _ in range(5):
        me.post(
            "/perfil/contrasena/",
            {
                "step": "form",
                "current": "Mala#Clave12",
                "new": "Nueva#Clave26",
                "confirm": "Nueva#Clave26",
            },
        )
    response = me.post(
        "/perfil/contrasena/",
        {
            "step": "form",
            "current": "Mala#Clave12",
            "new": "Nueva#Clave26",
            "confirm": "Nueva#Clave26",
        },
    )
    assert "Demasiados intentos" in response.content.decode()


def test_the_third_wrong_code_in_the_dialog_returns_to_the_form_with_a_message(me):
    from tests.auth import op_id

    step = me.post("/perfil/usuario/", {"step": "form", "username": "mariafer26"})
    for _ in range(2):
        me.post("/perfil/usuario/", {"step": "confirm", "op": op_id(step), "answer": "000000"})
    third = me.post("/perfil/usuario/", {"step": "confirm", "op": op_id(step), "answer": "000000"})
    assert third.status_code == 200
    assert "Superaste el número de intentos" in third.content.decode()


def test_password_hashes_waiting_for_a_code_are_encrypted_in_the_session(me, password):
    me.post(
        "/perfil/contrasena/",
        {"step": "form", "current": password, "new": "Nueva#Clave26", "confirm": "Nueva#Clave26"},
    )
    from accounts.models import Operation

    stored = str(me.session.items()) + str(list(Operation.objects.values()))
    assert "argon2" not in stored
    assert last_code()

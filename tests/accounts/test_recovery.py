"""Credential support: forgot username, unlock, forgot password — never enumerating."""

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import AuditEvent, SecurityImage, User
from core.models import Cooperative
from core.notifications import LocmemSmsBackend
from core.profile import cooperative_activate
from tests.auth import last_code, sign_in


@pytest.fixture
def locked_member(member):
    User.objects.filter(pk=member.user.pk).update(locked_at=timezone.now(), failed_login_count=3)
    return member


def sent_anything() -> int:
    return len(LocmemSmsBackend.outbox) + len(mail.outbox)


# --- Olvidé mi usuario ----------------------------------------------------------------


def test_forgot_username_emails_it_after_the_code(client, member):
    client.post("/ingresar/olvide-usuario/", {"id_number": member.id_number})
    response = client.post(
        "/ingresar/recuperar/verificacion/", {"answer": last_code()}, follow=True
    )
    assert "Te enviamos tu usuario a tu correo electrónico registrado." in response.content.decode()
    assert mail.outbox[-1].body.endswith(": mariaperez")


def test_forgot_username_for_an_unknown_id_looks_the_same_and_sends_nothing(client, member):
    known = client.post("/ingresar/olvide-usuario/", {"id_number": member.id_number}, follow=True)
    sent = sent_anything()
    unknown = client.post("/ingresar/olvide-usuario/", {"id_number": "1909538934"}, follow=True)
    assert sent_anything() == sent
    assert (
        known.redirect_chain[-1][0]
        == unknown.redirect_chain[-1][0]
        == "/ingresar/recuperar/verificacion/"
    )
    assert "Factor de seguridad" in unknown.content.decode()
    wrong = client.post("/ingresar/recuperar/verificacion/", {"answer": "123456"})
    assert "El código ingresado es incorrecto. Te quedan 2 intentos." in wrong.content.decode()


# --- Desbloquear tu usuario --------------------------------------------------------------


def test_unlock_says_when_the_user_is_not_locked_only_after_the_code(client, member):
    first = client.post(
        "/ingresar/desbloquear/", {"id_number": member.id_number, "username": "mariaperez"}
    )
    assert first["Location"] == "/ingresar/recuperar/verificacion/"  # as for anybody
    done = client.post("/ingresar/recuperar/verificacion/", {"answer": last_code()}, follow=True)
    assert "Su usuario no se encuentra bloqueado." in done.content.decode()


def test_known_and_unknown_data_get_identical_code_steps(client, member):
    import re

    def code_page(id_number, username):
        client.post("/ingresar/desbloquear/", {"id_number": id_number, "username": username})
        page = client.get("/ingresar/recuperar/verificacion/").content.decode()
        too_soon = client.post("/ingresar/recuperar/reenviar/", follow=True).content.decode()
        strip = lambda html: re.sub(  # noqa: E731 - per-request tokens differ by design
            r'value="[^"]+"|nonce="[^"]+"|"X-CSRFToken": "[^"]+"|data-countdown="\d+"|data-countdown-value>[^<]*',
            "",
            html,
        )
        return strip(page), "Espera unos segundos" in too_soon

    known = code_page(member.id_number, "mariaperez")
    unknown = code_page("1909538934", "nadie12345")
    assert known == unknown
    assert "4567" not in known[0]


def test_unlock_with_the_code_lets_the_member_in_again(client, locked_member, password):
    client.post(
        "/ingresar/desbloquear/", {"id_number": locked_member.id_number, "username": "mariaperez"}
    )
    done = client.post("/ingresar/recuperar/verificacion/", {"answer": last_code()}, follow=True)
    assert "Tu usuario fue desbloqueado" in done.content.decode()
    locked_member.user.refresh_from_db()
    assert not locked_member.user.is_locked
    assert AuditEvent.objects.filter(event="unlocked", user=locked_member.user).exists()
    assert sign_in(client, "mariaperez", password).redirect_chain[-1][0] == "/posicion-consolidada/"


def test_unlock_with_a_mismatched_username_goes_to_a_decoy(client, locked_member):
    sent = sent_anything()
    response = client.post(
        "/ingresar/desbloquear/",
        {"id_number": locked_member.id_number, "username": "otrousuario1"},
        follow=True,
    )
    assert "Factor de seguridad" in response.content.decode()
    assert sent_anything() == sent
    for _ in range(2):
        client.post("/ingresar/recuperar/verificacion/", {"answer": "000000"})
    ended = client.post("/ingresar/recuperar/verificacion/", {"answer": "000000"}, follow=True)
    assert "Superaste el número de intentos" in ended.content.decode()


def test_the_bolivian_profile_unlocks_at_the_branch(client, locked_member, cooperative):
    cooperative_activate(cooperative=Cooperative.objects.get(slug="progreso-bo"))
    response = client.get("/ingresar/desbloquear/")
    assert "acércate a una de nuestras oficinas" in response.content.decode()
    client.post(
        "/ingresar/desbloquear/", {"id_number": locked_member.id_number, "username": "mariaperez"}
    )
    locked_member.user.refresh_from_db()
    assert locked_member.user.is_locked


# --- Olvidé mi contraseña --------------------------------------------------------------


def test_forgot_password_asks_the_image_then_the_code_then_a_new_password(client, locked_member):
    client.post(
        "/ingresar/olvide-contrasena/",
        {"id_number": locked_member.id_number, "username": "mariaperez"},
    )
    page = client.get("/ingresar/recuperar/imagen/").content.decode()
    assert "Billete" in page and "Delfín" in page
    client.post(
        "/ingresar/recuperar/imagen/", {"image": SecurityImage.objects.get(slug="estrella").pk}
    )
    client.post("/ingresar/recuperar/verificacion/", {"answer": last_code()})
    same_as_before = client.post(
        "/ingresar/recuperar/nueva-contrasena/",
        {"new": "Clave#Segura26", "confirm": "Clave#Segura26"},
    )
    assert "No puedes repetir" in same_as_before.content.decode()
    done = client.post(
        "/ingresar/recuperar/nueva-contrasena/",
        {"new": "Otra#Clave2027", "confirm": "Otra#Clave2027"},
        follow=True,
    )
    assert "Se ha cambiado la contraseña correctamente." in done.content.decode()
    assert "contraseña de tu usuario fue actualizada" in mail.outbox[-1].body
    assert (
        sign_in(client, "mariaperez", "Otra#Clave2027").redirect_chain[-1][0]
        == "/posicion-consolidada/"
    )


def test_the_wrong_image_leads_to_a_decoy_that_sends_nothing(client, member):
    client.post(
        "/ingresar/olvide-contrasena/", {"id_number": member.id_number, "username": "mariaperez"}
    )
    sent = sent_anything()
    response = client.post(
        "/ingresar/recuperar/imagen/",
        {"image": SecurityImage.objects.get(slug="billete").pk},
        follow=True,
    )
    assert "Factor de seguridad" in response.content.decode()
    assert sent_anything() == sent
    assert (
        client.get("/ingresar/recuperar/nueva-contrasena/")["Location"]
        == "/ingresar/olvide-contrasena/"
    )


def test_a_new_password_ends_the_other_sessions(client, member, password):
    from tests.conftest import CommittingClient

    other = CommittingClient()
    sign_in(other, "mariaperez", password)
    assert other.get("/posicion-consolidada/").status_code == 200
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
    assert other.get("/posicion-consolidada/").status_code == 302


def test_the_new_password_step_cannot_be_reached_without_the_code(client, member):
    client.post(
        "/ingresar/olvide-contrasena/", {"id_number": member.id_number, "username": "mariaperez"}
    )
    client.post(
        "/ingresar/recuperar/imagen/", {"image": SecurityImage.objects.get(slug="estrella").pk}
    )
    response = client.post(
        "/ingresar/recuperar/nueva-contrasena/",
        {"new": "Otra#Clave2027", "confirm": "Otra#Clave2027"},
    )
    assert response.status_code == 302
    assert not User.objects.get(pk=member.user.pk).check_password("Otra#Clave2027")


def test_recovery_is_rate_limited_per_identification(client, member):
    for _ in range(5):
        client.post("/ingresar/olvide-usuario/", {"id_number": member.id_number})
    assert (
        client.post("/ingresar/olvide-usuario/", {"id_number": member.id_number}).status_code == 429
    )


def test_the_sign_in_page_links_to_credential_support(client, db):
    html = client.get("/ingresar/").content.decode()
    for text in ("Olvidé mi usuario", "Desbloquear tu usuario", "Olvidé mi contraseña"):
        assert text in html

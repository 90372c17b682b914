"""Every state change is a POST that needs the CSRF token; every GET changes nothing."""

import pytest
from django.test import Client
from django.urls import get_resolver

from tests.auth import last_code, sign_in

POSTS = [
    "/ingresar/",
    "/ingresar/clave/",
    "/ingresar/dispositivo/",
    "/ingresar/verificacion/",
    "/ingresar/verificacion/reenviar/",
    "/ingresar/cancelar/",
    "/ingresar/personalizar/",
    "/ingresar/olvide-usuario/",
    "/ingresar/desbloquear/",
    "/ingresar/olvide-contrasena/",
    "/ingresar/recuperar/verificacion/",
    "/ingresar/recuperar/nueva-contrasena/",
    "/ingresar/passkey/opciones/",
    "/ingresar/passkey/",
    "/registro/",
    "/registro/verificacion/",
    "/salir/",
    "/sesion/extender/",
    "/perfil/contrasena/",
    "/perfil/usuario/",
    "/perfil/pin/",
    "/perfil/preguntas/",
    "/perfil/imagen/",
    "/perfil/datos/",
    "/perfil/autenticador/",
    "/perfil/notificaciones/",
    "/perfil/tema/",
    "/perfil/soporte/reclamo/",
    "/perfil/passkeys/nueva/",
    "/perfil/passkeys/opciones/",
    "/perfil/passkeys/registrar/",
]


def test_the_list_covers_every_accounts_url(db):
    patterns = get_resolver().url_patterns
    accounts = next(p for p in patterns if getattr(p, "namespace", None) == "accounts")
    routes = {str(p.pattern) for p in accounts.url_patterns}
    covered = {path.lstrip("/") for path in POSTS}
    read_only = {
        "perfil/",
        "perfil/dispositivos/",
        "perfil/actividad/",
        "perfil/soporte/",
        "perfil/terminos/",
        "perfil/passkeys/",
        "preguntas-frecuentes/",
        "ingresar/recuperar/imagen/",
        "registro/documento/<int:index>/",
        "registro/verificacion/reenviar/",
        "ingresar/personalizar/reenviar/",
        "ingresar/recuperar/reenviar/",
        "perfil/autenticador/desactivar/",
        "perfil/dispositivos/<uuid:public_id>/eliminar/",
        "perfil/passkeys/<uuid:public_id>/eliminar/",
        "agencia/reclamos/<int:pk>/adjunto/",
    }
    assert routes - covered - read_only == set()


@pytest.mark.parametrize("path", POSTS)
def test_posts_without_the_csrf_token_are_refused(member, password, path):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(member.user)
    assert browser.post(path, {}).status_code == 403


def test_panama_signs_in_with_a_security_question(client, member, password, cooperative):
    from accounts.credentials import hash_answer
    from accounts.models import SecurityAnswer, SecurityQuestion
    from core.models import Cooperative
    from core.profile import cooperative_activate

    cooperative_activate(cooperative=Cooperative.objects.get(slug="cooprofesionales-pa"))
    question = SecurityQuestion.objects.first()
    SecurityAnswer.objects.create(
        user=member.user, question=question, answer_hash=hash_answer("Bombero")
    )
    client.post("/ingresar/", {"username": "mariaperez"})
    client.post("/ingresar/clave/", {"password": password})
    page = client.post("/ingresar/dispositivo/", {"save": "no"}, follow=True).content.decode()
    assert question.text in page
    done = client.post("/ingresar/verificacion/", {"answer": "bombero"}, follow=True)
    assert done.redirect_chain[-1][0] == "/posicion-consolidada/"
    with pytest.raises(AssertionError):
        last_code()  # nothing was sent: the question is the factor


def test_a_get_never_changes_state(member, password):
    from accounts.models import AuditEvent
    from tests.conftest import CommittingClient

    browser = CommittingClient()
    sign_in(browser, "mariaperez", password)
    before = AuditEvent.objects.count()
    for path in ("/salir/", "/perfil/tema/?theme=dark", "/sesion/extender/"):
        assert browser.get(path).status_code == 405
    assert AuditEvent.objects.count() == before

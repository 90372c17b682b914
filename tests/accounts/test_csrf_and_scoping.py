"""Every GET changes nothing, and a profile's second factor may be a security question.
(Every URL refusing a POST without the CSRF token: tests/authorization/test_csrf.py.)"""

import pytest

from tests.auth import last_code, sign_in


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

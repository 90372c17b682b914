"""The passkey endpoints refuse everything that is not a fresh, verified ceremony."""

import json

import pytest

from accounts.models import Passkey
from tests.auth import last_code, op_id


def test_registration_options_need_a_fresh_code(me):
    assert me.post("/perfil/passkeys/opciones/").status_code == 403
    step = me.post("/perfil/passkeys/nueva/", {"step": "form", "name": "Mi teléfono"})
    done = me.post(
        "/perfil/passkeys/nueva/", {"step": "confirm", "op": op_id(step), "answer": last_code()}
    )
    assert "Registrar passkey en este dispositivo" in done.content.decode()
    options = json.loads(me.post("/perfil/passkeys/opciones/").content)
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert options["rp"]["id"] == "testserver"


def test_a_forged_registration_is_refused(me):
    step = me.post("/perfil/passkeys/nueva/", {"step": "form", "name": "X"})
    me.post(
        "/perfil/passkeys/nueva/", {"step": "confirm", "op": op_id(step), "answer": last_code()}
    )
    me.post("/perfil/passkeys/opciones/")
    response = me.post(
        "/perfil/passkeys/registrar/",
        data=json.dumps({"id": "abc", "rawId": "abc", "response": {}, "type": "public-key"}),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert not Passkey.objects.exists()


def test_an_unknown_passkey_cannot_sign_in(client, db):
    client.post("/ingresar/passkey/opciones/")
    response = client.post(
        "/ingresar/passkey/",
        data=json.dumps({"id": "nope", "rawId": "nope", "response": {}, "type": "public-key"}),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("body", ["not json", "[1, 2]"])
def test_malformed_bodies_are_refused(client, db, body):
    client.post("/ingresar/passkey/opciones/")
    response = client.post("/ingresar/passkey/", data=body, content_type="application/json")
    assert response.status_code == 400

"""The portal's cookies as a browser receives them: in the production posture the session
and CSRF cookies and the remembered-device cookie carry the __Host- prefix (Secure, Path=/, no Domain)."""

from django.conf import settings

from tests.auth import sign_in


def test_the_csrf_cookie_is_set_with_the_host_prefix(client, db):
    client.get("/ingresar/")
    cookie = client.cookies["__Host-csrftoken"]
    assert cookie["secure"] and cookie["httponly"]
    assert cookie["path"] == "/" and not cookie["domain"]
    assert "csrftoken" not in client.cookies


def test_the_session_cookie_is_set_with_the_host_prefix_and_signs_in(client, member, password):
    assert settings.SESSION_COOKIE_NAME == "__Host-sessionid"
    sign_in(client, "mariaperez", password)
    cookie = client.cookies["__Host-sessionid"]
    assert cookie["secure"] and cookie["httponly"] and cookie["samesite"] == "Lax"
    assert cookie["path"] == "/" and not cookie["domain"]
    assert "sessionid" not in client.cookies
    assert client.get("/posicion-consolidada/").status_code == 200


def test_the_remembered_device_cookie_is_set_with_the_host_prefix(client, member, password):
    sign_in(client, "mariaperez", password, remember=True)
    cookie = client.cookies["__Host-cp_device"]
    assert cookie["secure"] and cookie["httponly"] and cookie["samesite"] == "Lax"
    assert cookie["path"] == "/" and not cookie["domain"]
    assert "cp_device" not in client.cookies


def test_the_logs_hide_the_prefixed_cookies():
    from core.logging import REDACTED, redact

    cookies = {
        "__Host-sessionid": "abc",
        "__Host-csrftoken": "def",
        "__Host-cp_device": "ghi",
        "theme": "dark",
    }
    assert redact(cookies) == {
        "__Host-sessionid": REDACTED,
        "__Host-csrftoken": REDACTED,
        "__Host-cp_device": REDACTED,
        "theme": "dark",
    }

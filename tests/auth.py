"""Walking the sign-in steps as a browser would, reading codes from the test outboxes."""

import re

from django.core import mail

from core.notifications import LocmemSmsBackend

CODE = re.compile(r"código de seguridad es (\d{6})")


def last_code() -> str:
    """The newest code sent by SMS (or, failing that, by e-mail)."""
    for message in reversed(LocmemSmsBackend.outbox):
        if match := CODE.search(message.body):
            return match.group(1)
    for message in reversed(mail.outbox):
        if match := CODE.search(message.body):
            return match.group(1)
    raise AssertionError("no code was sent")


def op_id(response) -> str:
    """The confirmation dialog's operation id in a rendered step."""
    return re.search(r'name="op" value="([0-9a-f]{32})"', response.content.decode()).group(1)


def sign_in(client, username: str, password: str, *, remember: bool = False, **headers):
    """Username → password → device → code; returns the final response (followed)."""
    client.post("/ingresar/", {"username": username}, **headers)
    response = client.post("/ingresar/clave/", {"password": password}, **headers)
    if response.status_code == 200:
        return response  # refused: the password page again, with its message
    if response["Location"] == "/ingresar/dispositivo/":
        client.post(
            "/ingresar/dispositivo/",
            {"save": "yes" if remember else "no", "alias": "Mi laptop" if remember else ""},
            **headers,
        )
    return client.post("/ingresar/verificacion/", {"answer": last_code()}, follow=True, **headers)

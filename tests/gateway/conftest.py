"""The operator's SMS gateway as a real HTTP server in its own process, for the portal's
``HttpSmsBackend`` to talk to: it accepts, fails (500), hangs or recovers on command."""

import json
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.accounts.conftest import new_member  # noqa: F401 - a socio who can enroll
from tests.auth import CODE

SCRIPT = Path(__file__).with_name("fake_sms_gateway.py")


class FakeGateway:
    def __init__(self, port: int):
        self.control = f"http://127.0.0.1:{port}/control"
        self.url = f"http://127.0.0.1:{port}/v1/messages"

    def _mode(self, mode: str) -> None:
        request = urllib.request.Request(  # noqa: S310 - the fake gateway on 127.0.0.1
            self.control, data=json.dumps({"mode": mode}).encode(), method="POST"
        )
        with urllib.request.urlopen(request, timeout=5):  # noqa: S310
            pass

    def fail(self) -> None:
        """Every message is answered 500."""
        self._mode("fail")

    def fail_once(self) -> None:
        """The next message is answered 500; the ones after it are accepted."""
        self._mode("fail_once")

    def hang(self) -> None:
        """Every message waits, unanswered, for as long as the process lives."""
        self._mode("hang")

    def recover(self) -> None:
        self._mode("ok")

    def accepted(self) -> list[dict]:
        """The messages it took: ``{"authorization", "to", "from", "text"}``."""
        with urllib.request.urlopen(self.control, timeout=5) as response:  # noqa: S310
            return json.loads(response.read())["accepted"]

    def last_code(self) -> str:
        """The code in the newest SMS it took."""
        return CODE.search(self.accepted()[-1]["text"]).group(1)


@pytest.fixture
def sms_gateway(settings):
    """A fake gateway on a free port, and the portal configured as in production."""
    process = subprocess.Popen([sys.executable, str(SCRIPT)], stdout=subprocess.PIPE, text=True)
    try:
        gateway = FakeGateway(int(process.stdout.readline()))
        settings.SMS_BACKEND = "core.notifications.HttpSmsBackend"
        settings.SMS_GATEWAY_URL = gateway.url
        settings.SMS_GATEWAY_TOKEN = "gateway-token"
        yield gateway
    finally:
        process.kill()
        process.wait()
        process.stdout.close()


@pytest.fixture
def mail_relay_down(settings):
    """SMTP to a port where nothing listens: every e-mail fails at once."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    return settings

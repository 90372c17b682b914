import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core import mail

from cooprogreso import notifications
from cooprogreso.notifications import (
    HttpSmsBackend,
    LocmemSmsBackend,
    OutboxEmailBackend,
    OutboxSmsBackend,
    SmsMessage,
    outbox_messages,
    send_email,
    send_sms,
)


@pytest.fixture
def outbox_dir(settings, tmp_path):
    settings.OUTBOX_DIR = tmp_path / "outbox"
    return settings.OUTBOX_DIR


def test_send_email_goes_through_django_backends():
    send_email(to=["maria@example.com"], subject="Código", body="Tu código es 123456")
    assert mail.outbox[-1].subject == "Código"
    assert mail.outbox[-1].to == ["maria@example.com"]


def test_send_sms_goes_through_the_configured_backend():
    LocmemSmsBackend.outbox.clear()
    send_sms(to="+593987654321", body="Cooprogreso: tu código es 654321")
    assert LocmemSmsBackend.outbox == [
        SmsMessage("+593987654321", "Cooprogreso: tu código es 654321")
    ]


def test_the_outbox_backends_write_messages_newest_first(outbox_dir):
    OutboxEmailBackend().send_messages(
        [mail.EmailMessage(subject="Usuario temporal", body="Usuario: abc", to=["a@example.com"])]
    )
    OutboxSmsBackend().send_messages([SmsMessage("+593900000001", "Código 111222")])
    messages = outbox_messages()
    assert [m["channel"] for m in messages] == ["sms", "email"]
    assert messages[0]["body"] == "Código 111222"
    assert messages[1]["subject"] == "Usuario temporal"


def test_the_dev_outbox_page_lists_messages_in_development(client, settings, outbox_dir, db):
    settings.DEBUG = True
    OutboxSmsBackend().send_messages([SmsMessage("+593900000001", "Tu código es 481516")])
    response = client.get("/dev/outbox/")
    assert response.status_code == 200
    assert "Tu código es 481516" in response.content.decode()


def test_the_dev_outbox_page_does_not_exist_in_production(client, outbox_dir, db):
    OutboxSmsBackend().send_messages([SmsMessage("+593900000001", "Tu código es 481516")])
    assert client.get("/dev/outbox/").status_code == 404


class _Gateway(BaseHTTPRequestHandler):
    received: list = []
    status = 202

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((self.headers["Authorization"], json.loads(body)))
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway(settings):
    server = HTTPServer(("127.0.0.1", 0), _Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Gateway.received = []
    _Gateway.status = 202
    settings.SMS_GATEWAY_URL = f"http://127.0.0.1:{server.server_port}/v1/sms"
    settings.SMS_GATEWAY_TOKEN = "gateway-token"
    settings.SMS_SENDER = "COOPROGRESO"
    yield _Gateway
    server.shutdown()


def test_the_http_gateway_receives_json_with_a_bearer_token(gateway):
    assert HttpSmsBackend().send_messages([SmsMessage("+593987654321", "Código 222333")]) == 1
    authorization, payload = gateway.received[0]
    assert authorization == "Bearer gateway-token"
    assert payload == {"to": "+593987654321", "from": "COOPROGRESO", "text": "Código 222333"}


def test_a_gateway_error_is_raised_not_swallowed(gateway):
    gateway.status = 500
    with pytest.raises(OSError):
        HttpSmsBackend().send_messages([SmsMessage("+593987654321", "Código 222333")])


def test_sms_bodies_are_not_logged(caplog):
    with caplog.at_level("INFO", logger=notifications.__name__):
        send_sms(to="+593987654321", body="Tu código es 909090")
    assert "909090" not in caplog.text

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core import mail

from core import notifications
from core.notifications import (
    HttpSmsBackend,
    LocmemSmsBackend,
    OutboxEmailBackend,
    OutboxSmsBackend,
    SmsMessage,
    channel_state,
    channels_failing,
    notification_send,
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


class FailingSmsBackend(notifications.BaseSmsBackend):
    def send_messages(self, messages):
        raise OSError("gateway down")


class FailingEmailBackend(mail.backends.base.BaseEmailBackend):
    def send_messages(self, email_messages):
        raise ConnectionRefusedError("relay down")


def test_the_gateway_waits_at_most_three_seconds_by_default(settings):
    assert settings.SMS_GATEWAY_TIMEOUT == 3
    assert settings.EMAIL_TIMEOUT <= 5


def test_a_failing_sms_still_lets_the_email_go(settings):
    settings.SMS_BACKEND = "tests.test_notifications.FailingSmsBackend"
    channels = notification_send(
        phone="+593987654321", email="maria@example.com", subject="Aviso", body="Hola"
    )
    assert channels == {"email"}
    assert mail.outbox[-1].to == ["maria@example.com"]


def test_a_failing_email_still_lets_the_sms_go(settings):
    settings.EMAIL_BACKEND = "tests.test_notifications.FailingEmailBackend"
    channels = notification_send(
        phone="+593987654321", email="maria@example.com", subject="Aviso", body="Hola"
    )
    assert channels == {"sms"}
    assert LocmemSmsBackend.outbox[-1].to == "+593987654321"


def test_when_both_fail_nothing_is_raised_and_each_failure_is_one_log_line(settings, caplog):
    settings.SMS_BACKEND = "tests.test_notifications.FailingSmsBackend"
    settings.EMAIL_BACKEND = "tests.test_notifications.FailingEmailBackend"
    with caplog.at_level("INFO", logger=notifications.__name__):
        channels = notification_send(
            phone="+593987654321", email="maria@example.com", subject="Aviso", body="Tu 123987"
        )
    assert channels == frozenset()
    failures = [r for r in caplog.records if r.getMessage() == "notification not delivered"]
    assert [(r.channel, r.error) for r in failures] == [
        ("sms", "OSError"),
        ("email", "ConnectionRefusedError"),
    ]
    assert "123987" not in caplog.text and "+593987654321" not in caplog.text


def test_each_channel_keeps_its_recent_state(settings):
    assert channel_state("sms")["status"] == "unknown"
    settings.SMS_BACKEND = "tests.test_notifications.FailingSmsBackend"
    for _ in range(2):
        notification_send(phone="+593987654321", email=None, subject="", body="x")
    failing = channel_state("sms")
    assert failing["status"] == "failing" and failing["consecutive_failures"] == 2
    assert channels_failing() is False  # e-mail has not failed
    settings.SMS_BACKEND = "core.notifications.LocmemSmsBackend"
    send_sms(to="+593987654321", body="x")
    recovered = channel_state("sms")
    assert recovered["status"] == "ok" and recovered["consecutive_failures"] == 0
    assert recovered["last_failure"] <= recovered["last_success"]


def test_a_gateway_error_is_logged_with_its_status(gateway, caplog, settings):
    settings.SMS_BACKEND = "core.notifications.HttpSmsBackend"
    gateway.status = 503
    with caplog.at_level("INFO", logger=notifications.__name__), pytest.raises(OSError):
        send_sms(to="+593987654321", body="Código 222333")
    [failure] = [r for r in caplog.records if r.getMessage() == "notification not delivered"]
    assert (failure.error, failure.status, failure.backend) == ("HTTPError", 503, "HttpSmsBackend")

"""Notices stored with the action they report and sent by a worker: sent once the action
commits, retried with backoff until they go out or finally fail, never twice, kept only
encrypted, and shown to staff without their text. The tests run tasks eagerly, so a
retry runs at once (tests/gateway/test_notification_retries.py has the real worker)."""

import re
from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.core import mail
from django.db import connection, transaction
from django.test import TestCase
from django.utils import timezone
from kombu.exceptions import OperationalError

from accounts.services import member_issue_credentials
from core.crypto import decrypt
from core.models import Notification
from core.notifications import (
    RETRY_DELAYS,
    BaseSmsBackend,
    LocmemSmsBackend,
    notifications_batched,
    notifications_sweep,
    notify,
)
from core.tasks import deliver_notification, deliver_notifications, sweep_notifications
from tests.factories import UserFactory

TRIES = len(RETRY_DELAYS) + 1
PHONE = "+593987654321"


class FlakySmsBackend(BaseSmsBackend):
    """A gateway that refuses the first message it is handed, then takes every one."""

    calls = 0

    def send_messages(self, messages):
        type(self).calls += 1
        if type(self).calls == 1:
            raise OSError("gateway busy")
        return LocmemSmsBackend().send_messages(messages)


@pytest.fixture
def flaky_gateway(settings):
    FlakySmsBackend.calls = 0
    settings.SMS_BACKEND = "tests.test_notification_delivery.FlakySmsBackend"
    return FlakySmsBackend


@pytest.fixture
def gateway_down(settings):
    settings.SMS_BACKEND = "tests.test_notifications.FailingSmsBackend"
    return settings


def sms(body="Cooprogreso: se registró el dispositivo «Casa»", **extra) -> Notification:
    """One SMS notice, sent as its action commits."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        [row] = notify(phone=PHONE, body=body, kind="Cambio de seguridad", **extra)
    row.refresh_from_db()
    return row


def stored(**fields) -> Notification:
    """A notice whose action committed but whose task never ran (lost with the broker)."""
    with TestCase.captureOnCommitCallbacks(execute=False):
        [row] = notify(phone=PHONE, body="Cooprogreso: aviso", kind="Prueba")
    Notification.objects.filter(pk=row.pk).update(**fields)
    row.refresh_from_db()
    return row


def texts() -> list[str]:
    return [message.body for message in LocmemSmsBackend.outbox]


# --- once the action commits ------------------------------------------------------------------


def test_a_notice_goes_out_only_once_its_action_commits(db):
    with TestCase.captureOnCommitCallbacks() as callbacks:
        [row] = notify(email="maria@example.com", subject="Aviso", body="Hola", kind="Prueba")
    assert row.status == Notification.Status.PENDING and mail.outbox == []
    for callback in callbacks:
        callback()
    row.refresh_from_db()
    assert (row.status, row.attempts, row.sent_at is not None) == ("sent", 1, True)
    assert [(m.to, m.subject, m.body) for m in mail.outbox] == [
        (["maria@example.com"], "Aviso", "Hola")
    ]


def test_a_rolled_back_action_leaves_no_notice(db):
    with (
        TestCase.captureOnCommitCallbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        notify(phone=PHONE, email="maria@example.com", body="Hola", kind="Prueba")
        raise RuntimeError("the action failed")
    assert not Notification.objects.exists()
    assert mail.outbox == [] and texts() == []


def test_each_channel_is_its_own_notice(db, gateway_down):
    with TestCase.captureOnCommitCallbacks(execute=True):
        notify(phone=PHONE, email="maria@example.com", subject="Aviso", body="Hola", kind="P")
    by_channel = dict(Notification.objects.values_list("channel", "status"))
    assert by_channel == {"sms": "failed", "email": "sent"}
    assert mail.outbox[-1].to == ["maria@example.com"]


def test_a_batch_sends_the_notices_of_its_committed_actions_in_one_task(db, flaky_gateway):
    """A worker telling many members at once (the scheduled payments of a run): nothing
    goes out one task each; when the block ends, one task sends every notice whose action
    committed — a rolled-back one is not among them — and a failed try goes on alone."""
    with (
        mock.patch.object(deliver_notification, "delay") as one_each,
        mock.patch.object(
            deliver_notifications, "delay", side_effect=deliver_notifications
        ) as batch,
    ):
        with notifications_batched():
            for n in range(3):
                with TestCase.captureOnCommitCallbacks(execute=True):
                    notify(phone=PHONE, body=f"Cooprogreso: aviso {n}", kind="Prueba")
            with pytest.raises(RuntimeError), transaction.atomic():
                notify(phone=PHONE, body="Cooprogreso: deshecho", kind="Prueba")
                raise RuntimeError("the action failed")
            assert batch.call_count == 0
            assert set(Notification.objects.values_list("status", flat=True)) == {"pending"}
        assert one_each.call_count == 0 and batch.call_count == 1
    # The gateway refused the first try: that notice was retried by its own task.
    assert sorted(texts()) == [f"Cooprogreso: aviso {n}" for n in range(3)]
    assert list(Notification.objects.values_list("status", flat=True)) == ["sent"] * 3


def test_a_batch_claims_its_notices_at_once_and_leaves_the_others_theirs(db):
    """One task for a chunk's notices claims them in one statement, as one task claims
    one: a notice sent already, or another worker's, is skipped; a claim of a worker
    that died is taken again; each goes out once and is marked sent."""
    sent = sms()
    theirs = stored(claimed_at=timezone.now() - timedelta(seconds=30), attempts=1)
    lost = stored(claimed_at=timezone.now() - timedelta(hours=1), attempts=1)
    fresh = stored()
    LocmemSmsBackend.outbox.clear()
    ids = [sent.pk, theirs.pk, lost.pk, fresh.pk]
    assert deliver_notifications.delay(ids).get() == 2
    again = deliver_notifications.delay(ids).get()  # delivered twice
    assert again == 0 and texts() == ["Cooprogreso: aviso"] * 2
    rows = {row.pk: row for row in Notification.objects.all()}
    assert [(rows[pk].status, rows[pk].attempts) for pk in ids] == [
        ("sent", 1),
        ("pending", 1),
        ("sent", 2),
        ("sent", 1),
    ]
    assert rows[fresh.pk].body_encrypted == "" and rows[fresh.pk].claimed_at is None


# --- retries ----------------------------------------------------------------------------------


def test_a_try_that_fails_is_retried_and_the_message_sent_once(db, flaky_gateway):
    row = sms()
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, "OSError")
    assert texts() == ["Cooprogreso: se registró el dispositivo «Casa»"]
    assert flaky_gateway.calls == 2


def test_a_failed_try_waits_for_the_first_delay_before_the_next(db, gateway_down):
    row = stored()
    with mock.patch.object(deliver_notification, "retry", side_effect=RuntimeError) as retry:
        deliver_notification.apply(args=(row.pk,))
    retry.assert_called_once_with(countdown=RETRY_DELAYS[0])
    row.refresh_from_db()
    assert (row.status, row.attempts, row.claimed_at) == ("pending", 1, None)
    waited = row.next_attempt_at - timezone.now()
    assert timedelta(seconds=RETRY_DELAYS[0] - 5) < waited <= timedelta(seconds=RETRY_DELAYS[0])


def test_after_the_last_try_it_is_marked_failed_and_logged_once(db, gateway_down, caplog):
    with caplog.at_level("INFO"):
        row = sms(body="Cooprogreso: tu aviso 774411")
    assert (row.status, row.attempts, row.last_error) == ("failed", TRIES, "OSError")
    assert row.body_encrypted  # not a secret: kept for «Reintentar»
    [failed] = [r for r in caplog.records if r.getMessage() == "notification failed"]
    assert failed.levelname == "WARNING"
    assert (failed.kind, failed.channel, failed.attempts) == ("Cambio de seguridad", "sms", TRIES)
    assert failed.notification == str(row.public_id)
    assert "774411" not in caplog.text and PHONE not in caplog.text


def test_a_message_the_key_can_no_longer_read_fails_at_once(db, settings):
    row = stored()
    settings.FIELD_ENCRYPTION_KEY = "another-key-" + "x" * 40
    deliver_notification.delay(row.pk)
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == ("failed", 1, "InvalidToken")
    assert texts() == []


# --- at most once -----------------------------------------------------------------------------


def test_a_task_delivered_twice_sends_once(db):
    row = sms()
    assert deliver_notification.delay(row.pk).get() == "skipped"
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("sent", 1)
    assert len(texts()) == 1


def test_a_notice_another_worker_is_sending_is_left_to_it(db):
    row = stored(claimed_at=timezone.now() - timedelta(seconds=30), attempts=1)
    assert deliver_notification.delay(row.pk).get() == "skipped"
    assert texts() == []
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("pending", 1)


def test_the_claim_of_a_worker_that_died_is_taken_again(db):
    row = stored(claimed_at=timezone.now() - timedelta(hours=1), attempts=1)
    assert deliver_notification.delay(row.pk).get() == "sent"
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("sent", 2)
    assert texts() == ["Cooprogreso: aviso"]


def test_a_task_for_a_notice_that_does_not_exist_does_nothing(db):
    assert deliver_notification.delay(987654).get() == "skipped"


# --- what is stored ---------------------------------------------------------------------------


def raw_row(pk: int) -> str:
    """Every column of the row as the database holds it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM core_notification WHERE id = %s", [pk])
        return repr(cursor.fetchone())


def test_a_temporary_password_is_never_stored_in_clear_and_is_wiped_once_sent(member, staff_user):
    with TestCase.captureOnCommitCallbacks() as callbacks:
        member_issue_credentials(member=member, actor=staff_user, reason="Reposición")
    notice = Notification.objects.get(kind="Credenciales temporales")
    before = raw_row(notice.pk)
    assert member.email not in before
    for callback in callbacks:
        callback()
    password = re.search(r"contraseña temporal es: (\S+)", mail.outbox[-1].body).group(1)
    assert password not in before and password in decrypt(notice.body_encrypted)
    notice.refresh_from_db()
    assert notice.status == "sent" and notice.body_encrypted == ""
    assert password not in raw_row(notice.pk)


def test_a_notice_with_a_secret_is_wiped_when_it_finally_fails(db, settings):
    settings.EMAIL_BACKEND = "tests.test_notifications.FailingEmailBackend"
    with TestCase.captureOnCommitCallbacks(execute=True):
        [row] = notify(email="maria@example.com", body="Clave: X9", kind="P", secret=True)
    row.refresh_from_db()
    assert (row.status, row.body_encrypted) == ("failed", "")


# --- the sweep --------------------------------------------------------------------------------


def test_the_sweep_queues_again_a_notice_whose_task_was_lost(db):
    row = stored()
    with (
        time_machine.travel(timezone.now() + timedelta(minutes=11)),
        TestCase.captureOnCommitCallbacks(execute=True),
    ):
        assert sweep_notifications.delay().get() == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("sent", 1)
    assert texts() == ["Cooprogreso: aviso"]


def test_the_sweep_takes_back_a_notice_left_claimed_by_a_worker_that_died(db):
    now = timezone.now()
    long_ago = now - timedelta(minutes=20)
    row = stored(next_attempt_at=long_ago, claimed_at=long_ago, attempts=1)
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert notifications_sweep(now=now) == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("sent", 2)


def test_the_sweep_leaves_notices_that_are_on_their_way(db):
    now = timezone.now()
    stored(next_attempt_at=now - timedelta(minutes=5))  # queued a moment ago
    stored(next_attempt_at=now + timedelta(minutes=30))  # a retry waiting for its time
    stored(next_attempt_at=now - timedelta(hours=1), claimed_at=now - timedelta(minutes=1))
    stored(next_attempt_at=now - timedelta(hours=1), status="sent")
    stored(next_attempt_at=now - timedelta(hours=1), status="failed")
    assert notifications_sweep(now=now) == 0


def test_a_swept_notice_is_not_queued_again_by_the_next_sweep(db):
    stored()
    later = timezone.now() + timedelta(minutes=11)
    with TestCase.captureOnCommitCallbacks(execute=False):  # its new task is lost too
        assert notifications_sweep(now=later) == 1
    assert notifications_sweep(now=later + timedelta(minutes=5)) == 0
    assert notifications_sweep(now=later + timedelta(minutes=11)) == 1


def test_a_broker_that_is_down_leaves_the_notice_for_the_sweep(db, caplog):
    down = OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
    with (
        mock.patch.object(deliver_notification, "delay", side_effect=down),
        TestCase.captureOnCommitCallbacks(execute=True),
    ):
        [row] = notify(phone=PHONE, body="Hola", kind="Prueba")
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("pending", 0)
    assert "notification not queued" in caplog.text
    with TestCase.captureOnCommitCallbacks(execute=True):
        notifications_sweep(now=timezone.now() + timedelta(minutes=11))
    row.refresh_from_db()
    assert row.status == "sent"


# --- staff ------------------------------------------------------------------------------------


@pytest.fixture
def failed_notice(db, gateway_down):
    row = sms(body="Cooprogreso: se eliminó una passkey. Texto-privado-5521")
    assert row.status == "failed"
    return row


def staff_with(client, *codenames):
    user = UserFactory(username="operador1", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client.force_login(user)
    return client


def test_staff_see_what_went_out_but_never_the_text_or_the_full_recipient(
    client, staff_user, failed_notice
):
    client.force_login(staff_user)
    listing = client.get("/admin/core/notification/").content.decode()
    detail = client.get(f"/admin/core/notification/{failed_notice.pk}/change/").content.decode()
    for page in (listing, detail):
        assert "Cambio de seguridad" in page and "*****4321" in page and "Fallida" in page
        assert "OSError" in page
        assert "Texto-privado-5521" not in page and PHONE not in page
        assert failed_notice.body_encrypted not in page
        assert failed_notice.recipient_encrypted not in page
    assert client.get("/admin/core/notification/add/").status_code == 403


def test_staff_without_the_view_permission_do_not_see_notifications(client, failed_notice):
    staff_with(client, "view_cooperative")
    assert client.get("/admin/core/notification/").status_code == 403


def test_staff_retry_a_failed_notice_with_reintentar(client, failed_notice, settings):
    staff_with(client, "view_notification", "retry_notification")
    settings.SMS_BACKEND = "core.notifications.LocmemSmsBackend"  # the gateway is back
    response = client.post(
        "/admin/core/notification/",
        {"action": "retry", "_selected_action": [failed_notice.pk]},
        follow=True,
    )
    assert "Se reintentará el envío de 1 notificación(es)." in response.content.decode()
    failed_notice.refresh_from_db()
    assert (failed_notice.status, failed_notice.attempts) == ("sent", 1)
    assert texts() == ["Cooprogreso: se eliminó una passkey. Texto-privado-5521"]


def test_reintentar_needs_its_own_permission(client, failed_notice, settings):
    staff_with(client, "view_notification")
    page = client.get("/admin/core/notification/").content.decode()
    assert 'value="retry"' not in page
    client.post(
        "/admin/core/notification/", {"action": "retry", "_selected_action": [failed_notice.pk]}
    )
    failed_notice.refresh_from_db()
    assert failed_notice.status == "failed"


def test_a_notice_whose_secret_was_wiped_cannot_be_retried(client, staff_user, settings):
    settings.EMAIL_BACKEND = "tests.test_notifications.FailingEmailBackend"
    with TestCase.captureOnCommitCallbacks(execute=True):
        [row] = notify(email="maria@example.com", body="Clave: X9", kind="P", secret=True)
    client.force_login(staff_user)
    response = client.post(
        "/admin/core/notification/", {"action": "retry", "_selected_action": [row.pk]}, follow=True
    )
    assert "emite credenciales nuevas" in response.content.decode()
    row.refresh_from_db()
    assert row.status == "failed"


def test_no_retry_waits_longer_than_the_brokers_visibility_timeout():
    """Redis hands an unacknowledged message to another worker after an hour: a retry
    waiting longer would be tried twice."""
    assert max(RETRY_DELAYS) <= 3600


def test_the_beat_runs_the_sweep_every_few_minutes(settings):
    from cooprogreso.celery import app

    [entry] = [
        entry
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == sweep_notifications.name
    ]
    assert entry["schedule"] <= 600 and sweep_notifications.name in app.tasks

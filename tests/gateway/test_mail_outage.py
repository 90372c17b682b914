"""E-mail-only notices sent after an action commits (a lock notice, temporary credentials,
a forgotten username, a complaint's acknowledgement): a mail relay that is down never turns
the finished action into an error page; each failed try is logged and shown in /healthz,
and a notice that runs out of tries is marked failed for staff. (The tests run tasks
eagerly: the retries happen at once.)"""

from django.test import TestCase

from accounts.models import User
from accounts.services import member_issue_credentials
from core.models import Notification
from core.notifications import RETRY_DELAYS, channel_state
from tests.auth import sign_in

TRIES = len(RETRY_DELAYS) + 1


def test_the_third_wrong_password_locks_even_when_the_lock_notice_fails(
    client, member, mail_relay_down
):
    for _ in range(3):
        response = sign_in(client, "mariaperez", "Clave#Mala2026")
        assert response.status_code == 200
    assert User.objects.get(pk=member.user.pk).is_locked
    assert channel_state("email")["consecutive_failures"] >= 1


def test_staff_issue_credentials_while_the_relay_is_down(member, staff_user, mail_relay_down):
    with TestCase.captureOnCommitCallbacks(execute=True):
        user = member_issue_credentials(member=member, actor=staff_user, reason="Reposición")
    assert User.objects.get(pk=user.pk).must_personalize
    assert channel_state("email")["consecutive_failures"] == TRIES
    notice = Notification.objects.get(kind="Credenciales temporales")
    assert (notice.status, notice.attempts, notice.last_error) == (
        Notification.Status.FAILED,
        TRIES,
        "ConnectionRefusedError",
    )
    assert notice.body_encrypted == ""  # the temporary password is not kept


def test_a_forgotten_username_request_answers_while_the_relay_is_down(
    client, member, mail_relay_down
):
    from accounts.recovery import username_send

    with TestCase.captureOnCommitCallbacks(execute=True):
        username_send(user=member.user)
    assert channel_state("email")["consecutive_failures"] == TRIES
    assert Notification.objects.get(kind="Usuario olvidado").status == Notification.Status.FAILED

"""Bloqueo temporal and Desbloquear: the member locks and unlocks their own card with the
code; a locked card refuses purchases; every change is audited and told to the member;
and the member can never undo — nor lift by unlocking — a block the cooperative put."""

from decimal import Decimal

import pytest
from django.core import mail

from accounts.models import AuditEvent, Operation
from accounts.operations import Actor, operation_prepare
from accounts.tasks import execute_operation
from cards.exceptions import (
    CardAlreadyLocked,
    CardBlockedByCooperative,
    CardLockedByMember,
    CardNotLocked,
)
from cards.locks import card_member_lock
from cards.models import Card
from cards.operations import card_lock
from cards.services import card_purchase, card_set_status
from core.notifications import LocmemSmsBackend
from tests.auth import last_code, op_id
from tests.cards.conftest import MARIA_CREDIT_PAN, refreshed


def lock_url(card: Card) -> str:
    return f"/tarjetas/{card.public_id}/bloqueo-temporal/"


def unlock_url(card: Card) -> str:
    return f"/tarjetas/{card.public_id}/desbloquear/"


def confirm(client, url: str):
    """Continuar → the code → done; returns (the review step, the done step)."""
    step = client.post(url, {"step": "form"})
    done = client.post(url, {"step": "confirm", "op": op_id(step), "answer": last_code()})
    return step, done


def notices() -> list[str]:
    return [m.body for m in mail.outbox] + [m.body for m in LocmemSmsBackend.outbox]


def test_the_member_locks_their_card_with_the_code(member_client, member, credit_card):
    form = member_client.get(lock_url(credit_card)).content.decode()
    assert "Bloqueo temporal" in form and "513744XXXXXX0395" in form
    assert "no acepta consumos ni retiros" in form
    step, done = confirm(member_client, lock_url(credit_card))
    review = step.content.decode()
    assert "Verifica que todos los datos estén correctos" in review
    assert "MASTERCARD Crédito 513744XXXXXX0395" in review
    html = done.content.decode()
    assert "Tarjeta bloqueada temporalmente" in html
    card = refreshed(credit_card)
    assert card.member_locked and card.status == Card.Status.ACTIVE
    assert card.status_label == "BLOQUEO TEMPORAL"
    event = AuditEvent.objects.get(event="card_locked")
    assert event.user == member.user and event.actor == member.user
    assert event.data["card"] == "513744XXXXXX0395"
    assert any("bloqueaste temporalmente tu tarjeta 513744XXXXXX0395" in n for n in notices())
    assert any(m.subject == "Cooprogreso: bloqueo temporal de tu tarjeta" for m in mail.outbox)
    assert all(MARIA_CREDIT_PAN not in n for n in notices())
    page = member_client.get(f"/tarjetas/{credit_card.public_id}/").content.decode()
    assert "BLOQUEO TEMPORAL" in page and "Desbloquear" in page
    assert "BLOQUEO TEMPORAL" in member_client.get("/posicion-consolidada/").content.decode()


def test_a_locked_card_refuses_purchases_until_the_member_unlocks_it(
    member_client, member, credit_card
):
    card_member_lock(card=credit_card, lock=True, user=member.user)
    with pytest.raises(CardLockedByMember):
        card_purchase(card=credit_card, amount=Decimal("5.00"), description="POS", key="k1")
    _step, done = confirm(member_client, unlock_url(credit_card))
    assert "Tarjeta desbloqueada" in done.content.decode()
    assert not refreshed(credit_card).member_locked
    assert AuditEvent.objects.filter(event="card_unlocked", user=member.user).count() == 1
    assert any("desbloqueaste tu tarjeta 513744XXXXXX0395" in n for n in notices())
    card_purchase(card=credit_card, amount=Decimal("5.00"), description="POS", key="k1")


def test_a_debit_card_is_locked_the_same_way(member_client, debit_card):
    confirm(member_client, lock_url(debit_card))
    assert refreshed(debit_card).member_locked


def test_a_wrong_code_changes_nothing(member_client, credit_card):
    step = member_client.post(lock_url(credit_card), {"step": "form"})
    wrong = "000000" if last_code() != "000000" else "111111"
    member_client.post(
        lock_url(credit_card), {"step": "confirm", "op": op_id(step), "answer": wrong}
    )
    assert not refreshed(credit_card).member_locked
    assert not AuditEvent.objects.filter(event="card_locked").exists()


def test_locking_a_locked_card_is_refused_before_the_code(member_client, member, credit_card):
    card_member_lock(card=credit_card, lock=True, user=member.user)
    sent = len(LocmemSmsBackend.outbox)
    html = member_client.post(lock_url(credit_card), {"step": "form"}).content.decode()
    assert CardAlreadyLocked.message in html
    html = member_client.post(unlock_url(refreshed(credit_card)), {"step": "form"}).content.decode()
    assert "Verifica que todos los datos estén correctos" in html
    assert len(LocmemSmsBackend.outbox) == sent + 1  # only the unlock's code


def test_unlocking_a_card_that_is_not_locked_is_refused(member_client, credit_card):
    html = member_client.post(unlock_url(credit_card), {"step": "form"}).content.decode()
    assert CardNotLocked.message in html
    assert not Operation.objects.filter(purpose="card_unlock", state="awaiting_code").exists()


# --- The cooperative's block stays the cooperative's ------------------------------------


def test_the_member_cannot_unlock_or_lock_a_card_the_cooperative_blocked(
    member_client, member, credit_card, staff_user
):
    card_set_status(card=credit_card, status=Card.Status.BLOCKED, actor=staff_user, reason="Robo")
    for url in (lock_url(credit_card), unlock_url(credit_card)):
        html = member_client.post(url, {"step": "form"}).content.decode()
        assert "La cooperativa bloqueó esta tarjeta" in html
    with pytest.raises(CardBlockedByCooperative):
        card_member_lock(card=credit_card, lock=True, user=member.user)
    assert refreshed(credit_card).status == Card.Status.BLOCKED


def test_unlocking_after_a_staff_block_lifts_nothing(
    member_client, member, credit_card, staff_user
):
    """Locked by the member, then blocked by staff: the member's «Desbloquear» is refused,
    even with the code already typed — and the staff block stands."""
    card_member_lock(card=credit_card, lock=True, user=member.user)
    step = member_client.post(unlock_url(credit_card), {"step": "form"})
    card_set_status(card=credit_card, status=Card.Status.BLOCKED, actor=staff_user, reason="Robo")
    done = member_client.post(
        unlock_url(credit_card), {"step": "confirm", "op": op_id(step), "answer": last_code()}
    )
    assert "La cooperativa bloqueó esta tarjeta" in done.content.decode()
    card = refreshed(credit_card)
    assert card.status == Card.Status.BLOCKED and card.member_locked
    assert not AuditEvent.objects.filter(event="card_unlocked").exists()


def test_staff_reactivating_a_card_does_not_lift_the_members_lock(member, credit_card, staff_user):
    card_member_lock(card=credit_card, lock=True, user=member.user)
    card_set_status(card=credit_card, status=Card.Status.BLOCKED, actor=staff_user, reason="Robo")
    card_set_status(card=credit_card, status=Card.Status.ACTIVE, actor=staff_user, reason="Hallada")
    card = refreshed(credit_card)
    assert card.status == Card.Status.ACTIVE and card.status_label == "BLOQUEO TEMPORAL"
    with pytest.raises(CardLockedByMember):
        card_purchase(card=card, amount=Decimal("5.00"), description="POS", key="k2")


# --- Idempotent, and for the owner only ------------------------------------------------------


def test_a_replayed_execution_locks_audits_and_notifies_once(
    member, credit_card, django_capture_on_commit_callbacks
):
    operation = operation_prepare(
        kind=card_lock,
        actor=Actor(user=member.user, owner=member, channel="web"),
        data={},
        context={"card": str(credit_card.public_id)},
    )
    payload = {"card": str(credit_card.public_id), "lock": True}
    actor = Actor(user=member.user, owner=member)
    with django_capture_on_commit_callbacks(execute=True):
        first = card_lock.execute(actor, payload, operation.key)
    with django_capture_on_commit_callbacks(execute=True):
        again = card_lock.execute(actor, payload, operation.key)
    assert first == again
    assert AuditEvent.objects.filter(event="card_locked").count() == 1
    assert [m.to for m in mail.outbox] == [[member.email]]
    assert [m.to for m in LocmemSmsBackend.outbox] == [member.mobile_phone]


def test_a_double_submitted_code_locks_once(member_client, credit_card):
    step = member_client.post(lock_url(credit_card), {"step": "form"})
    data = {"step": "confirm", "op": op_id(step), "answer": last_code()}
    first = member_client.post(lock_url(credit_card), data).content.decode()
    second = member_client.post(lock_url(credit_card), data).content.decode()
    assert (
        "Tarjeta bloqueada temporalmente" in first and "Tarjeta bloqueada temporalmente" in second
    )
    assert AuditEvent.objects.filter(event="card_locked").count() == 1


def test_a_worker_executes_the_lock_without_a_request(member, credit_card):
    operation = operation_prepare(
        kind=card_lock,
        actor=Actor(user=None, owner=member, channel="system"),
        data={},
        context={"card": str(credit_card.public_id)},
    )
    execute_operation.delay(operation.pk)
    assert refreshed(credit_card).member_locked
    assert Operation.objects.get(pk=operation.pk).state == Operation.State.EXECUTED


def test_another_members_card_cannot_be_locked_through_the_payload(
    member, other_member, credit_card
):
    from django.http import Http404

    with pytest.raises(Http404):
        card_lock.execute(
            Actor(user=other_member.user, owner=other_member),
            {"card": str(credit_card.public_id), "lock": True},
            "forged",
        )
    assert not refreshed(credit_card).member_locked

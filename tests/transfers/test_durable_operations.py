"""A transfer is an operation row, not a session entry: it survives the member's session,
a worker executes one with no request, and each money operation replays to its first
result under its key (a transfer, a loan installment, an own-card purchase)."""

from decimal import Decimal

import pytest
from django.test import Client

from accounts.models import Operation, Session
from accounts.operations import (
    Actor,
    operation_approve,
    operation_execute,
    operation_prepare,
    operation_revise,
    operation_submit_for_approval,
)
from accounts.tasks import execute_operation
from ledger.models import Journal
from tests.auth import last_code, op_id
from tests.factories import MemberFactory
from transfers.models import Transfer
from transfers.operations import transfer_own

URL = "/transferencias/mis-cuentas/"
D = Decimal


def _balance(account):
    account.ledger_account.refresh_from_db()
    return account.ledger_account.balance


def _form(savings, certificates, amount="25.00"):
    return {"origen": savings.public_id, "destino": certificates.public_id, "monto": amount}


def test_a_transfer_survives_the_end_of_the_session_between_continuar_and_the_code(
    member, savings, certificates
):
    browser = Client()
    browser.force_login(member.user)
    step = browser.post(URL, {"step": "form", **_form(savings, certificates)})
    op, code = op_id(step), last_code()
    Session.objects.all().delete()  # the session is gone: signed out, cleared, expired
    assert browser.get(URL).status_code == 302  # to the sign-in page
    browser.force_login(member.user)  # signed in again, with a new session
    done = browser.post(URL, {"step": "confirm", "op": op, "answer": code}).content.decode()
    assert "¡Transferencia exitosa!" in done
    assert _balance(certificates) == D("25.00")
    assert Operation.objects.get(public_id=op).state == Operation.State.EXECUTED


def test_an_operation_left_past_its_window_says_it_expired_and_moves_nothing(
    member_client, member, savings, certificates
):
    step = member_client.post(URL, {"step": "form", **_form(savings, certificates)})
    op, code = op_id(step), last_code()
    Operation.objects.filter(public_id=op).update(expires_at="2000-01-01T00:00Z")
    page = member_client.post(URL, {"step": "confirm", "op": op, "answer": code})
    assert "La operación expiró antes de confirmarla. Vuelve a iniciarla." in page.content.decode()
    assert Operation.objects.get(public_id=op).state == Operation.State.EXPIRED
    assert _balance(certificates) == D("0.00")


def test_another_users_operation_id_is_not_found(client, member, savings, certificates):
    client.force_login(member.user)
    step = client.post(URL, {"step": "form", **_form(savings, certificates)})
    stranger = MemberFactory()
    client.force_login(stranger.user)
    page = client.post(URL, {"step": "confirm", "op": op_id(step), "answer": last_code()})
    assert page.status_code == 404


def test_a_worker_executes_a_transfer_with_no_request(member, savings, certificates):
    actor = Actor(user=None, owner=member, channel="system")
    operation = operation_prepare(
        kind=transfer_own, actor=actor, data=_form(savings, certificates, "40.00")
    )
    assert execute_operation.delay(operation.pk).get() == Operation.State.EXECUTED
    assert execute_operation.delay(operation.pk).get() == Operation.State.EXECUTED  # redelivered
    operation.refresh_from_db()
    transfer = Transfer.objects.get()
    assert transfer.key == operation.key and transfer.journal.actor is None
    assert operation.result["title"] == "¡Transferencia exitosa!"
    assert _balance(certificates) == D("40.00")


def test_an_approved_transfer_is_executed_from_another_session(
    member, savings, certificates, django_capture_on_commit_callbacks
):
    approver = MemberFactory().user
    actor = Actor(user=member.user, owner=member)
    prepared = transfer_own.prepare(actor, _bound(actor, savings, certificates), {})
    operation = operation_submit_for_approval(
        kind=transfer_own, actor=actor, prepared=prepared, signatures_required=1
    )
    assert not Transfer.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        operation_approve(operation=operation, user=approver, digest=operation.digest)
    operation.refresh_from_db()
    assert operation.state == Operation.State.EXECUTED
    assert Transfer.objects.get().journal.actor == member.user  # who entered it
    assert _balance(certificates) == D("25.00")


def test_an_approval_of_an_earlier_payload_is_refused(member, savings, certificates):
    approver = MemberFactory().user
    actor = Actor(user=member.user, owner=member)
    first = transfer_own.prepare(actor, _bound(actor, savings, certificates), {})
    operation = operation_submit_for_approval(
        kind=transfer_own, actor=actor, prepared=first, signatures_required=1
    )
    seen = operation.digest
    changed = transfer_own.prepare(actor, _bound(actor, savings, certificates, "900.00"), {})
    operation_revise(operation=operation, prepared=changed)
    from accounts.exceptions import ApprovalRefused

    with pytest.raises(ApprovalRefused, match="cambió después de que la revisaste"):
        operation_approve(operation=operation, user=approver, digest=seen)
    operation.refresh_from_db()
    assert operation.state == Operation.State.PENDING_APPROVAL
    assert not Transfer.objects.exists()


def test_executing_a_transfer_again_returns_the_first_receipt(member, savings, certificates):
    actor = Actor(user=member.user, owner=member)
    operation = operation_prepare(kind=transfer_own, actor=actor, data=_form(savings, certificates))
    operation_execute(operation=operation)
    first = dict(operation.result)
    again = transfer_own.execute(actor, {**_payload(operation)}, operation.key)
    assert again["message"] == first["message"]
    assert Transfer.objects.count() == 1 and _balance(certificates) == D("25.00")


def _bound(actor, savings, certificates, amount="25.00"):
    form = transfer_own.form_class(
        _form(savings, certificates, amount), **transfer_own.form_kwargs(actor)
    )
    assert form.is_valid(), form.errors
    return form


def _payload(operation):
    from accounts.operations import operation_payload

    payload = operation_payload(operation)
    assert payload, "a transfer keeps its payload"
    return payload


@pytest.mark.parametrize("twice", [1, 2])
def test_journals_are_never_doubled_by_replays(member, savings, certificates, twice):
    actor = Actor(user=None, owner=member, channel="system")
    operation = operation_prepare(kind=transfer_own, actor=actor, data=_form(savings, certificates))
    before = Journal.objects.count()
    for _ in range(twice):
        execute_operation.delay(operation.pk)
    assert Journal.objects.count() == before + 1

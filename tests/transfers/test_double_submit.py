"""Two confirmations of one transfer with its one code — a double click, a second tab:
the transfer is made once, and both pages say it was done (the same receipt, or "Esta
operación ya se realizó"), never "Superaste el número de intentos"."""

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from http.cookies import SimpleCookie

import pytest
from django.conf import settings
from django.db import connections
from django.test import Client

from accounts import challenges, confirm
from accounts.exceptions import ChallengeExhausted, ChallengeUsed
from accounts.models import Operation
from accounts.operations import operation_execute, operation_payload
from ledger.exceptions import InsufficientFunds
from tests.auth import last_code, op_id
from transfers.models import Transfer
from transfers.operations import TransferOperation

URL = "/transferencias/mis-cuentas/"
D = Decimal


def signed_in(member) -> Client:
    browser = Client()
    browser.force_login(member.user)
    return browser


def same_session(browser: Client) -> Client:
    """A second tab: another client with the first one's session cookie."""
    tab = Client()
    tab.cookies = SimpleCookie()
    tab.cookies[settings.SESSION_COOKIE_NAME] = browser.cookies[settings.SESSION_COOKIE_NAME].value
    return tab


def prepare(browser, savings, certificates, amount="10.00"):
    """The transfer form, sent: returns the operation id and its code."""
    step = browser.post(
        URL,
        {
            "step": "form",
            "origen": savings.public_id,
            "destino": certificates.public_id,
            "monto": amount,
        },
    )
    return op_id(step), last_code()


def confirm_at_once(browsers, op, code) -> list[str]:
    barrier = threading.Barrier(len(browsers))

    def submit(browser):
        try:
            barrier.wait()
            response = browser.post(URL, {"step": "confirm", "op": op, "answer": code})
            return response.content.decode()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(len(browsers)) as pool:
        return list(pool.map(submit, browsers))


def said_done(html: str) -> bool:
    return "¡Transferencia exitosa!" in html or confirm.ALREADY_DONE in html


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_confirmations_transfer_once_and_both_say_it_was_done(
    member, savings, certificates
):
    first = signed_in(member)
    second = same_session(first)
    for round_ in range(1, 4):
        op, code = prepare(first, savings, certificates)
        pages = confirm_at_once([first, second], op, code)
        assert Transfer.objects.count() == round_
        for html in pages:
            assert "intentos" not in html
            assert "ya fue utilizado" not in html
            assert said_done(html), html
    savings.ledger_account.refresh_from_db()
    assert savings.ledger_account.balance == D("970.00")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_when_the_first_confirmation_is_refused_the_second_does_not_say_done(
    member, savings, certificates, monkeypatch
):
    def refused(self, actor, payload, key):
        raise InsufficientFunds

    monkeypatch.setattr(TransferOperation, "execute", refused)
    first = signed_in(member)
    op, code = prepare(first, savings, certificates)
    pages = confirm_at_once([first, same_session(first)], op, code)
    assert not Transfer.objects.exists()
    for html in pages:
        assert not said_done(html)
        assert "intentos" not in html
    assert any("Saldo insuficiente" in html for html in pages)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_losers_of_simultaneous_right_answers_are_told_the_code_was_used(member):
    challenge = challenges.challenge_start(
        user=member.user, purpose="transfer", payload={}, method="otp"
    )
    code = last_code()
    barrier = threading.Barrier(6)

    def submit(_):
        barrier.wait()
        try:
            challenges.challenge_verify(
                user=member.user,
                public_id=challenge.public_id,
                purpose="transfer",
                payload={},
                answer=code,
            )
            return "ok"
        except ChallengeUsed:
            return "used"
        except ChallengeExhausted:
            return "exhausted"
        finally:
            connections.close_all()

    with ThreadPoolExecutor(6) as pool:
        outcomes = list(pool.map(submit, range(6)))
    assert sorted(outcomes) == ["ok"] + ["used"] * 5


def used_meanwhile(member, op, code) -> Operation:
    """What a simultaneous confirmation leaves behind before this request looks: the code
    used up (and, when the test goes on, the operation executed)."""
    operation = Operation.objects.get(public_id=op)
    challenges.challenge_verify(
        user=member.user,
        public_id=operation.challenge.public_id,
        purpose="transfer_own",
        payload=operation_payload(operation),
        answer=code,
    )
    return operation


def test_the_second_confirmation_shows_the_receipt_of_the_first(
    client, member, savings, certificates
):
    client.force_login(member.user)
    op, code = prepare(client, savings, certificates)
    operation = operation_execute(operation=used_meanwhile(member, op, code))
    transfer = Transfer.objects.get()
    assert transfer.key == operation.key
    html = client.post(URL, {"step": "confirm", "op": op, "answer": code}).content.decode()
    assert "¡Transferencia exitosa!" in html
    assert f"Comprobante N.º {transfer.journal.reference}" in html
    assert Transfer.objects.count() == 1


def test_without_a_result_in_time_it_says_the_operation_was_done(
    client, member, savings, certificates, monkeypatch
):
    monkeypatch.setattr(confirm, "ALREADY_DONE_WAIT", 0.3)
    client.force_login(member.user)
    op, code = prepare(client, savings, certificates)
    used_meanwhile(member, op, code)
    html = client.post(URL, {"step": "confirm", "op": op, "answer": code}).content.decode()
    assert "Esta operación ya se realizó." in html
    assert 'href="/transferencias/"' in html  # where the latest transfers are listed
    assert "intentos" not in html and "ya fue utilizado" not in html

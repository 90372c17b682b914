"""The factor de seguridad: bound to one operation, single use, short life, few tries."""

import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import time_machine
from django.db import connections
from django.utils import timezone

from accounts import challenges
from accounts.credentials import hash_answer
from accounts.exceptions import (
    ChallengeError,
    ChallengeExhausted,
    ChallengeExpired,
    ChallengeMismatch,
    ChallengeUsed,
    TooManySends,
    WrongAnswer,
)
from accounts.models import Challenge, SecurityAnswer, SecurityQuestion
from core.models import Cooperative
from core.notifications import LocmemSmsBackend
from core.profile import cooperative_activate
from tests.auth import last_code

TRANSFER = {"source": "410112060750", "target": "410112060999", "amount": "25.00"}


@pytest.fixture
def start(django_capture_on_commit_callbacks):
    """challenge_start, with the code delivered as it is once the transaction commits."""

    def start_(**kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return challenges.challenge_start(**kwargs)

    return start_


@pytest.fixture
def challenge(member, start):
    return start(
        user=member.user,
        purpose="transfer",
        payload=TRANSFER,
        summary="Transferencia de $25.00 a la cuenta ****0999",
        method=Challenge.Method.OTP,
    )


def verify(member, challenge, answer, *, purpose="transfer", payload=TRANSFER):
    return challenges.challenge_verify(
        user=member.user,
        public_id=challenge.public_id,
        purpose=purpose,
        payload=payload,
        answer=answer,
    )


def test_the_code_is_six_digits_and_names_the_operation(challenge):
    message = LocmemSmsBackend.outbox[-1]
    assert message.to == "+593991234567"
    assert "Transferencia de $25.00 a la cuenta ****0999" in message.body
    assert len(last_code()) == 6 and last_code().isdigit()


def test_the_code_is_stored_only_as_an_hmac(challenge):
    stored = Challenge.objects.get(pk=challenge.pk)
    assert last_code() not in str(stored.__dict__)
    assert len(stored.code_hmac) == 64


def test_the_right_code_confirms_once(member, challenge):
    code = last_code()
    assert verify(member, challenge, code).used_at is not None
    with pytest.raises(ChallengeUsed):
        verify(member, challenge, code)


@pytest.mark.postgres  # the statements as PostgreSQL receives them
def test_the_sent_code_is_claimed_and_used_up_in_one_statement(
    member, challenge, django_assert_num_queries
):
    """The claim of a try uses the challenge up too when the typed code is the sent one:
    then only the security log's entry (its lock and the chain's end, sent together, and
    the INSERT), inside the transaction (here the test's savepoint and its release)."""
    code = last_code()
    with django_assert_num_queries(6) as captured:
        verify(member, challenge, code)
    challenge_statements = [
        q["sql"] for q in captured.captured_queries if "accounts_challenge" in q["sql"]
    ]
    assert len(challenge_statements) == 1
    assert challenge_statements[0].startswith("UPDATE") and "RETURNING" in challenge_statements[0]
    stored = Challenge.objects.get(pk=challenge.pk)
    assert stored.used_at is not None and stored.attempts == 1


def test_the_right_code_typed_late_is_not_used_up(member, challenge):
    code = last_code()
    later = timezone.now() + timedelta(minutes=3, seconds=1)
    with time_machine.travel(later), pytest.raises(ChallengeExpired):
        verify(member, challenge, code)
    stored = Challenge.objects.get(pk=challenge.pk)
    assert stored.used_at is None and stored.attempts == 1


def test_a_voided_challenge_takes_no_try_even_with_the_right_code(member, challenge):
    code = last_code()
    Challenge.objects.filter(pk=challenge.pk).update(voided_at=timezone.now())
    with pytest.raises(ChallengeExhausted):
        verify(member, challenge, code)
    stored = Challenge.objects.get(pk=challenge.pk)
    assert stored.used_at is None and stored.attempts == 0


def test_a_code_cannot_confirm_another_operation(member, challenge):
    code = last_code()
    with pytest.raises(ChallengeMismatch):
        verify(member, challenge, code, payload={**TRANSFER, "amount": "2500.00"})
    with pytest.raises(ChallengeMismatch):
        verify(member, challenge, code, purpose="beneficiary")
    assert Challenge.objects.get(pk=challenge.pk).attempts == 0  # no try spent on them


def test_another_members_code_is_refused(member, other_member, challenge):
    with pytest.raises(ChallengeMismatch):
        challenges.challenge_verify(
            user=other_member.user,
            public_id=challenge.public_id,
            purpose="transfer",
            payload=TRANSFER,
            answer=last_code(),
        )


def test_three_wrong_codes_end_the_challenge_even_with_resends(
    member, challenge, django_capture_on_commit_callbacks
):
    with pytest.raises(WrongAnswer, match="Te quedan 2 intentos"):
        verify(member, challenge, "000000")
    with time_machine.travel(timezone.now() + timedelta(seconds=31)):
        with django_capture_on_commit_callbacks(execute=True):
            challenges.challenge_resend(user=member.user, public_id=challenge.public_id)
        with pytest.raises(WrongAnswer, match="Te queda 1 intento"):
            verify(member, challenge, "000001")
        with pytest.raises(ChallengeExhausted):
            verify(member, challenge, "000002")
        with pytest.raises(ChallengeExhausted):
            verify(member, challenge, last_code())


def test_a_wrong_code_counts_even_though_it_is_refused(member, challenge):
    with pytest.raises(WrongAnswer):
        verify(member, challenge, "999999")
    assert Challenge.objects.get(pk=challenge.pk).attempts == 1


def test_codes_expire_after_three_minutes(member, challenge):
    code = last_code()
    later = timezone.now() + timedelta(minutes=3, seconds=1)
    with time_machine.travel(later), pytest.raises(ChallengeExpired):
        verify(member, challenge, code)


def test_a_new_challenge_voids_the_previous_one_for_the_same_purpose(member, challenge, start):
    code = last_code()
    start(user=member.user, purpose="transfer", payload=TRANSFER, method="otp")
    with pytest.raises(ChallengeExhausted):
        verify(member, challenge, code)


def test_a_new_code_over_the_send_cap_leaves_the_open_one_valid(
    member, challenge, start, monkeypatch
):
    code = last_code()
    monkeypatch.setitem(challenges.MAX_SENDS_PER_WINDOW, "operations", 1)
    with pytest.raises(TooManySends):
        start(user=member.user, purpose="transfer", payload=TRANSFER, method="otp")
    assert Challenge.objects.count() == 1  # nothing stored, nothing voided
    assert verify(member, challenge, code).used_at is not None


@pytest.mark.postgres  # the statements as PostgreSQL receives them
def test_a_new_challenge_voids_and_is_stored_in_one_exchange(
    member, challenge, django_assert_num_queries
):
    """The earlier open ones voided and the new one inserted, sent together inside one
    transaction (here the test's savepoint and its release); then the code is sent and
    the security log says so (its lock and chain's end, its entry)."""
    with django_assert_num_queries(7) as captured:
        challenges.challenge_start(
            user=member.user, purpose="transfer", payload=TRANSFER, method="otp"
        )
    statements = [q["sql"].split()[0] for q in captured.captured_queries[:4]]
    assert statements == ["SAVEPOINT", "UPDATE", "INSERT", "RELEASE"]
    assert Challenge.objects.get(pk=challenge.pk).voided_at is not None


def test_sends_are_capped_per_quarter_hour(member, start):
    """Twenty operations a quarter hour (a member at work), five sign-in codes."""
    for n in range(20):
        start(user=member.user, purpose=f"p{n}", payload={}, method="otp")
    with pytest.raises(TooManySends):
        start(user=member.user, purpose="p21", payload={}, method="otp")
    for _ in range(5):
        start(user=member.user, purpose="login", payload={}, method="otp")
    with pytest.raises(TooManySends):
        start(user=member.user, purpose="login", payload={}, method="otp")


def test_a_transaction_pin_confirms_in_the_bolivian_profile(member, cooperative):
    from django.contrib.auth.hashers import make_password

    cooperative_activate(cooperative=Cooperative.objects.get(slug="progreso-bo"))
    member.user.transaction_pin = make_password("4826")
    member.user.save()
    pin_challenge = challenges.challenge_start(
        user=member.user, purpose="transfer", payload=TRANSFER
    )
    assert pin_challenge.method == Challenge.Method.PIN
    with pytest.raises(WrongAnswer, match="La respuesta no es correcta"):
        verify(member, pin_challenge, "1111")
    assert verify(member, pin_challenge, "4826").used_at


def test_a_security_question_confirms_in_the_panamanian_profile(member, cooperative):
    cooperative_activate(cooperative=Cooperative.objects.get(slug="cooprofesionales-pa"))
    question = SecurityQuestion.objects.first()
    SecurityAnswer.objects.create(
        user=member.user, question=question, answer_hash=hash_answer("Bombero")
    )
    asked = challenges.challenge_start(user=member.user, purpose="transfer", payload=TRANSFER)
    assert (asked.method, asked.question) == (Challenge.Method.QUESTION, question)
    assert verify(member, asked, "  bombéro ").used_at


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_submissions_of_one_code_confirm_once(member):
    challenge = challenges.challenge_start(
        user=member.user, purpose="transfer", payload=TRANSFER, method="otp"
    )
    code = last_code()
    barrier = threading.Barrier(6)

    def submit(_):
        barrier.wait()
        try:
            verify(member, challenge, code)
            return "ok"
        except (ChallengeUsed, ChallengeExhausted):
            return "refused"
        finally:
            connections.close_all()

    with ThreadPoolExecutor(6) as pool:
        outcomes = list(pool.map(submit, range(6)))
    assert outcomes.count("ok") == 1


def test_one_phone_gets_at_most_thirty_codes_a_quarter_hour_whoever_asks(member, start):
    from tests.factories import MemberFactory

    twins = [MemberFactory(mobile_phone=member.mobile_phone) for _ in range(2)]
    sent = 0
    for who in [member, *twins]:
        for n in range(12):
            try:
                start(user=who.user, purpose=f"p{n}", payload={}, method="otp")
                sent += 1
            except TooManySends:
                pass
    assert sent == 30


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_wrong_codes_get_no_more_than_three_tries(member):
    challenge = challenges.challenge_start(
        user=member.user, purpose="transfer", payload=TRANSFER, method="otp"
    )
    compared = []
    original = challenges._answer_matches

    def counting(*args):
        compared.append(1)
        return original(*args)

    barrier = threading.Barrier(10)

    def submit(n):
        barrier.wait()
        try:
            with contextlib.suppress(ChallengeError):
                verify(member, challenge, f"{n:06d}")
        finally:
            connections.close_all()

    challenges._answer_matches = counting
    try:
        with ThreadPoolExecutor(10) as pool:
            list(pool.map(submit, range(10)))
    finally:
        challenges._answer_matches = original
    assert len(compared) <= 3


def test_wrong_pins_across_new_operations_lock_the_user(member, cooperative):
    from django.contrib.auth.hashers import make_password

    cooperative_activate(cooperative=Cooperative.objects.get(slug="progreso-bo"))
    member.user.transaction_pin = make_password("4826")
    member.user.save()
    from accounts.exceptions import SecretsLocked

    for n in range(3):
        fresh = challenges.challenge_start(user=member.user, purpose="transfer", payload={"n": n})
        try:
            verify(member, fresh, "1111", payload={"n": n})
        except SecretsLocked:
            break
        except WrongAnswer:
            continue
    member.user.refresh_from_db()
    assert member.user.is_locked


@pytest.mark.parametrize("purpose", ["card_pin_change", "card_pin_recover", "password_change"])
def test_credentials_take_a_sent_code_even_where_a_transaction_pin_confirms(
    db, cooperative, purpose
):
    from accounts.challenges import method_for
    from accounts.models import Challenge
    from core.models import Cooperative

    cooperative.confirmation_method = Cooperative.ConfirmationMethod.TRANSACTION_PIN
    cooperative.save()
    assert method_for(purpose) == Challenge.Method.OTP
    assert method_for("transfer_own") == Challenge.Method.PIN

"""The portal's one second-factor mechanism ("Factor de seguridad").

A challenge binds a user, a purpose ("login", "transfer", …) and a digest of the exact
operation it confirms (origin, destination, amount…): a code issued for one transfer
cannot confirm another, nor the same one with a changed amount. OTP codes are six
digits made with pyotp from a fresh random secret, valid three minutes, sent to the
member's notification channels, stored only as an HMAC and used at most once (one
conditional UPDATE). Three wrong answers end the challenge, counted across resends;
"Reenviar" replaces the code after a cooldown, within a cap per quarter hour.

A code is delivered right after the transaction that stored it commits, on each channel
on its own (SMS and e-mail): it counts against the send caps only once a channel took
it; a code that reached nobody is taken back and ``CodeNotDelivered`` tells the view,
which shows the code step with "No pudimos enviar tu código…" and «Reenviar». Wrong
answers also count per address and per user across challenges (``TooManyGuesses``,
answered with HTTP 429), so codes cannot be sprayed over many challenges.

Profiles that confirm with a transaction PIN or a security question use the same
challenge, compared with the user's stored hashes instead of a sent code.

``challenge_verify`` runs in its own durable transaction, so a wrong answer is recorded
even though the operation it guards is refused; callers verify first and then execute.
"""

import hashlib
import hmac
import json
import logging
import random
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache as memoized

import pyotp
from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.audit import audit_log
from accounts.authenticator import authenticator_accepts
from accounts.credentials import normalize_answer
from accounts.exceptions import (
    ChallengeExhausted,
    ChallengeExpired,
    ChallengeMismatch,
    ChallengeUsed,
    CodeNotDelivered,
    ResendTooSoon,
    SecretsLocked,
    TooManyGuesses,
    TooManySends,
    WrongAnswer,
)
from accounts.models import Challenge, SecurityAnswer, SecurityQuestion, User
from accounts.sessions import user_sessions_end
from core.db.rows import (
    Columns,
    Reading,
    columns_sql,
    reading_run,
    readings_run,
    rows_cut,
    rows_inserting,
    rows_read,
)
from core.models import Cooperative
from core.notifications import notification_send
from core.profile import cooperative_current
from core.ratelimit import hit_limit, hits_over, hits_return

logger = logging.getLogger(__name__)

LIFETIME = timedelta(minutes=3)
MAX_ATTEMPTS = 3
RESEND_COOLDOWN = timedelta(seconds=30)
SEND_WINDOW = timedelta(minutes=15)
# Codes per user and purpose group in SEND_WINDOW. Signing in and recovering take a code
# or two; a member at work confirms many operations (each review sends one), so that
# group gets room for a busy quarter hour while still capping what an intruder can spend.
MAX_SENDS_PER_WINDOW = {"signin": 5, "recovery": 5, "operations": 20}
MAX_SENDS_PER_CHALLENGE = 2  # the first code and one "Reenviar"
MAX_SENDS_PER_PHONE = 30  # whoever asks: at most the groups' sum reaches one phone
MAX_WRONG_SECRETS = 3  # wrong PINs or security answers, across challenges, then locked
# Answers that confirm nothing (wrong, expired, for another operation…), counted across
# challenges and flows in GUESS_WINDOW; a right answer is not counted. A member who
# mistypes a few times never comes near; three wrong codes already end a challenge, so
# these stop someone who starts challenge after challenge, or sprays codes over many
# users' challenges from one address. Past a limit the answer is HTTP 429.
GUESS_WINDOW = timedelta(minutes=15)
MAX_GUESSES_PER_USER = 10
MAX_GUESSES_PER_IP = 20
RECOVERY = frozenset({"unlock", "forgot_username", "forgot_password", "enrollment"})


def payload_digest(purpose: str, payload: dict) -> str:
    body = json.dumps({"purpose": purpose, "payload": payload}, sort_keys=True, default=str)
    return hashlib.sha256(body.encode()).hexdigest()


def _code_hmac(public_id: uuid.UUID, code: str) -> str:
    """What is stored of the code ``code`` sent for the challenge ``public_id``."""
    key = hashlib.sha256(("otp:" + settings.SECRET_KEY).encode()).digest()
    message = f"{public_id}:{code}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _new_code() -> str:
    return pyotp.HOTP(pyotp.random_base32(), digits=6).at(0)


# Signing in, recovering credentials and changing how one signs in or is reached always
# take a code sent to the registered channels: a PIN or a security answer is something
# that could have been lost together with the password.
ALWAYS_CODE = frozenset(
    {
        "login",
        "personalize",
        "unlock",
        "forgot_username",
        "forgot_password",
        "enrollment",
        "pin_change",
        "password_change",
        "username_change",
        "questions_change",
        "image_change",
        "personal_data",
        "device_remove",
        "authenticator_add",
        "authenticator_remove",
        "passkey_add",
        "passkey_remove",
        # A card's PIN is a credential too: the transaction PIN never confirms its change.
        "card_pin_change",
        "card_pin_recover",
    }
)


def method_for(purpose: str) -> str:
    """How this cooperative confirms ``purpose``: a sent code, the transaction PIN or a
    security question. Operations that move money follow the profile; everything in
    ``ALWAYS_CODE`` takes a code — except that the Panamanian profile asks its security
    question at sign-in, as its manual does."""
    method = cooperative_current().confirmation_method
    if purpose == "login" and method == Cooperative.ConfirmationMethod.SECURITY_QUESTION:
        return Challenge.Method.QUESTION
    if purpose in ALWAYS_CODE:
        return Challenge.Method.OTP
    return {
        Cooperative.ConfirmationMethod.OTP: Challenge.Method.OTP,
        Cooperative.ConfirmationMethod.TRANSACTION_PIN: Challenge.Method.PIN,
        Cooperative.ConfirmationMethod.SECURITY_QUESTION: Challenge.Method.QUESTION,
    }[method]


def _recipients(user: User) -> tuple[str | None, str | None]:
    member = getattr(user, "member", None)
    phone = member.mobile_phone if member else None
    email = (member.email if member else None) or user.email or None
    return phone, email


def masked_channels(user: User, *, only: list[str] | None = None) -> str:
    """ "tu celular ***4321 y tu correo m***@example.com" — where the code went (``only``
    the channels that took it, when that is known)."""
    phone, email = _recipients(user)
    if only:
        phone = phone if "sms" in only else None
        email = email if "email" in only else None
    parts = []
    if phone:
        parts.append(f"tu celular terminado en {phone[-4:]}")
    if email:
        name, _, domain = email.partition("@")
        parts.append(f"tu correo {name[:1]}***@{domain}")
    return " y ".join(parts)


def _message(challenge: Challenge, code: str) -> str:
    text = f"{cooperative_current().short_name}: tu código de seguridad es {code}."
    if challenge.summary:
        text += f" {challenge.summary}."
    return text + " Vence en 3 minutos. No lo compartas con nadie."


def _group(purpose: str) -> str:
    if purpose in {"login", "personalize"}:
        return "signin"
    return "recovery" if purpose in RECOVERY else "operations"


def _budget_keys(challenge: Challenge) -> list[tuple[str, int]]:
    phone, _ = _recipients(challenge.user)
    group = _group(challenge.purpose)
    keys = [(f"otp:user:{challenge.user.pk}:{group}", MAX_SENDS_PER_WINDOW[group])]
    if phone:
        keys.append((f"otp:phone:{phone}", MAX_SENDS_PER_PHONE))
    return keys


def _over_budget(challenge: Challenge, *, at: float) -> bool:
    """Send caps: per challenge, per user and purpose group (so recovery requests cannot
    use up a member's sign-in codes), and per phone number whoever asks."""
    if challenge.sends >= MAX_SENDS_PER_CHALLENGE:
        return True
    window = int(SEND_WINDOW.total_seconds())
    return bool(hits_over(_budget_keys(challenge), window, at=at))


@dataclass(frozen=True)
class _Issued:
    """A code stored (as its HMAC) but not yet delivered, and what it replaced."""

    code: str
    code_hmac: str
    counted_at: float
    previous_hmac: str
    previous_expiry: datetime


def _issue(challenge: Challenge, *, save: bool = True) -> _Issued:
    """Checks the send caps and sets a fresh code on ``challenge``, saved in the caller's
    transaction (``save=False``: a challenge about to be inserted, saved with it)."""
    counted_at = time.time()
    if _over_budget(challenge, at=counted_at):
        raise TooManySends
    code = _new_code()
    issued = _Issued(
        code=code,
        code_hmac=_code_hmac(challenge.public_id, code),
        counted_at=counted_at,
        previous_hmac=challenge.code_hmac,
        previous_expiry=challenge.expires_at,
    )
    now = timezone.now()
    challenge.code_hmac = issued.code_hmac
    challenge.last_sent_at = now
    challenge.expires_at = now + LIFETIME
    challenge.sends += 1
    if save:
        challenge.save(update_fields=["code_hmac", "last_sent_at", "expires_at", "sends"])
    return issued


def _delivered_key(challenge: Challenge) -> str:
    return f"otp:delivered:{challenge.public_id}"


def _deliver(challenge: Challenge, issued: _Issued, *, request=None) -> None:
    """After commit: sends the code by SMS and e-mail. When no channel took it, the
    challenge gets back the code it had before (none, for a first send), the send is
    not counted, and ``CodeNotDelivered`` is raised; the cooldown before «Reenviar»
    still applies, so an outage is not hammered."""
    user = challenge.user
    phone, email = _recipients(user)
    channels = notification_send(
        phone=phone,
        email=email,
        subject=f"{cooperative_current().short_name}: código de seguridad",
        body=_message(challenge, issued.code),
    )
    if channels:
        cache.set(_delivered_key(challenge), sorted(channels), LIFETIME.total_seconds())
        audit_log(
            event="otp_sent",
            user=user,
            request=request,
            purpose=challenge.purpose,
            channels=sorted(channels),
        )
        return
    Challenge.objects.filter(pk=challenge.pk, code_hmac=issued.code_hmac).update(
        code_hmac=issued.previous_hmac, expires_at=issued.previous_expiry, sends=F("sends") - 1
    )
    challenge.code_hmac, challenge.expires_at = issued.previous_hmac, issued.previous_expiry
    challenge.sends -= 1
    window = int(SEND_WINDOW.total_seconds())
    hits_return([name for name, _ in _budget_keys(challenge)], window, at=issued.counted_at)
    audit_log(event="otp_undelivered", user=user, request=request, purpose=challenge.purpose)
    raise CodeNotDelivered(challenge=challenge)


def code_delivered(challenge: Challenge) -> bool:
    """Whether the challenge has a code out there to type (OTP challenges only)."""
    return challenge.method != Challenge.Method.OTP or bool(challenge.code_hmac)


def delivered_channels(challenge: Challenge) -> list[str]:
    """The channels that took the challenge's last code (``["email", "sms"]``)."""
    return cache.get(_delivered_key(challenge)) or []


def challenge_start(
    *,
    user: User,
    purpose: str,
    payload: dict,
    summary: str = "",
    method: str | None = None,
    request=None,
) -> Challenge:
    """Opens a challenge for one operation (voiding this user's earlier open ones for the
    same purpose) and, for OTP, sends the code once that is committed: raises
    ``CodeNotDelivered`` (carrying the open challenge, for «Reenviar») when no channel
    took it, ``TooManySends`` over the send caps."""
    method = method or method_for(purpose)
    now = timezone.now()
    issued = None
    challenge = Challenge(
        user=user,
        purpose=purpose,
        payload_digest=payload_digest(purpose, payload),
        method=method,
        summary=summary[:200],
        created_at=now,
        expires_at=now + LIFETIME,
    )
    if method == Challenge.Method.QUESTION:
        answers = list(SecurityAnswer.objects.filter(user=user).select_related("question"))
        if answers:
            challenge.question = random.SystemRandom().choice(answers).question
    if method == Challenge.Method.OTP:
        issued = _issue(challenge, save=False)  # inserted with its first code
    # The earlier ones voided and this one stored, in one transaction, sent together.
    with transaction.atomic(durable=True):
        readings_run(_voiding(user=user, purpose=purpose, now=now), rows_inserting([challenge]))
    if issued is not None:
        _deliver(challenge, issued, request=request)
    return challenge


def _voiding(*, user: User, purpose: str, now: datetime) -> Reading[int]:
    """Voids ``user``'s open challenges for ``purpose``: how many."""
    table = Challenge._meta.db_table
    now = Challenge._meta.get_field("voided_at").get_db_prep_value(now, connection)
    rows = yield (
        f"UPDATE {table} SET voided_at = %s "  # noqa: S608 - no input in the text
        "WHERE user_id = %s AND purpose = %s AND used_at IS NULL AND voided_at IS NULL "
        "RETURNING id",
        [now, user.pk, purpose],
    )
    return len(rows)


def challenge_get(*, user: User, public_id) -> Challenge:
    return get_object_or_404(
        Challenge.objects.select_related("question"), user=user, public_id=public_id
    )


def challenge_resend(*, user: User, public_id, request=None) -> Challenge:
    """ "¿No te llegó el código? Reenviar": a new code replaces the old one (which stays
    valid if the new one reaches nobody: ``CodeNotDelivered``)."""
    now = timezone.now()
    with transaction.atomic(durable=True):
        challenge = Challenge.objects.select_for_update().get(user=user, public_id=public_id)
        if challenge.used_at or challenge.voided_at or challenge.attempts >= MAX_ATTEMPTS:
            raise ChallengeExhausted
        if challenge.method != Challenge.Method.OTP:
            return challenge
        if challenge.last_sent_at and now - challenge.last_sent_at < RESEND_COOLDOWN:
            raise ResendTooSoon
        issued = _issue(challenge)
    _deliver(challenge, issued, request=request)
    return challenge


def _answer_matches(challenge: Challenge, answer: str) -> bool:
    answer = (answer or "").strip()
    if challenge.method == Challenge.Method.OTP:
        if hmac.compare_digest(challenge.code_hmac, _code_hmac(challenge.public_id, answer)):
            return True
        return authenticator_accepts(user=challenge.user, code=answer)
    if challenge.method == Challenge.Method.PIN:
        return bool(challenge.user.transaction_pin) and check_password(
            answer, challenge.user.transaction_pin
        )
    stored = (
        SecurityAnswer.objects.filter(user=challenge.user, question=challenge.question)
        .values_list("answer_hash", flat=True)
        .first()
    )
    return bool(stored) and check_password(normalize_answer(answer), stored)


def challenge_verify(
    *, user: User, public_id, purpose: str, payload: dict, answer: str, request=None
) -> Challenge:
    """Checks ``answer`` for the challenge and uses it up; raises a ``ChallengeError``
    (with a Spanish message) otherwise.

    A try is claimed — committed — *before* the answer is judged, with a conditional
    UPDATE, so parallel submissions cannot make more than three guesses; the right
    answer uses the challenge up with a conditional UPDATE too (exactly one of two
    simultaneous right answers wins). Before anything, the answer is counted against
    the address's and the user's guesses (``TooManyGuesses``); a right one is given back.

    The common case — the sent code, typed in time — is one statement: the claim also
    uses the challenge up when the stored HMAC is the typed code's (computed before, from
    the challenge's public id). Comparing HMACs in SQL rather than in constant time tells
    nothing: without the key nobody can make an HMAC to compare. Anything else (an
    authenticator's code, a PIN, an answer, a late or wrong code) is judged in Python
    after the claim, as it was sent; and a claim that matches nothing is read again only
    to say why it was refused.
    """
    counted_at = guess_claim(request=request, user=user)
    try:
        public_id = uuid.UUID(str(public_id))
    except ValueError:
        raise ChallengeMismatch from None
    answer = (answer or "").strip()
    refusal = None
    with transaction.atomic(durable=True):
        now = timezone.now()
        challenge = reading_run(
            _claiming(
                user=user,
                public_id=public_id,
                digest=payload_digest(purpose, payload),
                purpose=purpose,
                code_hmac=_code_hmac(public_id, answer),
                now=now,
            )
        )
        if challenge is None:
            raise _unclaimed(user=user, public_id=public_id, purpose=purpose, payload=payload)
        if challenge.used_at is not None:  # the sent code, used up by the claim
            audit_log(event="otp_ok", user=user, request=request, purpose=purpose)
        elif challenge.expires_at <= now:
            audit_log(event="otp_expired", user=user, request=request, purpose=purpose)
            refusal = ChallengeExpired()
        elif not _answer_matches(challenge, answer):
            audit_log(event="otp_failed", user=user, request=request, purpose=purpose)
            if challenge.method != Challenge.Method.OTP and _wrong_secret_locks(user, request):
                refusal = SecretsLocked()
            else:
                refusal = _wrong_answer(challenge, left=MAX_ATTEMPTS - challenge.attempts)
        else:
            if not _use(challenge, now):  # a parallel request used it first
                raise ChallengeUsed
            audit_log(event="otp_ok", user=user, request=request, purpose=purpose)
    if refusal is not None:
        raise refusal
    _guess_return(request=request, user=user, at=counted_at)
    challenge.used_at = now
    return challenge


@memoized
def _challenge_columns() -> tuple[Columns, Columns]:
    return Columns(Challenge, "c"), Columns(SecurityQuestion, "q")


@memoized
def _challenge_sql() -> str:
    challenge, question = _challenge_columns()
    return (
        f"SELECT {columns_sql(_challenge_columns())} FROM {challenge.model._meta.db_table} c "  # noqa: S608 - no input in the text
        f"LEFT JOIN {question.model._meta.db_table} q ON q.id = c.question_id "
        "WHERE c.public_id = %s AND c.user_id = %s"
    )


def _challenge_read(*, user: User, public_id) -> Challenge | None:
    """``user``'s challenge ``public_id`` with its question: one written query."""
    try:
        public_id = uuid.UUID(str(public_id))
    except ValueError:
        return None
    rows = rows_read(_challenge_sql(), [public_id, user.pk], _challenge_columns())
    if not rows:
        return None
    challenge, question = rows[0]
    challenge.user, challenge.question = user, question
    return challenge


def _claiming(
    *, user: User, public_id: uuid.UUID, purpose: str, digest: str, code_hmac: str, now
) -> Reading[Challenge | None]:
    """One try of ``user``'s open challenge for this operation, claimed: the challenge as
    the claim left it — its tries counted so far, this one included, and used up if
    ``code_hmac`` is its sent code's and it is in time; ``None`` when nothing was claimed (see
    :func:`_unclaimed`). One UPDATE … RETURNING; a security question, the rare case, is
    read after it."""
    columns = _claim_columns()
    table = Challenge._meta.db_table
    now = Challenge._meta.get_field("used_at").get_db_prep_value(now, connection)
    params = [Challenge.Method.OTP, code_hmac, now, now, public_id, user.pk]
    params += [purpose, digest]
    rows = yield (
        f"UPDATE {table} SET attempts = attempts + 1, "  # noqa: S608 - no input in the text
        "used_at = CASE WHEN method = %s AND code_hmac = %s AND expires_at > %s THEN %s END "
        "WHERE public_id = %s AND user_id = %s AND purpose = %s AND payload_digest = %s "
        f"AND used_at IS NULL AND voided_at IS NULL AND attempts < %s RETURNING {columns.sql()}",
        [*params, MAX_ATTEMPTS],
    )
    if not rows:
        return None
    (challenge,) = rows_cut(rows, (columns,))[0]
    challenge.user = user
    challenge.question = (
        SecurityQuestion.objects.get(pk=challenge.question_id) if challenge.question_id else None
    )
    return challenge


@memoized
def _claim_columns() -> Columns:
    return Columns(Challenge, Challenge._meta.db_table)


def _unclaimed(*, user: User, public_id: uuid.UUID, purpose: str, payload: dict):
    """Why no try of the challenge could be claimed: not this user's, or for another
    operation (``ChallengeMismatch``), used (``ChallengeUsed`` — maybe by a simultaneous
    submission), voided or out of tries (``ChallengeExhausted``)."""
    challenge = _challenge_read(user=user, public_id=public_id)
    if challenge is None or challenge.purpose != purpose:
        return ChallengeMismatch()
    if challenge.payload_digest != payload_digest(purpose, payload):
        return ChallengeMismatch()
    if challenge.used_at is not None:
        return ChallengeUsed()
    return ChallengeExhausted()


def _use(challenge: Challenge, now: datetime) -> bool:
    """Uses the challenge up, unless it was used or voided meanwhile: whether this caller
    did (a conditional UPDATE, one statement)."""
    table = Challenge._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET used_at = %s "  # noqa: S608 - no input in the text
            "WHERE id = %s AND used_at IS NULL AND voided_at IS NULL",
            [now, challenge.pk],
        )
        return cursor.rowcount == 1


def _guess_keys(request, user: User | None) -> list[tuple[str, int]]:
    keys = []
    if user is not None:
        keys.append((f"otp:guess:user:{user.pk}", MAX_GUESSES_PER_USER))
    if request is not None:
        keys.append((f"otp:guess:ip:{request.META.get('REMOTE_ADDR', '')}", MAX_GUESSES_PER_IP))
    return keys


def guess_claim(*, request, user: User | None) -> float:
    """Counts one answer to a code step for the address (and the user, when there is
    one) and raises ``TooManyGuesses`` past a limit. ``challenge_verify`` calls it; a
    decoy code step (recovery and enrollment for unknown data) calls it itself, so both
    are refused alike. Returns the moment counted, to give a right answer back."""
    counted_at = time.time()
    window = int(GUESS_WINDOW.total_seconds())
    over = hits_over(_guess_keys(request, user), window, at=counted_at)
    if over:
        scopes = sorted(name.split(":")[2] for name in over)
        logger.warning("otp guesses limited", extra={"scopes": scopes})
        if user is not None:
            audit_log(event="otp_limited", user=user, request=request, scopes=scopes)
        raise TooManyGuesses
    return counted_at


def _guess_return(*, request, user: User, at: float) -> None:
    window = int(GUESS_WINDOW.total_seconds())
    hits_return([name for name, _ in _guess_keys(request, user)], window, at=at)


def _wrong_secret_locks(user: User, request) -> bool:
    """Wrong PINs and security answers count per user across challenges (starting a new
    operation does not reset them); the third locks the user, as three wrong passwords
    do."""
    if not hit_limit(f"secret:wrong:{user.pk}", MAX_WRONG_SECRETS - 1, 3600):
        return False
    User.objects.filter(pk=user.pk).update(locked_at=timezone.now())
    user_sessions_end(user=user)
    audit_log(event="locked", user=user, request=request, reason="secret")
    return True


def _wrong_answer(challenge: Challenge, *, left: int):
    if left <= 0:
        return ChallengeExhausted()
    what = (
        "El código ingresado es incorrecto"
        if challenge.method == Challenge.Method.OTP
        else "La respuesta no es correcta"
    )
    tries = "Te queda 1 intento" if left == 1 else f"Te quedan {left} intentos"
    return WrongAnswer(f"{what}. {tries}.")

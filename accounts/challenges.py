"""The portal's one second-factor mechanism ("Factor de seguridad").

A challenge binds a user, a purpose ("login", "transfer", …) and a digest of the exact
operation it confirms (origin, destination, amount…): a code issued for one transfer
cannot confirm another, nor the same one with a changed amount. OTP codes are six
digits made with pyotp from a fresh random secret, valid three minutes, sent to the
member's notification channels, stored only as an HMAC and used at most once (one
conditional UPDATE). Three wrong answers end the challenge, counted across resends;
"Reenviar" replaces the code after a cooldown, within a cap per quarter hour.

Profiles that confirm with a transaction PIN or a security question use the same
challenge, compared with the user's stored hashes instead of a sent code.

``challenge_verify`` runs in its own durable transaction, so a wrong answer is recorded
even though the operation it guards is refused; callers verify first and then execute.
"""

import hashlib
import hmac
import json
import random
from datetime import timedelta
from functools import partial

import pyotp
from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.db import transaction
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
    ResendTooSoon,
    SecretsLocked,
    TooManySends,
    WrongAnswer,
)
from accounts.models import Challenge, SecurityAnswer, User
from accounts.sessions import user_sessions_end
from cooprogreso.models import Cooperative
from cooprogreso.notifications import send_email, send_sms
from cooprogreso.profile import cooperative_current
from cooprogreso.ratelimit import hit_limit

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
RECOVERY = frozenset({"unlock", "forgot_username", "forgot_password", "enrollment"})


def payload_digest(purpose: str, payload: dict) -> str:
    body = json.dumps({"purpose": purpose, "payload": payload}, sort_keys=True, default=str)
    return hashlib.sha256(body.encode()).hexdigest()


def _code_hmac(challenge: Challenge, code: str) -> str:
    key = hashlib.sha256(("otp:" + settings.SECRET_KEY).encode()).digest()
    message = f"{challenge.public_id}:{code}".encode()
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


def masked_channels(user: User) -> str:
    """ "tu celular ***4321 y tu correo m***@example.com" — where the code went."""
    phone, email = _recipients(user)
    parts = []
    if phone:
        parts.append(f"tu celular terminado en {phone[-4:]}")
    if email:
        name, _, domain = email.partition("@")
        parts.append(f"tu correo {name[:1]}***@{domain}")
    return " y ".join(parts)


def _deliver(user_id: int, code: str, summary: str) -> None:
    user = User.objects.select_related("member").get(pk=user_id)
    coop = cooperative_current()
    phone, email = _recipients(user)
    text = f"{coop.short_name}: tu código de seguridad es {code}."
    if summary:
        text += f" {summary}."
    text += " Vence en 3 minutos. No lo compartas con nadie."
    if phone:
        send_sms(to=phone, body=text)
    if email:
        send_email(to=[email], subject=f"{coop.short_name}: código de seguridad", body=text)


def _group(purpose: str) -> str:
    if purpose in {"login", "personalize"}:
        return "signin"
    return "recovery" if purpose in RECOVERY else "operations"


def _over_budget(challenge: Challenge) -> bool:
    """Send caps: per challenge, per user and purpose group (so recovery requests cannot
    use up a member's sign-in codes), and per phone number whoever asks."""
    if challenge.sends >= MAX_SENDS_PER_CHALLENGE:
        return True
    window = int(SEND_WINDOW.total_seconds())
    user = challenge.user
    group = _group(challenge.purpose)
    if hit_limit(f"otp:user:{user.pk}:{group}", MAX_SENDS_PER_WINDOW[group], window):
        return True
    phone, _ = _recipients(user)
    return bool(phone) and hit_limit(f"otp:phone:{phone}", MAX_SENDS_PER_PHONE, window)


def _send(challenge: Challenge, *, request=None) -> None:
    if _over_budget(challenge):
        raise TooManySends
    code = _new_code()
    now = timezone.now()
    challenge.code_hmac = _code_hmac(challenge, code)
    challenge.last_sent_at = now
    challenge.expires_at = now + LIFETIME
    challenge.sends += 1
    challenge.save(update_fields=["code_hmac", "last_sent_at", "expires_at", "sends"])
    transaction.on_commit(partial(_deliver, challenge.user_id, code, challenge.summary))
    audit_log(event="otp_sent", user=challenge.user, request=request, purpose=challenge.purpose)


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
    same purpose) and, for OTP, sends the code."""
    method = method or method_for(purpose)
    now = timezone.now()
    with transaction.atomic():
        Challenge.objects.filter(
            user=user, purpose=purpose, used_at__isnull=True, voided_at__isnull=True
        ).update(voided_at=now)
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
        challenge.save()
        if method == Challenge.Method.OTP:
            _send(challenge, request=request)
    return challenge


def challenge_get(*, user: User, public_id) -> Challenge:
    return get_object_or_404(
        Challenge.objects.select_related("question"), user=user, public_id=public_id
    )


def challenge_resend(*, user: User, public_id, request=None) -> Challenge:
    """ "¿No te llegó el código? Reenviar": a new code replaces the old one."""
    now = timezone.now()
    with transaction.atomic():
        challenge = Challenge.objects.select_for_update().get(user=user, public_id=public_id)
        if challenge.used_at or challenge.voided_at or challenge.attempts >= MAX_ATTEMPTS:
            raise ChallengeExhausted
        if challenge.method != Challenge.Method.OTP:
            return challenge
        if challenge.last_sent_at and now - challenge.last_sent_at < RESEND_COOLDOWN:
            raise ResendTooSoon
        _send(challenge, request=request)
    return challenge


def _answer_matches(challenge: Challenge, answer: str) -> bool:
    answer = (answer or "").strip()
    if challenge.method == Challenge.Method.OTP:
        if hmac.compare_digest(challenge.code_hmac, _code_hmac(challenge, answer)):
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

    A try is claimed — committed — *before* the answer is compared, with a conditional
    UPDATE, so parallel submissions cannot make more than three guesses; the right
    answer then uses the challenge up with another conditional UPDATE (exactly one of
    two simultaneous right answers wins).
    """
    refusal = None
    with transaction.atomic(durable=True):
        challenge = (
            Challenge.objects.select_related("user", "question")
            .filter(user=user, public_id=public_id)
            .first()
        )
        if challenge is None or challenge.purpose != purpose:
            raise ChallengeMismatch
        if challenge.payload_digest != payload_digest(purpose, payload):
            raise ChallengeMismatch
        if challenge.used_at is not None:
            raise ChallengeUsed
        now = timezone.now()
        if challenge.voided_at is not None:
            raise ChallengeExhausted
        claimed = Challenge.objects.filter(
            pk=challenge.pk, used_at__isnull=True, attempts__lt=MAX_ATTEMPTS
        ).update(attempts=F("attempts") + 1)
        if not claimed:
            if Challenge.objects.filter(pk=challenge.pk, used_at__isnull=False).exists():
                raise ChallengeUsed  # a simultaneous submission used it while we waited
            raise ChallengeExhausted
        attempt = Challenge.objects.values_list("attempts", flat=True).get(pk=challenge.pk)
        if challenge.expires_at <= now:
            audit_log(event="otp_expired", user=user, request=request, purpose=purpose)
            refusal = ChallengeExpired()
        elif not _answer_matches(challenge, answer):
            audit_log(event="otp_failed", user=user, request=request, purpose=purpose)
            if challenge.method != Challenge.Method.OTP and _wrong_secret_locks(user, request):
                refusal = SecretsLocked()
            else:
                refusal = _wrong_answer(challenge, left=MAX_ATTEMPTS - attempt)
        else:
            used = Challenge.objects.filter(
                pk=challenge.pk, used_at__isnull=True, voided_at__isnull=True
            ).update(used_at=now)
            if used != 1:  # a parallel request used it first
                raise ChallengeUsed
            audit_log(event="otp_ok", user=user, request=request, purpose=purpose)
    if refusal is not None:
        raise refusal
    challenge.used_at = now
    return challenge


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

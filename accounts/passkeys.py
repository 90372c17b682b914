"""Passkeys (WebAuthn), the web form of the manual's "Registro biométrico".

A passkey signs the member in by itself — it is a possession factor unlocked by the
device's fingerprint, face or PIN (user verification is required) and it cannot be
phished, because the browser binds it to this site's origin.
"""

import json
import secrets
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from webauthn import (
    base64url_to_bytes,
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from accounts.audit import audit_log
from accounts.models import Passkey, User
from accounts.notices import security_change_notify
from core.errors import DomainError
from core.profile import cooperative_current

# After the code in Mi perfil, this session may register one passkey for a while.
REGISTRATION_GRANT = "passkey_authorized"
REGISTRATION_WINDOW = 300  # seconds to complete the browser's ceremony after the code


class PasskeyRefused(DomainError):
    message = "No pudimos validar tu passkey. Inténtalo nuevamente o ingresa con tu contraseña."


@dataclass(frozen=True)
class RelyingParty:
    id: str
    origin: str


def relying_party(request) -> RelyingParty:
    host = request.get_host()
    rp_id = settings.WEBAUTHN_RP_ID or host.split(":")[0]
    origin = settings.WEBAUTHN_ORIGIN or f"{request.scheme}://{host}"
    return RelyingParty(rp_id, origin)


def registration_grant(*, request, name: str) -> None:
    """Lets this browser session register one passkey named ``name`` within
    ``REGISTRATION_WINDOW`` seconds: given once the member confirmed with a code."""
    request.session[REGISTRATION_GRANT] = {
        "name": name,
        "until": time.time() + REGISTRATION_WINDOW,
    }


def registration_granted(request) -> dict | None:
    """The session's grant while it lasts, else ``None``."""
    grant = request.session.get(REGISTRATION_GRANT)
    if grant and grant.get("until", 0) > time.time():
        return grant
    return None


def registration_options(*, request, user: User) -> str:
    rp = relying_party(request)
    options = generate_registration_options(
        rp_id=rp.id,
        rp_name=cooperative_current().channel_name,
        user_name=user.username,
        user_id=f"cooprogreso-user-{user.pk}".encode(),
        user_display_name=user.display_name,
        challenge=secrets.token_bytes(32),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=[
            PublicKeyCredentialDescriptor(id=base64url_to_bytes(p.credential_id))
            for p in user.passkeys.all()
        ],
    )
    request.session["webauthn_registration"] = bytes_to_base64url(options.challenge)
    return options_to_json(options)


def passkey_register(*, request, user: User, credential: dict, name: str) -> Passkey:
    challenge = request.session.pop("webauthn_registration", None)
    if not challenge:
        raise PasskeyRefused
    rp = relying_party(request)
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=base64url_to_bytes(challenge),
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            require_user_verification=True,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
        raise PasskeyRefused from exc
    with transaction.atomic():
        passkey = Passkey.objects.create(
            user=user,
            credential_id=bytes_to_base64url(verified.credential_id),
            public_key=verified.credential_public_key,
            sign_count=verified.sign_count,
            name=(name or "Passkey")[:40],
        )
        audit_log(event="passkey_added", user=user, request=request, name=passkey.name)
    return passkey


def authentication_options(*, request) -> str:
    options = generate_authentication_options(
        rp_id=relying_party(request).id,
        challenge=secrets.token_bytes(32),
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    request.session["webauthn_authentication"] = bytes_to_base64url(options.challenge)
    return options_to_json(options)


def passkey_authenticate(*, request, credential: dict) -> User:
    """The user a discoverable passkey assertion proves, or ``PasskeyRefused``."""
    challenge = request.session.pop("webauthn_authentication", None)
    raw_id = credential.get("rawId") or credential.get("id") or ""
    passkey = Passkey.objects.select_related("user").filter(credential_id=raw_id).first()
    if not challenge or passkey is None:
        raise PasskeyRefused
    rp = relying_party(request)
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=base64url_to_bytes(challenge),
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            credential_public_key=bytes(passkey.public_key),
            credential_current_sign_count=passkey.sign_count,
            require_user_verification=True,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
        raise PasskeyRefused from exc
    user = passkey.user
    if not user.is_active or user.is_locked or user.must_personalize:
        raise PasskeyRefused
    Passkey.objects.filter(pk=passkey.pk).update(
        sign_count=verified.new_sign_count, last_used_at=timezone.now()
    )
    return user


def passkey_remove(*, request, user: User, public_id) -> int:
    with transaction.atomic():
        removed, _ = Passkey.objects.filter(user=user, public_id=public_id).delete()
        if removed:
            audit_log(event="passkey_removed", user=user, request=request)
        security_change_notify(user=user, what="se eliminó una passkey")
    return removed


def parse_json(body: bytes) -> dict:
    try:
        data = json.loads(body or b"{}")
    except ValueError as exc:
        raise PasskeyRefused from exc
    if not isinstance(data, dict):
        raise PasskeyRefused
    return data

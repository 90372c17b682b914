"""A card's PIN, from the member's form to the card processor, kept by the portal only as
long as the security code takes and never in clear (``docs/cards.md``).

"Cambiar clave" needs the current and the new PIN, typed before the code is sent and used
once the code is right. Meanwhile they wait in the operation's payload sealed with a key
of their own (``pins_seal``): a random Fernet key kept only in the shared cache (Redis),
for ``PIN_VAULT_TTL``, under a name only that payload holds. The payload is itself
encrypted in the database, so reading the PINs needs both the database and the cache
within those minutes; executing the operation destroys the key (``pins_destroy``), and
once it expires nobody — the portal included — can read them again. The kind does not
keep its payload either (``keep_payload = False``).

"Recuperar clave" asks the processor for a temporary PIN and sends it by e-mail
("GENERACION DE CLAVE") through the stored notices: the message is stored encrypted,
marked secret and wiped once sent. The PIN is in no other row, log or page.
"""

import json
import uuid
from datetime import datetime

from cryptography.fernet import Fernet, InvalidToken
from django.core.cache import cache
from django.db import transaction
from django.utils import formats, timezone, translation
from django.views.decorators.debug import sensitive_variables

from accounts import challenges
from accounts.audit import audit_log
from accounts.models import User
from cards.exceptions import CardError, CardExpired, CardNotActive
from cards.models import Card
from cards.processor import processor_get
from core.notifications import notify
from core.profile import cooperative_current

# How long PINs typed before the code can wait for it: as long as the code can live — it
# lives three minutes and may be sent once more before it expires (six minutes at most).
PIN_VAULT_TTL = challenges.LIFETIME * challenges.MAX_SENDS_PER_CHALLENGE


class PinRequestExpired(CardError):
    message = (
        "El tiempo para confirmar el cambio de clave terminó y la clave que escribiste ya "
        "no se puede leer. Vuelve a iniciarlo."
    )


class NoEmailForPin(CardError):
    message = (
        "Necesitas un correo electrónico registrado para recibir tu clave temporal. "
        "Actualízalo en Mi perfil."
    )


# --- the vault: PINs waiting for the code --------------------------------------------------


def _vault_name(vault: str) -> str:
    return f"cards:pin-vault:{vault}"


@sensitive_variables("pins", "key")
def pins_seal(*, card: Card, pins: dict[str, str]) -> dict[str, str]:
    """Seals ``pins`` for the operation that will carry them: returns what its payload
    holds (the vault's name and the ciphertext); the key stays in the cache alone."""
    vault = uuid.uuid4().hex
    key = Fernet.generate_key()
    cache.set(_vault_name(vault), key.decode(), timeout=int(PIN_VAULT_TTL.total_seconds()))
    sealed = Fernet(key).encrypt(json.dumps({"card": str(card.public_id), **pins}).encode())
    return {"vault": vault, "sealed": sealed.decode()}


@sensitive_variables("opened", "key")
def pins_open(box: dict[str, str], *, card: Card) -> dict[str, str]:
    """The PINs sealed for ``card``; ``PinRequestExpired`` once the key is gone (executed,
    or expired) or when the box was sealed for another card."""
    key = cache.get(_vault_name(box.get("vault", "")))
    if not key:
        raise PinRequestExpired
    try:
        ttl = int(PIN_VAULT_TTL.total_seconds())
        opened = json.loads(Fernet(key.encode()).decrypt(box["sealed"].encode(), ttl=ttl))
    except (InvalidToken, KeyError, ValueError):
        raise PinRequestExpired from None
    if opened.pop("card", None) != str(card.public_id):
        raise PinRequestExpired
    return opened


def pins_destroy(box: dict[str, str]) -> None:
    cache.delete(_vault_name(box.get("vault", "")))


# --- the services ------------------------------------------------------------------------


def card_pin_usable(card: Card, *, on=None) -> None:
    """Refuses a card whose PIN cannot be managed: blocked, cancelled or expired."""
    on = on or timezone.localdate()
    if card.status != Card.Status.ACTIVE:
        raise CardNotActive(f"La tarjeta {card.masked_number} está {card.get_status_display()}.")
    if (card.expiry_year, card.expiry_month) < (on.year, on.month):
        raise CardExpired


@sensitive_variables("old_pin", "new_pin")
def card_pin_change(
    *, card: Card, old_pin: str, new_pin: str, key: str, user: User | None, request=None
) -> bool:
    """Changes ``card``'s PIN at the processor — which checks ``old_pin`` (the current or
    the temporary one) and counts wrong tries — then records it and tells the member.
    Idempotent by ``key``: a replay changes, records and tells nothing (False).

    The processor is called outside any transaction of ours: a wrong try it counted is
    not rolled back by the refusal."""
    card_pin_usable(card)
    changed = processor_get().pin_change(card=card, old_pin=old_pin, new_pin=new_pin, key=key)
    if changed:
        with transaction.atomic():
            audit_log(
                event="card_pin_changed",
                user=card.member.user,
                actor=user,
                request=request,
                card=card.masked_number,
            )
            _pin_changed_notify(card)
    return changed


@sensitive_variables("pin", "body")
def card_pin_recover(*, card: Card, key: str, user: User | None, request=None) -> bool:
    """A temporary PIN for ``card`` from the processor, e-mailed to the member in the
    manual's "GENERACION DE CLAVE" format; it must be changed before the card is used.
    Idempotent by ``key``: a replay generates and sends nothing (False)."""
    card_pin_usable(card)
    member = card.member
    if not member.email:
        raise NoEmailForPin
    with transaction.atomic():
        pin = processor_get().pin_generate_temporary(card=card, key=key)
        if pin is None:
            return False
        subject, body = temporary_pin_email(card=card, pin=pin, at=timezone.localtime())
        notify(
            email=member.email,
            subject=subject,
            body=body,
            kind="Clave temporal de tarjeta",
            secret=True,
        )
        audit_log(
            event="card_pin_generated",
            user=member.user,
            actor=user,
            request=request,
            card=card.masked_number,
        )
    return True


def _pin_changed_notify(card: Card) -> None:
    member = card.member
    coop = cooperative_current()
    notify(
        phone=member.mobile_phone or None,
        email=member.email or None,
        subject=f"{coop.short_name}: cambio de clave de tu tarjeta",
        body=(
            f"{coop.short_name}: la clave de tu tarjeta {card.masked_number} fue cambiada el "
            f"{timezone.localtime():%d/%m/%Y a las %H:%M}. Si no fuiste tú, llama de "
            f"inmediato al {coop.call_center_phone}."
        ),
        kind="Cambio de clave de tarjeta",
    )


def _clock(at: datetime) -> str:
    """ "1:26 PM", as the manual's e-mail prints the hour."""
    return f"{at.hour % 12 or 12}:{at:%M} {'AM' if at.hour < 12 else 'PM'}"


def _addressee(card: Card) -> str:
    """ "SILVA/GABRIEL": first surname and first name, as the manual's e-mail greets."""
    member = card.member
    last = (member.last_names or "").split()[:1]
    first = (member.first_names or "").split()[:1]
    return "/".join(last + first).upper()


@sensitive_variables("pin")
def temporary_pin_email(*, card: Card, pin: str, at: datetime) -> tuple[str, str]:
    """The manual's "GENERACION DE CLAVE" e-mail: subject and body."""
    coop = cooperative_current()
    with translation.override("es"):
        day = formats.date_format(at, r"l, j \d\e F \d\e Y")
    body = "\n".join(
        [
            "GENERACION DE CLAVE",
            "",
            f"{day} Hora {_clock(at)}",
            "",
            f"Estimado(a): {_addressee(card)}",
            "",
            "Se ha generado su clave temporal para su tarjeta con el siguiente detalle:",
            "",
            f"NÚMERO TARJETA: {card.masked_number}",
            f"TIPO DE TARJETA: {card.get_kind_display().upper()}",
            f"FECHA: {at:%d/%m/%Y}",
            f"HORA: {at:%H:%M:%S}",
            f"CLAVE TEMPORAL: {pin}",
            "",
            "Recuerda cambiar tu clave a través de los canales digitales, "
            f"{coop.channel_name}, {coop.short_name} Móvil, o cajeros automáticos de "
            f"{coop.short_name}",
            "",
            "Atentamente,",
            "",
            f"{coop.name}.",
            "",
            "Nota: No olvides cambiar tu clave, utiliza la opción cambio de clave disponible "
            f"en tu {coop.channel_name} y móvil.",
        ]
    )
    return f"{coop.short_name}: clave temporal de tu tarjeta", body

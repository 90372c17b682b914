"""The card processor: the system that knows each card's PIN and checks it at ATMs and
points of sale. The portal never keeps a PIN; it hands what a member types straight to
the processor, in the request (or the operation) that carries it.

``CardProcessor`` is everything the portal needs from it. The portal uses the class named
by ``settings.CARD_PROCESSOR``; ``SimulatedCardProcessor`` stands in for it in the demo
and the tests. A real connector implements the same three methods and keeps the same
promises:

- ``pin_change`` checks the current PIN (or the temporary one) and sets the new one;
  refuses a wrong current PIN (``PinIncorrect``), a new PIN equal to the current one
  (``PinReused``) and a PIN locked by wrong tries (``PinLocked``). Idempotent by ``key``:
  called again with a key it already carried out, it changes nothing and returns False.
- ``pin_generate_temporary`` sets a random temporary PIN and returns it, once per ``key``
  (``None`` for a key already carried out: that PIN was handed out then and is not kept).
  A temporary PIN must be changed with ``pin_change`` before any other use.
- ``pin_verify`` is a use of the card with its PIN (an ATM, a point of sale): refused
  while the PIN is temporary (``PinChangeRequired``), wrong or locked.
- ``ProcessorUnavailable`` when the processor did not answer; nothing changed.

Every refusal is a ``CardError`` with the member's words; none names the PIN.
"""

import secrets
from abc import ABC, abstractmethod

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.module_loading import import_string
from django.views.decorators.debug import sensitive_variables

from accounts.credentials import validate_pin
from cards.exceptions import CardError
from cards.models import Card, SimulatedCardPin, SimulatedPinRequest
from core.crypto import keyed_hash

# Wrong PINs in a row (at a change or a use) before the processor locks the PIN; a
# temporary PIN («Recuperar clave») unlocks it.
MAX_PIN_TRIES = 3


class PinIncorrect(CardError):
    message = "La clave anterior no es correcta."


class PinReused(CardError):
    message = "La nueva clave debe ser distinta de la clave actual."


class PinLocked(CardError):
    message = (
        "La clave de tu tarjeta está bloqueada por intentos fallidos. Usa «Recuperar clave» "
        "para recibir una clave temporal."
    )


class PinNotSet(CardError):
    message = (
        "Tu tarjeta aún no tiene clave. Usa «Recuperar clave» para recibir una clave temporal."
    )


class PinChangeRequired(CardError):
    message = "Cambia tu clave temporal antes de usar la tarjeta."


class ProcessorUnavailable(CardError):
    message = (
        "No pudimos comunicarnos con el procesador de tarjetas. Tu clave no cambió; "
        "intenta de nuevo en unos minutos."
    )


class CardProcessor(ABC):
    @abstractmethod
    def pin_change(self, *, card: Card, old_pin: str, new_pin: str, key: str) -> bool:
        """Sets ``new_pin`` if ``old_pin`` is the card's PIN (current or temporary):
        True when changed now, False when ``key`` had already changed it."""

    @abstractmethod
    def pin_generate_temporary(self, *, card: Card, key: str) -> str | None:
        """A new temporary PIN for ``card`` (to be changed at first use), or ``None``
        when ``key`` already generated one."""

    @abstractmethod
    def pin_verify(self, *, card: Card, pin: str) -> None:
        """A use of the card with ``pin``; raises a ``CardError`` when refused."""


def processor_get() -> CardProcessor:
    return import_string(settings.CARD_PROCESSOR)()


# --- the simulator -----------------------------------------------------------------------


@sensitive_variables("pin")
def _digest(card_ref, pin: str) -> str:
    """The simulator's record of a PIN: an HMAC of the card's reference and the PIN under
    a key derived from the field secret. Four digits leave ten thousand candidates, so a
    plain hash would give any PIN away; without the key the digest gives nothing."""
    return keyed_hash(f"{card_ref}:{pin}", purpose="card-pin-simulator")


@sensitive_variables("pin")
def temporary_pin() -> str:
    """Four random digits that the PIN rules accept (not repeated, not consecutive)."""
    while True:
        pin = f"{secrets.randbelow(10_000):04d}"
        try:
            return validate_pin(pin)
        except ValidationError:  # a weak draw: draw again
            continue


class SimulatedCardProcessor(CardProcessor):
    """A stand-in for the card processor, with its state in the portal's database
    (``SimulatedCardPin``, ``SimulatedPinRequest``) so the web process and a worker see the
    same PINs. A wrong try is written before the refusal is raised, outside the block that
    wrote it, so it counts as a remote processor's would (callers do not wrap the call
    in a transaction of their own that the refusal would roll back)."""

    @sensitive_variables("old_pin", "new_pin")
    def pin_change(self, *, card, old_pin, new_pin, key):
        try:
            validate_pin(new_pin)
        except ValidationError as exc:
            raise CardError(exc.messages[0]) from None
        if SimulatedPinRequest.objects.filter(key=key).exists():
            return False
        with transaction.atomic():
            record = (
                SimulatedCardPin.objects.select_for_update().filter(card_ref=card.public_id).first()
            )
            if record is None:
                raise PinNotSet
            if record.failed_attempts >= MAX_PIN_TRIES:
                raise PinLocked
            if not secrets.compare_digest(record.pin_digest, _digest(card.public_id, old_pin)):
                refusal = self._wrong_try(record)
            elif secrets.compare_digest(record.pin_digest, _digest(card.public_id, new_pin)):
                refusal = PinReused()
            else:
                refusal = None
                if not self._request_taken(key, card, SimulatedPinRequest.Action.CHANGE):
                    return False
                record.pin_digest = _digest(card.public_id, new_pin)
                record.temporary = False
                record.failed_attempts = 0
                record.save(
                    update_fields=["pin_digest", "temporary", "failed_attempts", "updated_at"]
                )
        if refusal is not None:
            raise refusal
        return True

    def pin_generate_temporary(self, *, card, key):
        with transaction.atomic():
            if not self._request_taken(key, card, SimulatedPinRequest.Action.TEMPORARY):
                return None
            pin = temporary_pin()
            SimulatedCardPin.objects.update_or_create(
                card_ref=card.public_id,
                defaults={
                    "pin_digest": _digest(card.public_id, pin),
                    "temporary": True,
                    "failed_attempts": 0,
                },
            )
        return pin

    @sensitive_variables("pin")
    def pin_verify(self, *, card, pin):
        with transaction.atomic():
            record = (
                SimulatedCardPin.objects.select_for_update().filter(card_ref=card.public_id).first()
            )
            if record is None:
                raise PinNotSet
            if record.failed_attempts >= MAX_PIN_TRIES:
                raise PinLocked
            if not secrets.compare_digest(record.pin_digest, _digest(card.public_id, pin)):
                refusal = self._wrong_try(record)
            elif record.temporary:
                refusal = PinChangeRequired()
            else:
                refusal = None
                if record.failed_attempts:
                    record.failed_attempts = 0
                    record.save(update_fields=["failed_attempts", "updated_at"])
        if refusal is not None:
            raise refusal

    @staticmethod
    def _wrong_try(record: SimulatedCardPin) -> CardError:
        record.failed_attempts += 1
        record.save(update_fields=["failed_attempts", "updated_at"])
        return PinLocked() if record.failed_attempts >= MAX_PIN_TRIES else PinIncorrect()

    @staticmethod
    def _request_taken(key: str, card: Card, action: str) -> bool:
        """Records ``key`` as carried out; False if it already was (by another process
        at the same moment, too)."""
        try:
            with transaction.atomic():
                SimulatedPinRequest.objects.create(key=key, card_ref=card.public_id, action=action)
        except IntegrityError:
            return False
        return True

    # --- for the demo and the tests: what the card was issued with -----------------------

    @sensitive_variables("pin")
    def pin_issue(self, *, card: Card, pin: str) -> None:
        """Sets ``card``'s PIN as if it had been delivered with it (no request key)."""
        SimulatedCardPin.objects.update_or_create(
            card_ref=card.public_id,
            defaults={
                "pin_digest": _digest(card.public_id, pin),
                "temporary": False,
                "failed_attempts": 0,
            },
        )

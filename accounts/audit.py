"""The tamper-evident security log.

Every entry stores the SHA-256 of the previous entry's hash and its own content, so
editing, deleting or reordering any entry breaks the chain from that point on;
``audit_verify`` names the first broken link. Entries are appended one at a time (an
advisory lock on PostgreSQL; SQLite's single writer elsewhere), and the table is
append-only in the database.
"""

import hashlib
import json
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import AuditEvent
from core.db.rows import Reading, readings_run, rows_insert

GENESIS = "0" * 64
_LOCK_KEY = 7_201_955  # any constant shared by every writer of the chain

EVENTS = {
    "login_ok": "Ingreso exitoso",
    "login_failed": "Contraseña incorrecta",
    "locked": "Usuario bloqueado",
    "unlocked": "Usuario desbloqueado",
    "otp_sent": "Código de seguridad enviado",
    "otp_undelivered": "Código de seguridad no enviado (falla de los canales)",
    "otp_limited": "Demasiados códigos incorrectos",
    "otp_failed": "Código de seguridad incorrecto",
    "otp_expired": "Código de seguridad vencido",
    "otp_ok": "Código de seguridad validado",
    "device_added": "Dispositivo registrado",
    "device_removed": "Dispositivo eliminado",
    "password_changed": "Contraseña actualizada",
    "username_changed": "Usuario personalizado",
    "username_sent": "Usuario enviado por correo",
    "credentials_personalized": "Credenciales configuradas",
    "logout": "Salida del portal",
    "session_expired": "Sesión expirada por inactividad",
    "staff_action": "Gestión de agencia",
    "enrollment_requested": "Registro en proceso de aprobación",
    "personal_data_changed": "Datos personales actualizados",
    "questions_changed": "Preguntas de seguridad actualizadas",
    "pin_changed": "PIN transaccional actualizado",
    "card_pin_changed": "Clave de tarjeta cambiada",
    "card_pin_generated": "Clave temporal de tarjeta generada",
    "image_changed": "Imagen de seguridad actualizada",
    "authenticator_added": "App de autenticación activada",
    "authenticator_removed": "App de autenticación desactivada",
    "passkey_added": "Passkey registrada",
    "passkey_removed": "Passkey eliminada",
    "product_request": "Solicitud de producto",
    "beneficiary_added": "Beneficiario registrado",
    "beneficiary_changed": "Beneficiario actualizado",
    "beneficiary_removed": "Beneficiario eliminado",
    "saved_service_added": "Pago frecuente guardado",
    "saved_service_removed": "Pago frecuente eliminado",
    "payment_schedule_added": "Pago programado registrado",
    "payment_schedule_changed": "Pago programado actualizado",
    "payment_schedule_removed": "Pago programado eliminado",
    "limits_changed": "Cupos de transferencias actualizados",
    "card_locked": "Tarjeta con bloqueo temporal",
    "card_unlocked": "Tarjeta desbloqueada",
}


def _digest(prev_hash: str, fields: dict) -> str:
    body = json.dumps(fields, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


def _fields(event: AuditEvent) -> dict:
    return {
        "seq": event.seq,
        "created_at": event.created_at.isoformat(),
        "event": event.event,
        "user": event.user_id,
        "actor": event.actor_id,
        "ip": event.ip,
        "user_agent": event.user_agent,
        "request_id": event.request_id,
        "data": event.data,
    }


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") if request is not None else None


def audit_log(*, event: str, user=None, actor=None, request=None, **data) -> AuditEvent:
    """Appends one entry; ``data`` must never hold a password, code, PIN or answer."""
    if event not in EVENTS:
        raise ValueError(f"unknown audit event {event!r}")
    # Inside the caller's transaction when there is one (no savepoint: an entry that
    # cannot be written fails the whole of what it records).
    with transaction.atomic(savepoint=False):
        # On PostgreSQL the chain's lock, then its last entry as committed once the lock
        # is held (each statement sees what committed before it began): sent together.
        locked = [_chain_lock()] if connection.vendor == "postgresql" else []
        *_, last = readings_run(*locked, _chain_end())
        seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS)
        entry = AuditEvent(
            seq=seq,
            created_at=timezone.now(),
            event=event,
            user=user if user is not None and user.pk else None,
            actor=actor,
            ip=client_ip(request),
            user_agent=(request.headers.get("User-Agent", "") if request else "")[:300],
            request_id=getattr(request, "request_id", "") if request else "",
            data=data,
            prev_hash=prev_hash,
        )
        entry.hash = _digest(prev_hash, _fields(entry))
        rows_insert([entry])
    return entry


def _chain_lock() -> Reading[None]:
    """Every writer of the chain waits here for the one before it to commit."""
    yield "SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY]


def _chain_end() -> Reading[tuple[int, str] | None]:
    """The chain's last entry: ``(seq, hash)``, or ``None`` before the first."""
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    rows = yield f"SELECT seq, hash FROM {table} ORDER BY seq DESC LIMIT 1", []  # noqa: S608 - no input in the text
    return tuple(rows[0]) if rows else None


@dataclass(frozen=True)
class ChainReport:
    entries: int
    first_broken_seq: int | None

    @property
    def ok(self) -> bool:
        return self.first_broken_seq is None


def audit_verify() -> ChainReport:
    prev_hash = GENESIS
    expected_seq = 1
    count = 0
    for entry in AuditEvent.objects.order_by("seq").iterator(chunk_size=2000):
        count += 1
        fields = _fields(entry)
        # JSON round trip: what the database returns is what was hashed.
        fields["data"] = json.loads(json.dumps(entry.data))
        if (
            entry.seq != expected_seq
            or entry.prev_hash != prev_hash
            or entry.hash != _digest(prev_hash, fields)
        ):
            return ChainReport(count, entry.seq)
        prev_hash = entry.hash
        expected_seq += 1
    return ChainReport(count, None)


def last_seq() -> int:
    return AuditEvent.objects.aggregate(m=Max("seq"))["m"] or 0

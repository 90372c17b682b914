"""Identification numbers of members and beneficiaries (Ecuadorian rules).

Cédula: ``stdnum.ec.ci``. RUC: ``stdnum.ec.ruc`` for natural persons; for public (third
digit 6) and private (9) entities the tax authority no longer issues checksum-valid
numbers, so the structure is enforced strictly and a checksum failure is accepted and
logged (python-stdnum issues #290 and #497). Passport: 5–20 letters and digits.
"""

import logging
import re

from django.core.exceptions import ValidationError
from stdnum import exceptions as stdnum_exceptions
from stdnum.ec import ci, ruc

logger = logging.getLogger(__name__)

CEDULA = "cedula"
RUC = "ruc"
PASSPORT = "pasaporte"

_PASSPORT = re.compile(r"^[A-Z0-9]{5,20}$")


def normalize_identification(id_type: str, number: str) -> str:
    """Validates ``number`` for ``id_type`` and returns its compact form."""
    if id_type == CEDULA:
        try:
            return ci.validate(number)
        except stdnum_exceptions.ValidationError as exc:
            raise ValidationError("El número de cédula no es válido.", code="invalid") from exc
    if id_type == RUC:
        return _normalize_ruc(number)
    if id_type == PASSPORT:
        compact = re.sub(r"[\s-]", "", number).upper()
        if not _PASSPORT.match(compact):
            raise ValidationError(
                "El pasaporte debe tener entre 5 y 20 letras o números.", code="invalid"
            )
        return compact
    raise ValidationError("Tipo de identificación desconocido.", code="invalid")


def _normalize_ruc(number: str) -> str:
    invalid = ValidationError("El número de RUC no es válido.", code="invalid")
    compact = ruc.compact(number)
    try:
        return ruc.validate(compact)
    except stdnum_exceptions.InvalidChecksum as exc:
        if len(compact) == 13 and compact[2] in "69" and _entity_structure_ok(compact):
            logger.info(
                "RUC with an unverifiable checksum accepted", extra={"ruc_type": compact[2]}
            )
            return compact
        raise invalid from exc
    except stdnum_exceptions.ValidationError as exc:
        raise invalid from exc


def ruc_is_entity(number: str) -> bool:
    """Whether ``number`` is the RUC of a public (third digit 6) or private (9) entity,
    not of a natural person (third digit 0–5: the person's cédula and an establishment)."""
    compact = ruc.compact(number)
    return len(compact) == 13 and compact[2] in "69"


def _entity_structure_ok(compact: str) -> bool:
    province = int(compact[:2])
    if not (1 <= province <= 24 or province in (30, 50)):
        return False
    if compact[2] == "9":
        return compact[10:] != "000"
    return compact[9:] != "0000"

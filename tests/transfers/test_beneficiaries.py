"""Registering beneficiaries: validation, masking, duplicates, ownership, soft delete."""

from decimal import Decimal

import pytest
from django.http import Http404

from core.masking import mask_name
from core.models import Cooperative
from transfers.beneficiaries import (
    beneficiary_add_external,
    beneficiary_add_internal,
    beneficiary_delete,
    internal_holder,
    member_beneficiaries,
    member_beneficiary,
)
from transfers.exceptions import BeneficiaryError
from transfers.limits import LimitError, member_limits, member_limits_set
from transfers.models import TransferKind


def test_masked_name_keeps_the_first_word_and_initials():
    assert mask_name("Gabriel Silva Mora") == "GABRIEL S*** M***"
    assert mask_name("") == ""


def test_validar_shows_the_masked_holder(member, gabriel_savings, other_member):
    holder = internal_holder(member=member, account_number=f" {gabriel_savings.number} ")
    assert holder.account == gabriel_savings
    assert holder.masked_name == mask_name(other_member.full_name)
    assert other_member.last_names.upper() not in holder.masked_name


def test_unknown_inactive_and_own_accounts_are_refused(member, savings, gabriel_savings):
    with pytest.raises(BeneficiaryError, match="No encontramos"):
        internal_holder(member=member, account_number="999999999")
    with pytest.raises(BeneficiaryError, match="Esta cuenta es tuya"):
        internal_holder(member=member, account_number=savings.number)
    gabriel_savings.status = "inactive"
    gabriel_savings.save()
    with pytest.raises(BeneficiaryError, match="No encontramos"):
        internal_holder(member=member, account_number=gabriel_savings.number)


def test_a_beneficiary_is_registered_once(member, gabriel_savings, gabriel):
    with pytest.raises(BeneficiaryError, match="Ya tienes registrado"):
        beneficiary_add_internal(member=member, account_number=gabriel_savings.number)
    beneficiary_delete(beneficiary=gabriel)
    again = beneficiary_add_internal(member=member, account_number=gabriel_savings.number)
    assert again.pk != gabriel.pk


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("id_number", "1710034066", "cédula no es válido"),
        ("account_number", "12-34", "entre 6 y 20 dígitos"),
        ("account_type", "plazo", "tipo de cuenta"),
    ],
)
def test_external_beneficiary_data_is_validated(member, pichincha, field, value, message):
    data = {
        "institution": pichincha,
        "account_type": "savings",
        "account_number": "2201234567",
        "name": "Carlos Mendoza",
        "id_type": "cedula",
        "id_number": "1710034065",
        field: value,
    }
    with pytest.raises(BeneficiaryError, match=message):
        beneficiary_add_external(member=member, **data)


def test_search_and_ownership(member, other_member, carlos, gabriel):
    assert list(member_beneficiaries(member=member, search="pichincha")) == [carlos]
    assert list(member_beneficiaries(member=member, search="1710034065")) == [carlos]
    assert list(member_beneficiaries(member=member, kind="internal")) == [gabriel]
    with pytest.raises(Http404):
        member_beneficiary(member=other_member, public_id=carlos.public_id)
    beneficiary_delete(beneficiary=carlos)
    with pytest.raises(Http404):
        member_beneficiary(member=member, public_id=carlos.public_id)


def test_member_limits_stay_under_the_cooperatives(member, transfer_catalog):
    with pytest.raises(LimitError, match="no puede superar el límite máximo"):
        member_limits_set(
            member=member,
            kind=TransferKind.INTERBANK,
            daily=Decimal("2000.01"),
            weekly=Decimal("3000"),
            monthly=Decimal("4000"),
        )
    with pytest.raises(LimitError, match="diario no puede superar el semanal"):
        member_limits_set(
            member=member,
            kind=TransferKind.INTERBANK,
            daily=Decimal("500"),
            weekly=Decimal("400"),
            monthly=Decimal("4000"),
        )
    member_limits_set(
        member=member,
        kind=TransferKind.INTERBANK,
        daily=Decimal("100"),
        weekly=Decimal("400"),
        monthly=Decimal("4000"),
    )
    limits = member_limits(member=member, kind=TransferKind.INTERBANK)
    assert (limits.daily, limits.weekly, limits.monthly) == (100, 400, 4000)


def test_bolivia_needs_an_official_rate_for_its_usd_threshold(cooperative):
    bolivia = Cooperative.objects.get(slug="progreso-bo")
    assert bolivia.in_usd(Decimal("686.00"), "BOB") == Decimal("100")
    bolivia.usd_exchange_rate = None
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="tipo de cambio oficial"):
        bolivia.full_clean()

"""The kernel's shared form fields know nothing of the apps' models: the origin field
offers the accounts it is given, shown as its caller describes them."""

from decimal import Decimal
from types import SimpleNamespace
from uuid import uuid4

import pytest
from django import forms

from core.fields import AmountField, OriginAccountField


def account(name: str) -> SimpleNamespace:
    return SimpleNamespace(public_id=uuid4(), name=name)


def test_the_origin_field_offers_the_accounts_it_is_given_as_described():
    savings, current = account("AHORROS"), account("CORRIENTE")
    field = OriginAccountField(accounts=[savings, current], describe=lambda a: a.name)
    assert [label for _key, label in field.choices[1:]] == ["AHORROS", "CORRIENTE"]
    assert field.clean(str(current.public_id)) is current


def test_the_origin_field_refuses_an_account_it_did_not_offer():
    field = OriginAccountField(accounts=[account("AHORROS")])
    with pytest.raises(forms.ValidationError, match="Selecciona una de tus cuentas"):
        field.clean(str(uuid4()))


def test_a_single_account_comes_chosen():
    only = account("AHORROS")
    assert OriginAccountField(accounts=[only]).initial == str(only.public_id)


def test_an_amount_is_parsed_as_a_person_types_it():
    assert AmountField().clean("1500,5") == Decimal("1500.5")
    with pytest.raises(forms.ValidationError, match="El monto debe ser mayor a cero"):
        AmountField().clean("-3")

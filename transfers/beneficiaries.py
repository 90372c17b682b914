"""Administración de Beneficiarios: registering, finding, editing and removing the people
a member transfers to. Views confirm each change with the OTP dialog before calling
these functions."""

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.audit import audit_log
from accounts.identification import normalize_identification
from accounts.models import Member
from accounts.notices import security_change_notify
from accounts.operations import Actor
from core.masking import mask_name
from products.models import DepositAccount
from transfers.exceptions import BeneficiaryError
from transfers.models import Beneficiary, Institution

ACCOUNT_NUMBER = re.compile(r"^\d{6,20}$")


@dataclass(frozen=True)
class Holder:
    account: DepositAccount
    masked_name: str


def internal_holder(*, member: Member, account_number: str) -> Holder:
    """The coop account behind ``account_number`` and its holder's masked name, for the
    "Validar" button. Refuses the member's own accounts and accounts that cannot receive."""
    number = account_number.strip()
    account = (
        DepositAccount.objects.select_related("member", "ledger_account", "product_type")
        .filter(number=number)
        .first()
    )
    if account is None or account.status != DepositAccount.Status.ACTIVE:
        raise BeneficiaryError("No encontramos una cuenta activa con ese número.")
    if account.member_id == member.pk:
        raise BeneficiaryError("Esta cuenta es tuya: usa «Transferencias a mis cuentas».")
    return Holder(account=account, masked_name=mask_name(account.member.full_name))


def beneficiary_add_internal(
    *,
    member: Member,
    account_number: str,
    alias: str = "",
    email: str = "",
    by: Actor | None = None,
) -> Beneficiary:
    holder = internal_holder(member=member, account_number=account_number)
    return _save(
        by,
        Beneficiary(
            member=member,
            kind=Beneficiary.Kind.INTERNAL,
            account=holder.account,
            account_number=holder.account.number,
            name=holder.masked_name,
            alias=alias.strip(),
            email=email.strip(),
        ),
    )


def beneficiary_add_external(
    *,
    member: Member,
    institution: Institution,
    account_type: str,
    account_number: str,
    name: str,
    id_type: str,
    id_number: str,
    alias: str = "",
    email: str = "",
    by: Actor | None = None,
) -> Beneficiary:
    if not institution.is_active:
        raise BeneficiaryError("La entidad financiera no está disponible.")
    number = account_number.strip()
    if not ACCOUNT_NUMBER.match(number):
        raise BeneficiaryError("El número de cuenta debe tener entre 6 y 20 dígitos.")
    if account_type not in Beneficiary.AccountType.values:
        raise BeneficiaryError("Elige el tipo de cuenta.")
    try:
        id_number = normalize_identification(id_type, id_number)
    except ValidationError as exc:
        raise BeneficiaryError(exc.messages[0]) from exc
    return _save(
        by,
        Beneficiary(
            member=member,
            kind=Beneficiary.Kind.EXTERNAL,
            institution=institution,
            account_type=account_type,
            account_number=number,
            name=" ".join(name.upper().split()),
            id_type=id_type,
            id_number=id_number,
            alias=alias.strip(),
            email=email.strip(),
        ),
    )


ALREADY_REGISTERED = "Ya tienes registrado un beneficiario con esta cuenta."


def beneficiary_check_new(
    *,
    member: Member,
    account: DepositAccount | None = None,
    institution: Institution | None = None,
    account_number: str = "",
) -> None:
    """Raises ``BeneficiaryError`` if the member already has this account as a
    beneficiary — a coop ``account``, or ``account_number`` at ``institution`` — so the
    member hears it before a code is sent (the unique constraints decide at saving)."""
    rows = member_beneficiaries(member=member)
    if account is not None:
        rows = rows.filter(account=account)
    else:
        rows = rows.filter(institution=institution, account_number=account_number)
    if rows.exists():
        raise BeneficiaryError(ALREADY_REGISTERED)


def _audit(by: Actor | None, event: str, beneficiary: Beneficiary) -> None:
    """Records the change in the member's activity (in the caller's transaction) and,
    for a new beneficiary, tells the member on every channel once it commits: adding a
    payee is what an intruder does first."""
    if by is None or by.user is None:
        return
    audit_log(event=event, user=by.user, request=by.request, beneficiary=beneficiary.name)
    if event == "beneficiary_added":
        security_change_notify(user=by.user, what=f"se registró el beneficiario {beneficiary.name}")


def _save(by: Actor | None, beneficiary: Beneficiary) -> Beneficiary:
    try:
        with transaction.atomic():
            beneficiary.save()
            _audit(by, "beneficiary_added", beneficiary)
    except IntegrityError as exc:
        raise BeneficiaryError(ALREADY_REGISTERED) from exc
    return beneficiary


def beneficiary_update(
    *, beneficiary: Beneficiary, alias: str, email: str, by: Actor | None = None
) -> Beneficiary:
    """Alias and e-mail are what a member may change; the account is the beneficiary."""
    beneficiary.alias = alias.strip()
    beneficiary.email = email.strip()
    with transaction.atomic():
        beneficiary.save(update_fields=["alias", "email"])
        _audit(by, "beneficiary_changed", beneficiary)
    return beneficiary


def beneficiary_delete(*, beneficiary: Beneficiary, by: Actor | None = None) -> None:
    """Hides it from the lists; the transfers made to it keep their beneficiary. Removing
    one already removed (a second tab) changes nothing."""
    with transaction.atomic():
        removed = Beneficiary.objects.filter(pk=beneficiary.pk, deleted_at__isnull=True).update(
            deleted_at=timezone.now()
        )
        if removed:
            _audit(by, "beneficiary_removed", beneficiary)


def member_beneficiaries(*, member: Member, kind: str | None = None, search: str = ""):
    """The member's beneficiaries, by name; ``search`` matches name, alias,
    identification, account number or institution."""
    rows = Beneficiary.objects.filter(member=member, deleted_at__isnull=True).select_related(
        "institution", "account__product_type"
    )
    if kind:
        rows = rows.filter(kind=kind)
    search = search.strip()
    if search:
        rows = rows.filter(
            Q(name__icontains=search)
            | Q(alias__icontains=search)
            | Q(id_number__icontains=search)
            | Q(account_number__icontains=search)
            | Q(institution__name__icontains=search)
        )
    return rows.order_by("name", "pk")


def member_beneficiary(*, member: Member, public_id, kind: str | None = None) -> Beneficiary:
    """One of the member's beneficiaries; 404 for anyone else's (or a removed one)."""
    rows = member_beneficiaries(member=member)
    if kind:
        rows = rows.filter(kind=kind)
    return get_object_or_404(rows, public_id=public_id)

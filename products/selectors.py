"""Reading members' products, always scoped to their owner."""

from django.shortcuts import get_object_or_404

from accounts.models import Member
from products.models import DepositAccount


def member_deposit_accounts(*, member: Member) -> list[DepositAccount]:
    return list(
        DepositAccount.objects.filter(member=member)
        .select_related("product_type", "ledger_account")
        .order_by("opened_at", "pk")
    )


def member_deposit_account(*, member: Member, public_id) -> DepositAccount:
    """One of the member's accounts; anybody else's answers 404."""
    return get_object_or_404(
        DepositAccount.objects.select_related("product_type", "ledger_account"),
        member=member,
        public_id=public_id,
    )


def member_has_active_products(*, member: Member) -> bool:
    return DepositAccount.objects.filter(
        member=member, status=DepositAccount.Status.ACTIVE
    ).exists()

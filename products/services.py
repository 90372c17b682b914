"""What branch staff do with members' products: open accounts, take deposits and
withdrawals at the window. Every money effect goes through the ledger."""

from decimal import Decimal

from django.db import transaction
from stdnum import luhn

from accounts.audit import audit_log
from accounts.models import Member, User
from ledger.books import book_account
from ledger.models import Account as LedgerAccount
from ledger.models import Channel, Kind
from ledger.services import Line, Posted, account_open, journal_post
from products.models import DepositAccount, ProductRequest, ProductType

NUMBER_PREFIX = "41"


def _next_number() -> str:
    """``41`` + a nine-digit sequence + a Luhn check digit: 12 digits, typo-resistant."""
    last = (
        DepositAccount.objects.select_for_update()
        .filter(number__startswith=NUMBER_PREFIX)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    sequence = int(last[len(NUMBER_PREFIX) : -1]) + 1 if last else 1
    body = f"{NUMBER_PREFIX}{sequence:09d}"
    return body + luhn.calc_check_digit(body)


def deposit_account_open(
    *,
    member: Member,
    product_type: ProductType,
    signature: str = DepositAccount.Signature.SINGLE,
    actor: User | None = None,
    reason: str = "",
) -> DepositAccount:
    with transaction.atomic():
        number = _next_number()
        ledger_account = account_open(
            code=f"DEP-{number}",
            name=f"{product_type.name} {number} · {member.full_name}"[:120],
            kind=LedgerAccount.Kind.LIABILITY,
            normal_side=LedgerAccount.Side.CREDIT,
            currency=product_type.currency,
            forbid_negative=True,
        )
        account = DepositAccount.objects.create(
            member=member,
            product_type=product_type,
            number=number,
            signature=signature,
            ledger_account=ledger_account,
        )
        audit_log(
            event="staff_action",
            user=member.user,
            actor=actor,
            action="account_open",
            account=number,
            reason=reason,
        )
    return account


def cash_deposit(
    *, account: DepositAccount, amount: Decimal, key: str, actor: User | None = None
) -> Posted:
    """ "DEPÓSITO AHORROS" at the branch window: cash in, the member's account credited."""
    cash = book_account("CASH", account.ledger_account.currency)
    return journal_post(
        key=key,
        kind=Kind.DEPOSIT,
        lines=[
            Line.debit(cash, amount, "DEPÓSITO EN VENTANILLA"),
            Line.credit(account.ledger_account, amount, "DEPÓSITO AHORROS"),
        ],
        channel=Channel.BRANCH,
        actor=actor,
        source=account,
    )


def cash_withdrawal(
    *, account: DepositAccount, amount: Decimal, key: str, actor: User | None = None
) -> Posted:
    """ "RETIRO DE AHORROS" at the branch window."""
    cash = book_account("CASH", account.ledger_account.currency)
    return journal_post(
        key=key,
        kind=Kind.WITHDRAWAL,
        lines=[
            Line.debit(account.ledger_account, amount, "RETIRO DE AHORROS"),
            Line.credit(cash, amount, "RETIRO EN VENTANILLA"),
        ],
        channel=Channel.BRANCH,
        actor=actor,
        source=account,
    )


def product_request_create(
    *,
    member: Member,
    kind: str,
    amount: Decimal | None = None,
    term: int | None = None,
    comment: str = "",
    request=None,
) -> ProductRequest:
    """ "Solicita tus productos": recorded for staff, who see it in the admin."""
    if kind not in ProductRequest.Kind.values:
        raise ValueError(f"unknown product kind {kind!r}")
    with transaction.atomic():
        product_request = ProductRequest.objects.create(
            member=member, kind=kind, amount=amount, term=term, comment=comment.strip()
        )
        audit_log(
            event="product_request",
            user=member.user,
            request=request,
            kind=kind,
            request_id=str(product_request.public_id),
        )
    return product_request

"""The consolidated position: what it reads, the products' own tables and the sections
other apps contribute.

Products shows the member's accounts, loans and investments itself, each family a table of
``core.tables`` (the page's template prints them with ``{% data_table %}``). An app above
it whose products belong on the same page — cards: the member's credit and debit cards —
registers a section in its AppConfig.ready: the template that renders it and a reading
(``core.db.rows``) of what the template finds as ``section`` for one member. Products never
imports those apps; the page shows their sections after its own, in the order registered.
``member_position`` sends every family's statement and every section's in one round trip:
one query each, so the page's count stays flat (tested).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from accounts.models import Member
from core.db.rows import Reading, readings_run
from core.profile import cooperative_current
from core.tables import Column, amount_column, day, html, link
from products.investments import TermDepositSummary, term_deposit_summary
from products.models import DepositAccount
from products.queries import deposit_accounts_reading, loans_reading, term_deposits_reading
from products.selectors import LoanSummary, loan_summary
from products.templatetags.positions import percent

# The share icon of «Compartir» (three joined dots).
_SHARE_ICON = (
    '<svg viewBox="0 0 24 24" aria-hidden="true"><circle cx="18" cy="5" r="3"/>'
    '<circle cx="6" cy="12" r="3"/><circle cx="18" cy="19" r="3"/>'
    '<path d="M8.6 13.5l6.8 4M15.4 6.5l-6.8 4"/></svg>'
)


def _account_type(account: DepositAccount, title: str, badge: str):
    if account.signature != DepositAccount.Signature.JOINT:
        return account.product_type.name
    return SafeString(
        f'{html(account.product_type.name)} <span class="badge" title="{html(title)}">'
        f"{html(badge)}</span>"
    )


def _share(account: DepositAccount, label: str, title: str) -> SafeString:
    """«Compartir»: the button handing the phone the account's data."""
    text = account.share_text(cooperative_current().short_name)
    return SafeString(
        f'<button type="button" class="btn-icon" data-share="{html(text)}" '
        f'aria-label="{html(label % {"n": account.number})}" title="{html(title)}">'
        f"{_SHARE_ICON}</button>"
    )


def _account_currency(account: DepositAccount) -> str:
    return account.ledger_account.currency


# «Cuentas»: each account linked to its movements, its balances, «Compartir».
ACCOUNT_COLUMNS = (
    Column(
        _("Número"),
        lambda a, label: link(a.page_url(), a.number, label % {"n": a.number}),
        texts=(_("Ver movimientos de la cuenta %(n)s"),),
    ),
    Column(
        _("Tipo de cuenta"),
        _account_type,
        texts=(_("Las cuentas con firma conjunta no podrán transaccionar."), _("Firma conjunta")),
    ),
    Column(_("Estado"), lambda a: a.get_status_display()),
    amount_column(_("Saldo contable"), lambda a: a.ledger_account.balance, _account_currency),
    amount_column(_("Saldo disponible"), lambda a: a.ledger_account.available, _account_currency),
    Column(
        _("Compartir"), _share, texts=(_("Compartir los datos de la cuenta %(n)s"), _("Compartir"))
    ),
)


def _loan_currency(s) -> str:
    return s.loan.ledger_account.currency


# «Préstamos»: rows of ``products.selectors.loan_summary``.
LOAN_COLUMNS = (
    Column(
        _("Número"),
        lambda s, label: link(s.loan.page_url(), s.loan.number, label % {"n": s.loan.number}),
        texts=(_("Ver detalle del crédito %(n)s"),),
    ),
    Column(_("Descripción"), lambda s: s.loan.loan_type.name),
    amount_column(_("Monto"), lambda s: s.loan.principal, _loan_currency),
    amount_column(_("Saldo de capital"), lambda s: s.balance, _loan_currency),
    amount_column(_("Valor a pagar"), lambda s: s.amount_due, _loan_currency),
    Column(_("Próximo pago"), lambda s: day(s.next_due, "—")),
    Column(_("Fecha de concesión"), lambda s: day(s.loan.granted_on)),
    Column(_("Estado"), lambda s: s.loan.get_status_display()),
)


def _deposit_currency(s) -> str:
    return s.deposit.deposit_type.currency


# «Inversiones»: rows of ``products.investments.term_deposit_summary``.
DEPOSIT_COLUMNS = (
    Column(
        _("Número"),
        lambda s, label: link(
            s.deposit.page_url(), s.deposit.number, label % {"n": s.deposit.number}
        ),
        texts=(_("Ver detalle de la inversión %(n)s"),),
    ),
    amount_column(_("Monto"), lambda s: s.deposit.capital, _deposit_currency),
    Column(_("Fecha emisión"), lambda s: day(s.deposit.issued_on)),
    Column(_("Fecha vencimiento"), lambda s: day(s.deposit.matures_on)),
    Column(_("Tasa de interés"), lambda s: percent(s.deposit.annual_rate), numeric=True),
    Column(_("Días"), lambda s: s.days, numeric=True),
    amount_column(_("Interés ganado"), lambda s: s.interest_earned, _deposit_currency),
    amount_column(_("Interés pagado"), lambda s: s.interest_paid, _deposit_currency),
)


@dataclass(frozen=True)
class PositionSection:
    template: str
    reading: Callable[[Member], Reading[dict]]


_sections: list[PositionSection] = []


def position_section_register(*, template: str, reading: Callable[[Member], Reading[dict]]) -> None:
    """Adds a section to the position (once per template)."""
    if all(section.template != template for section in _sections):
        _sections.append(PositionSection(template=template, reading=reading))


@dataclass(frozen=True)
class Position:
    accounts: list[DepositAccount]
    loans: list[LoanSummary]
    deposits: list[TermDepositSummary]
    sections: list[tuple[str, dict]]  # (template, section) of each registered section


def member_position(*, member: Member, on: date) -> Position:
    """Everything the member holds, as the position shows it on ``on``: one round trip."""
    accounts, loans, deposits, *sections = readings_run(
        deposit_accounts_reading(member),
        loans_reading(member, on=on),
        term_deposits_reading(member),
        *(section.reading(member) for section in _sections),
    )
    return Position(
        accounts=accounts,
        loans=[loan_summary(loan, on=on) for loan in loans],
        deposits=[term_deposit_summary(deposit, on=on) for deposit in deposits],
        sections=[
            (section.template, context)
            for section, context in zip(_sections, sections, strict=True)
        ],
    )

"""The account detail's tabs that other apps contribute.

"Detalle de cuenta" shows the account's "Últimos Movimientos" itself. An app above
products whose things belong to one account — cards: the "Tarjeta débito" tab, the debit
cards linked to it — registers a tab in its AppConfig.ready: the slug the page's
``?vista=`` names, the label, the template that renders it and a function that reads, for
the (already owner-scoped) account, what the template finds as ``section``. Products never
imports those apps; the tabs follow "Últimos Movimientos" in the order registered, and
only the chosen tab is read.
"""

from collections.abc import Callable
from dataclasses import dataclass

from products.models import DepositAccount


@dataclass(frozen=True)
class AccountTab:
    slug: str
    label: str
    template: str
    context: Callable[[DepositAccount], dict]


_tabs: list[AccountTab] = []


def account_tab_register(
    *, slug: str, label: str, template: str, context: Callable[[DepositAccount], dict]
) -> None:
    """Adds a tab to the account detail (once per slug)."""
    if all(tab.slug != slug for tab in _tabs):
        _tabs.append(AccountTab(slug=slug, label=label, template=template, context=context))


def account_tabs() -> list[AccountTab]:
    return list(_tabs)


def account_tab(slug: str | None) -> AccountTab | None:
    """The registered tab named ``slug``, or ``None`` (the movements)."""
    return next((tab for tab in _tabs if tab.slug == slug), None)

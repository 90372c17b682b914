"""Tabs of "Administración de Beneficiarios" that other apps fill.

The page and its first two tabs (Beneficiario Cooprogreso, Beneficiario Otros Bancos)
belong to the transfers app; the third, "Pago Tarjetas", lists the cards a member
registered to pay, which belong to the cards app. Transfers cannot import cards, so cards
registers the tab here in its ``AppConfig.ready``: the slug the page's ``?tab=`` names, the
template that renders it and a function that reads, for the owner and the text searched,
what the template finds as ``section``. Like ``products.account_tabs``, products never
imports the apps that register.
"""

from collections.abc import Callable
from dataclasses import dataclass

from accounts.models import Member


@dataclass(frozen=True)
class BeneficiaryTab:
    slug: str
    template: str
    context: Callable[..., dict]  # context(member=…, search=…) -> dict


_tabs: dict[str, BeneficiaryTab] = {}


def beneficiary_tab_register(*, slug: str, template: str, context: Callable[..., dict]) -> None:
    """Fills the beneficiaries' tab ``slug`` (the first registration of a slug stays)."""
    _tabs.setdefault(slug, BeneficiaryTab(slug=slug, template=template, context=context))


def beneficiary_tab(slug: str) -> BeneficiaryTab | None:
    return _tabs.get(slug)


def beneficiary_tab_section(slug: str, *, member: Member, search: str = "") -> dict | None:
    """What the tab ``slug`` shows to ``member`` (``None`` when no app filled it)."""
    tab = _tabs.get(slug)
    return None if tab is None else tab.context(member=member, search=search)

"""The portal's menu, in the manuals' order and words.

Each entry names the URL of the section that serves it; sections whose app does not
route that URL yet are left out of the menu rather than shown as dead links.
"""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse


@dataclass(frozen=True)
class MenuEntry:
    label: str
    url_name: str
    audience: frozenset[str]


MEMBER = frozenset({"member"})
ENTERPRISE = frozenset({"enterprise"})
EVERYONE = MEMBER | ENTERPRISE

MENU = (
    MenuEntry("Posición consolidada", "products:position", EVERYONE),
    MenuEntry("Transferencias", "transfers:index", EVERYONE),
    MenuEntry("Pago de Tarjetas", "cards:payments", EVERYONE),
    MenuEntry("Pago de Servicios", "payments:index", EVERYONE),
    MenuEntry("Tarjetas", "cards:index", MEMBER),
    MenuEntry("Administración de Beneficiarios", "transfers:beneficiaries", EVERYONE),
    MenuEntry("Gestión de usuarios", "enterprise:users", ENTERPRISE),
    MenuEntry("Registrar pago masivo", "enterprise:payroll_new", ENTERPRISE),
    MenuEntry("Autorizar pago masivo", "enterprise:payroll_authorize", ENTERPRISE),
    MenuEntry("Consultas", "enterprise:queries", ENTERPRISE),
    MenuEntry("Servicios", "products:services", EVERYONE),
    MenuEntry("Mi Perfil", "accounts:profile", EVERYONE),
)


@dataclass(frozen=True)
class MenuLink:
    label: str
    url: str


def _resolved(entry: MenuEntry) -> MenuLink | None:
    try:
        return MenuLink(entry.label, reverse(entry.url_name))
    except NoReverseMatch:
        return None


def menu_for(audience: str) -> list[MenuLink]:
    links = (_resolved(e) for e in MENU if audience in e.audience)
    return [link for link in links if link is not None]


# The credential-support links under the sign-in form, as the manuals list them.
SUPPORT = (
    MenuEntry("Olvidé mi usuario", "accounts:forgot_username", EVERYONE),
    MenuEntry("Desbloquear tu usuario", "accounts:unlock", EVERYONE),
    MenuEntry("Olvidé mi contraseña", "accounts:forgot_password", EVERYONE),
    MenuEntry("Regístrate aquí", "accounts:enroll", EVERYONE),
)


def support_links() -> list[MenuLink]:
    links = (_resolved(e) for e in SUPPORT)
    return [link for link in links if link is not None]

"""The portal's menu, in the manuals' order and words.

Each entry names the URL of the section that serves it; sections whose app does not
route that URL yet are left out of the menu rather than shown as dead links.

A page belongs to a section by the first segment of its path: ``/perfil/contrasena/`` is
under *Mi Perfil* because ``/perfil/`` is. Pages the manuals file under a section but that
live at a path of their own (``/cupos/`` under *Servicios*, ``/cuentas/<id>/`` under
*Posición consolidada*) are listed in the entry's ``sections``; the menu marks the
section of the page being shown.
"""

from dataclasses import dataclass
from functools import cache, lru_cache

from django.template.loader import render_to_string
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.translation import get_language, gettext

from core.profile import NoActiveCooperative, cooperative_current


@dataclass(frozen=True)
class MenuEntry:
    label: str  # "{coop}" stands for the active cooperative's short name; translated
    url_name: str
    audience: frozenset[str]
    sections: tuple[str, ...] = ()  # first path segments of its pages besides its own URL's


MEMBER = frozenset({"member"})
ENTERPRISE = frozenset({"enterprise"})
EVERYONE = MEMBER | ENTERPRISE

MENU = (
    MenuEntry(
        "Posición consolidada",
        "products:position",
        EVERYONE,
        sections=("cuentas", "creditos", "inversiones", "documentos"),
    ),
    MenuEntry("Transferencias", "transfers:index", EVERYONE),
    MenuEntry("Pago de Tarjetas", "cards:payments", EVERYONE),
    MenuEntry("Pago de Servicios", "payments:index", EVERYONE),
    MenuEntry("Tarjetas {coop}", "cards:index", MEMBER, sections=("tarjetas",)),
    MenuEntry("Administración de Beneficiarios", "transfers:beneficiaries", EVERYONE),
    MenuEntry("Gestión de usuarios", "enterprise:users", ENTERPRISE),
    MenuEntry("Registrar pago masivo", "enterprise:payroll_new", ENTERPRISE),
    MenuEntry("Autorizar pago masivo", "enterprise:payroll_authorize", ENTERPRISE),
    MenuEntry("Consultas", "enterprise:queries", ENTERPRISE),
    MenuEntry(
        "Servicios",
        "products:services",
        EVERYONE,
        sections=(
            "estado-de-cuenta",
            "cupos",
            "solicita-tus-productos",
            "contacto",
            "preguntas-frecuentes",
        ),
    ),
    MenuEntry("Mi Perfil", "accounts:profile", EVERYONE),
)


@dataclass(frozen=True)
class MenuLink:
    label: str  # translated
    url: str
    current: str = ""  # aria-current: "page" on the section's own page, "true" under it


def section_of(path: str) -> str:
    """The first segment of ``path``: ``/cupos/`` → ``cupos``."""
    return path.strip("/").split("/", 1)[0]


def entry_sections(entry: MenuEntry) -> tuple[str, ...]:
    """Every first path segment that belongs to ``entry`` (its own URL's first)."""
    try:
        return (section_of(reverse(entry.url_name)), *entry.sections)
    except NoReverseMatch:
        return entry.sections


@cache
def _url(url_name: str, urlconf: str | None, prefix: str) -> str | None:
    """An entry's URL, reversed once per process (and URLconf and script prefix): the menu
    is on every signed-in page."""
    try:
        return reverse(url_name, urlconf=urlconf)
    except NoReverseMatch:
        return None


def _resolved(entry: MenuEntry, path: str = "") -> MenuLink | None:
    url = _url(entry.url_name, get_urlconf(), get_script_prefix())
    if url is None:
        return None
    current = ""
    if path == url:
        current = "page"
    elif path and section_of(path) in (section_of(url), *entry.sections):
        current = "true"
    label = gettext(entry.label)  # here, not in the template: the menu is on every page
    if "{coop}" in label:
        label = label.replace("{coop}", cooperative_current().short_name)
    return MenuLink(label, url, current)


@cache
def _menu(audience: str, urlconf, prefix: str, language: str, coop: str) -> tuple:
    """The menu of ``audience`` as ``(label, url, sections)``, worked out once per URLconf,
    script prefix, language and cooperative name: it is on every signed-in page."""
    entries = []
    for entry in MENU:
        if audience not in entry.audience:
            continue
        link = _resolved(entry)
        if link is not None:
            entries.append((link.label, link.url, (section_of(link.url), *entry.sections)))
    return tuple(entries)


def menu_for(audience: str, path: str = "") -> list[MenuLink]:
    """The menu of ``audience``, with the section of the page at ``path`` marked."""
    try:
        coop = cooperative_current().short_name
    except NoActiveCooperative:
        coop = ""
    entries = _menu(audience, get_urlconf(), get_script_prefix(), get_language(), coop)
    section = section_of(path) if path else None
    return [
        MenuLink(label, url, "page" if path == url else "true" if section in sections else "")
        for label, url, sections in entries
    ]


@lru_cache(maxsize=1024)
def menu_html(links: tuple[MenuLink, ...]) -> str:
    """``links`` as the menu's list items (``partials/menu_links.html``), rendered once for
    each set of links — labels, URLs and the section marked — since every page of a
    section shows the same menu."""
    return render_to_string("partials/menu_links.html", {"menu": links})


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

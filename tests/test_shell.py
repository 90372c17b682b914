"""The portal's shell: the login page, the signed-in layout, headers and the web app."""

import json
import re

from django.test import Client

from cooprogreso.navigation import MENU
from tests.auth import sign_in


def test_the_login_page_speaks_spanish(client, db):
    html = client.get("/ingresar/").content.decode()
    assert '<html lang="es"' in html
    for text in ("Ingresa con tu usuario y contraseña", "Usuario", "Continuar"):
        assert text in html
    assert 'placeholder="Ingresa tu usuario"' in html


def test_a_member_signs_in_and_lands_on_the_consolidated_position(client, member, password):
    response = sign_in(client, "mariaperez", password)
    assert response.redirect_chain[-1][0] == "/posicion-consolidada/"
    html = response.content.decode()
    assert "Posición consolidada" in html
    assert "María Pérez" in html
    assert "Primera conexión" in html


def test_the_header_shows_the_previous_connection_and_device(client, member, password):
    chrome = (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36"
    )
    sign_in(client, "mariaperez", password, HTTP_USER_AGENT=chrome)
    client.post("/salir/")
    response = sign_in(client, "mariaperez", password)
    html = response.content.decode()
    assert re.search(r"Última conexión: \d\d/\d\d/\d{4} \d\d:\d\d · Chrome 142 · Windows", html)


def test_pages_need_a_signed_in_user(client, db):
    response = client.get("/posicion-consolidada/")
    assert response.status_code == 302
    assert response["Location"].startswith("/ingresar/")


def test_logout_is_a_post_and_ends_the_session(member_client):
    assert member_client.get("/salir/").status_code == 405
    member_client.post("/salir/")
    assert member_client.get("/posicion-consolidada/").status_code == 302


def test_the_menu_follows_the_manuals_and_hides_unbuilt_sections(member_client):
    html = member_client.get("/posicion-consolidada/").content.decode()
    assert [e.label for e in MENU][:2] == ["Posición consolidada", "Transferencias"]
    assert 'href="/posicion-consolidada/" aria-current="page"' in html
    assert "Salir" in html


MENU_LINK = re.compile(r'<li><a href="([^"]+)"(?: aria-current="(\w+)")?>([^<]+)</a></li>')


def marked(html: str) -> list[tuple[str, str]]:
    """(label, aria-current) of the menu entries marked on a page."""
    return [(label, current) for _url, current, label in MENU_LINK.findall(html) if current]


def test_every_page_under_a_menu_section_marks_it(member_client, member):
    from ledger.books import books_open
    from products.catalog import product_types_load
    from products.models import ProductType
    from products.services import deposit_account_open

    books_open(currency="USD")
    product_types_load(cooperative_slug="cooprogreso")
    account = deposit_account_open(member=member, product_type=ProductType.objects.get(code="AHO"))
    pages = {
        "Posición consolidada": ["/posicion-consolidada/", f"/cuentas/{account.public_id}/"],
        "Transferencias": ["/transferencias/", "/transferencias/mis-cuentas/"],
        "Administración de Beneficiarios": ["/beneficiarios/", "/beneficiarios/nuevo/cooprogreso/"],
        "Servicios": [
            "/servicios/",
            "/cupos/",
            "/estado-de-cuenta/",
            "/solicita-tus-productos/",
            "/contacto/",
            "/preguntas-frecuentes/",
        ],
        "Mi Perfil": ["/perfil/", "/perfil/contrasena/", "/perfil/dispositivos/"],
    }
    for label, paths in pages.items():
        own, *under = paths
        response = member_client.get(own)
        assert marked(response.content.decode()) == [(label, "page")], own
        for path in under:
            response = member_client.get(path)
            assert response.status_code == 200, path
            assert marked(response.content.decode()) == [(label, "true")], path


# First path segments of pages that are in no menu section by design: signing in and
# enrolling, the public verification page, staff pages and the web app's files.
OUTSIDE_THE_MENU = {
    "",
    "admin",
    "agencia",
    "dev",
    "healthz",
    "ingresar",
    "logo",
    "manifest.webmanifest",
    "offline",
    "registro",
    "salir",
    "sesion",
    "sw.js",
    "tema.css",
    "verificar",
}


def test_every_page_of_the_portal_belongs_to_a_menu_section_or_to_none_by_design(db):
    from django.urls import URLPattern, URLResolver, get_resolver

    from cooprogreso.navigation import entry_sections

    def prefixes(patterns, prefix=""):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                if not route.startswith("admin/"):
                    yield from prefixes(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern):
                yield route.split("/", 1)[0]

    sections = {section for entry in MENU for section in entry_sections(entry)}
    strays = set(prefixes(get_resolver().url_patterns)) - sections - OUTSIDE_THE_MENU
    assert strays == set(), "pages in no menu section: give them one in navigation.py"


def test_logout_needs_the_csrf_token(member):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member.user)
    assert client.post("/salir/").status_code == 403


def test_security_headers_are_set(client, db):
    response = client.get("/ingresar/")
    csp = response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self' 'nonce-" in csp
    assert "unsafe-inline" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


def test_every_script_tag_carries_the_csp_nonce(client, db):
    response = client.get("/ingresar/")
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
    scripts = re.findall(r"<script[^>]*>", response.content.decode())
    assert scripts
    assert all(f'nonce="{nonce}"' in tag for tag in scripts)
    assert "style=" not in response.content.decode()


def test_signed_in_pages_are_never_cached(member_client):
    response = member_client.get("/posicion-consolidada/")
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_the_web_app_manifest_uses_the_cooperative_profile(client, cooperative):
    data = json.loads(client.get("/manifest.webmanifest").content)
    assert data["name"] == "Cooprogreso en Línea"
    assert data["theme_color"] == cooperative.primary_color
    assert {i["sizes"] for i in data["icons"]} == {"192x192", "512x512"}


def test_the_service_worker_caches_only_static_files_and_the_offline_page(client, db):
    response = client.get("/sw.js")
    assert response["Service-Worker-Allowed"] == "/"
    script = response.content.decode()
    assert '"/offline/"' in script
    assert '"/static/"' in script
    assert "__" not in script
    assert client.get("/offline/").status_code == 200


def test_a_request_id_from_the_proxy_is_kept(client, db):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="abc12345-proxy")
    assert response["X-Request-ID"] == "abc12345-proxy"

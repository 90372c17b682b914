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

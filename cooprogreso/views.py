"""Site views: health, the web-app manifest and service worker, the brand stylesheet,
and the error pages (400, 403, CSRF failure, 404, 500)."""

import hashlib
import json
import mimetypes

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import FileResponse, Http404, HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.templatetags.static import static
from django.utils.cache import patch_vary_headers
from django.utils.http import quote_etag
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_safe

from cooprogreso.health import health_report
from core.notifications import outbox_messages
from core.profile import cooperative_current

ALLOWED_LOGO_TYPES = {"image/png", "image/jpeg", "image/webp"}


@never_cache
@require_safe
def healthz(request):
    healthy, report = health_report()
    return JsonResponse(report, status=200 if healthy else 503)


@require_safe
def offline(request):
    return render(request, "offline.html")


@require_safe
@cache_control(max_age=300)
def brand_stylesheet(request):
    """The cooperative's colors as CSS custom properties (no inline styles under CSP)."""
    coop = cooperative_current()
    css = f":root{{--coop-primary:{coop.primary_color};--coop-accent:{coop.accent_color};}}\n"
    etag = quote_etag(hashlib.sha256(css.encode()).hexdigest()[:16])
    if request.headers.get("If-None-Match") == etag:
        return HttpResponse(status=304, headers={"ETag": etag})
    return HttpResponse(css, content_type="text/css; charset=utf-8", headers={"ETag": etag})


@require_safe
@cache_control(max_age=3600)
def logo(request):
    coop = cooperative_current()
    if not coop.logo:
        return redirect(static(coop.default_logo_static_path))
    content_type = mimetypes.guess_type(coop.logo.name)[0]
    if content_type not in ALLOWED_LOGO_TYPES:
        raise Http404
    return FileResponse(coop.logo.open("rb"), content_type=content_type)


@require_safe
@cache_control(max_age=3600)
def manifest(request):
    coop = cooperative_current()
    data = {
        "name": coop.channel_name,
        "short_name": coop.short_name,
        "lang": "es",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": coop.primary_color,
        "icons": [
            {"src": static("img/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("img/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {
                "src": static("img/icon-maskable-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }
    return HttpResponse(
        json.dumps(data, ensure_ascii=False), content_type="application/manifest+json"
    )


@require_safe
def service_worker(request):
    """Served from the root so its scope is the whole portal; caches only static files."""
    path = finders.find("js/sw.js")
    with open(path, encoding="utf-8") as f:
        script = f.read()
    offline_assets = [
        "/offline/",
        static("css/portal.css"),
        static("img/icon-192.png"),
    ]
    script = script.replace("__OFFLINE_ASSETS__", json.dumps(offline_assets))
    script = script.replace("__STATIC_PREFIX__", json.dumps(settings.STATIC_URL))
    version = hashlib.sha256(script.encode()).hexdigest()[:12]
    script = script.replace("__CACHE_VERSION__", json.dumps(version))
    response = HttpResponse(script, content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"
    return response


@never_cache
@require_safe
def dev_outbox(request):
    """Development only: the latest e-mails and SMS (404 unless DEBUG is on)."""
    if not settings.DEBUG:
        raise Http404
    return render(request, "dev/outbox.html", {"messages_sent": outbox_messages()})


# --- Error pages -------------------------------------------------------------------------
# In the portal's shell, in Spanish, with the request id to quote to the call centre; an
# HTMX request gets a card the size of a dialog instead of a whole page (the templates
# extend errors/fragment.html or errors/page.html on ``request.htmx``).


def _error_page(request, template: str, status: int) -> HttpResponse:
    response = render(request, template, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def bad_request(request, exception=None):
    return _error_page(request, "400.html", 400)


def permission_denied(request, exception=None):
    return _error_page(request, "403.html", 403)


def csrf_failure(request, reason=""):
    """``CSRF_FAILURE_VIEW``: the 403 page, saying why a person most likely sees it."""
    return _error_page(request, "403_csrf.html", 403)


def page_not_found(request, exception=None):
    return _error_page(request, "404.html", 404)


def server_error(request):
    """The 500 page. Rendered without context processors and reading the cooperative
    only if it can: the database, the cache or a context processor may be what failed."""
    htmx = request.headers.get("HX-Request") == "true"
    coop = _cooperative_or_none()
    context = {
        "fragment": htmx,
        "request_id": getattr(request, "request_id", ""),
        "phone": getattr(coop, "call_center_phone", ""),
        "channel_name": getattr(coop, "channel_name", ""),
        "stylesheet": _static_or_empty("css/portal.css"),
        "back_url": _htmx_page(request) if htmx else "/",
    }
    response = HttpResponseServerError(loader.get_template("500.html").render(context))
    patch_vary_headers(response, ["HX-Request"])
    return response


def _cooperative_or_none():
    try:
        return cooperative_current()
    except Exception:  # the database or the cache may be what failed
        return None


def _static_or_empty(path: str) -> str:
    try:
        return static(path)
    except Exception:  # a missing static manifest must not hide the 500 page
        return ""


def _htmx_page(request) -> str:
    """The page an HTMX request came from (``HX-Current-URL``) if it is this site's."""
    try:
        return request.htmx.current_url_abs_path or "/"
    except Exception:  # no HtmxMiddleware yet, or a host Django refuses
        return "/"

"""Site views: health, the web-app manifest and service worker, the brand stylesheet."""

import hashlib
import json
import mimetypes

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils.http import quote_etag
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_safe

from cooprogreso.health import health_report
from cooprogreso.notifications import outbox_messages
from cooprogreso.profile import cooperative_current

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

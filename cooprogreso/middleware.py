"""Cross-cutting request handling: request ids for logs, no caching of private pages."""

import logging
import re
import uuid

from django.core.exceptions import BadRequest
from django.urls import get_resolver
from django.utils.cache import patch_cache_control

from core.logging import request_id_var
from core.text import has_control_characters

_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9-]{8,64}$")
logger = logging.getLogger(__name__)


class RequestIdMiddleware:
    """Tags every log line of a request with one id, echoed in ``X-Request-ID``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = request_id
        return response


class PrivateCacheMiddleware:
    """Pages seen by a signed-in user are never stored by browsers or proxies."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, no_store=True, private=True)
        return response


class ActiveCooperativeMiddleware:
    """Until staff activate a cooperative profile, members see a maintenance page."""

    exempt_prefixes = ("/admin/", "/healthz", "/static/", "/dev/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.shortcuts import render

        from core.profile import NoActiveCooperative, cooperative_current

        if not request.path.startswith(self.exempt_prefixes):
            try:
                cooperative_current()
            except NoActiveCooperative:
                return render(request, "unconfigured.html", status=503)
        return self.get_response(request)


class ClientAddressMiddleware:
    """Behind ``TRUSTED_PROXY_HOPS`` reverse proxies, the client is the address the
    outermost trusted proxy saw: the N-th entry from the right of X-Forwarded-For. Rate
    limits and the security log then see members, not the proxy."""

    def __init__(self, get_response):
        from django.conf import settings

        self.hops = settings.TRUSTED_PROXY_HOPS
        self.get_response = get_response

    def __call__(self, request):
        if self.hops:
            forwarded = [a.strip() for a in request.headers.get("X-Forwarded-For", "").split(",")]
            forwarded = [a for a in forwarded if a]
            if len(forwarded) >= self.hops:
                request.META["REMOTE_ADDR"] = forwarded[-self.hops]
        return self.get_response(request)


class ControlCharactersMiddleware:
    """A query string holding a control character (``?q=%00``) is answered with the 400
    page before any view reads it: no search, filter or ``next`` ever sees one. Form
    fields refuse them one by one (``core.forms``), path parameters through their
    converters (404)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        for key, values in request.GET.lists():
            if any(has_control_characters(text) for text in (key, *values)):
                logger.warning("Query string refused: it holds a control character")
                exception = BadRequest("Control character in the query string")
                return get_resolver().resolve_error_handler(400)(request, exception)
        return self.get_response(request)


class CatalogGenerationMiddleware:
    """One look at the catalogs' generation stamp per request (``core.cached``): the
    request is one operation, and every catalog it reads — the cooperative's profile for
    the shell, the product types, the tariff — belongs to the same generation, at one
    round trip to the shared cache instead of one per read. A change the request makes
    itself is still seen at once (``catalog_changed`` ends the block's generation)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from core.cached import catalog_generation

        with catalog_generation():
            return self.get_response(request)

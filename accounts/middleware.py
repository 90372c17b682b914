"""Server-side session timeouts: idle (members 5 minutes, staff 15) and absolute."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.middleware import (
    AuthenticationMiddleware as DjangoAuthenticationMiddleware,
)
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from accounts.audit import audit_log
from accounts.sessions import session_user

ACTIVITY_KEY = "last_activity"
STARTED_KEY = "session_started"
WRITE_EVERY = 15  # seconds: do not rewrite the session on every request


def idle_limit(request) -> int:
    staff = request.user.is_staff and request.path.startswith("/admin/")
    return settings.SESSION_IDLE_STAFF if staff else settings.SESSION_IDLE_MEMBER


class SessionTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = time.time()
            session = request.session
            started = session.setdefault(STARTED_KEY, now)
            last = session.get(ACTIVITY_KEY, now)
            if now - last > idle_limit(request) or now - started > settings.SESSION_COOKIE_AGE:
                audit_log(event="session_expired", user=user, request=request)
                logout(request)
                messages.info(request, "Tu sesión expiró por inactividad. Ingresa nuevamente.")
                if getattr(request, "htmx", False):
                    response = HttpResponse(status=204)
                    response["HX-Redirect"] = reverse("accounts:login")
                    return response
                return redirect("accounts:login")
            if now - last > WRITE_EVERY or ACTIVITY_KEY not in session:
                session[ACTIVITY_KEY] = now
        return self.get_response(request)


class AuthenticationMiddleware(DjangoAuthenticationMiddleware):
    """Django's, with ``request.user`` taken from the session's own read (the session, its
    user and their membership in one statement: ``accounts.sessions``)."""

    def process_request(self, request):
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: _request_user(request))


def _request_user(request):
    if not hasattr(request, "_cached_user"):
        request._cached_user = session_user(request)
    return request._cached_user

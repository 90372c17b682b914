"""Server-side session timeouts: idle (members 5 minutes, staff 15) and absolute."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from accounts.audit import audit_log

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

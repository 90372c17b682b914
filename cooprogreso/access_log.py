"""Gunicorn's access log as JSON lines, like the application's own logs.

Gunicorn's ``access_log_format`` is a printf template: whatever a request puts in its
path (``%0A``, ``%00``, quotes) would land raw in the line, splitting or forging log
records. Here each request is one log record whose fields the JSON formatter of
``gunicorn.conf.py`` escapes. Gunicorn itself refuses raw control bytes in the request
line (400) and reports them through its error log, JSON too.
"""

import traceback

from gunicorn.glogging import Logger


def _text(wsgi_value: str | None) -> str:
    """A WSGI string (bytes carried as latin-1, PEP 3333) as the UTF-8 text it was;
    unchanged when it is text already (Django writes the decoded path back)."""
    if not wsgi_value:
        return ""
    try:
        return wsgi_value.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return wsgi_value


class JsonAccessLogger(Logger):
    """``logger_class`` of ``gunicorn.conf.py``: one record per request with method,
    path, status, bytes, duration and the request id the portal answered with."""

    def access(self, resp, req, environ, request_time):
        if not self.access_log_enabled:
            return
        status = resp.status
        if isinstance(status, str):
            status = status.split(None, 1)[0]
        try:
            status = int(status)
        except (TypeError, ValueError):
            status = None
        headers = resp.headers.items() if hasattr(resp.headers, "items") else resp.headers
        request_id = next((v for k, v in headers if k.lower() == "x-request-id"), "")
        try:
            self.access_log.info(
                "request",
                extra={
                    "method": _text(environ.get("REQUEST_METHOD")),
                    "path": _text(environ.get("PATH_INFO")),
                    "status": status,
                    "bytes": getattr(resp, "sent", None),
                    "ms": request_time.seconds * 1000 + request_time.microseconds // 1000,
                    "request_id": _text(request_id),
                },
            )
        except Exception:
            self.error(traceback.format_exc())

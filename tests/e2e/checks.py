"""Accessibility (axe-core) and markup (Nu HTML checker) checks of every page the browser
journeys visit — see docs/accessibility.md.

- The journey's pages report their markup (the live DOM) when they load and after every
  HTMX swap; when the test ends each new state is loaded into a page of its own on the
  portal's origin and axe-core audits it at 360 and 1280 px, in the light and the dark
  theme. Serious and critical violations of the WCAG 2.0/2.1/2.2 A and AA rules fail the
  test.
- Every HTML answer of the live server (pages, and HTMX fragments wrapped in a minimal
  document) goes to one Nu HTML checker server per test session; any error fails the test.

A page already checked in the session (same markup once tokens and numbers are set aside)
is not checked again. The tools are npm packages (package.json: `npm ci`) and the Nu
checker needs Java; without them the checks are skipped, loudly — and with CI=true that
is a failure.
"""

import hashlib
import json
import re
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
VNU_JAR = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
WIDTHS = (360, 1280)
THEMES = ("light", "dark")
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
# A theme changes colours only: in the second one, only the rules about colour run again.
COLOUR_RULES = ["color-contrast", "link-in-text-block"]
FAILING_IMPACTS = {"serious", "critical"}


def missing_tools() -> str | None:
    if not AXE_JS.exists() or not VNU_JAR.exists():
        return "faltan axe-core y vnu-jar (ejecuta `npm ci`)"
    if not shutil.which("java"):
        return "falta Java para el validador Nu (paquete Debian default-jre-headless)"
    return None


def fingerprint(html: str) -> str:
    """The same page twice differs only in tokens, identifiers, amounts and times."""
    html = re.sub(r"[A-Za-z0-9_\-]{20,}", "~", html)
    html = re.sub(r"\d+", "0", html)
    return hashlib.sha256(html.encode()).hexdigest()


# --- Nu HTML checker -------------------------------------------------------------------


class NuChecker:
    """One `vnu.jar` HTTP server for the whole session (it takes seconds to start)."""

    def __init__(self):
        self.process = None
        self.port = None

    def start(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.process = subprocess.Popen(
            [
                "java",
                "-Xss1m",
                "-Xmx512m",
                "-Dnu.validator.servlet.bind-address=127.0.0.1",
                "-cp",
                str(VNU_JAR),
                "nu.validator.servlet.Main",
                str(self.port),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def stop(self):
        if self.process:
            self.process.terminate()
            self.process.wait(10)

    def _post(self, html: str) -> list[dict]:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/?out=json&level=error",
            data=html.encode(),
            headers={"Content-Type": "text/html; charset=utf-8"},
        )
        with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310 - loopback
            return json.load(answer)["messages"]

    def errors(self, html: str) -> list[dict]:
        deadline = time.monotonic() + 60
        while True:
            try:
                return [
                    m for m in self._post(html) if m.get("type") in {"error", "non-document-error"}
                ]
            except (ConnectionError, urllib.error.URLError):
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise
                time.sleep(0.25)


@dataclass
class Capture:
    """Every HTML answer of the live server, taken in its thread."""

    answers: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def install(self):
        from django.core.handlers.base import BaseHandler

        original = BaseHandler.get_response
        capture = self

        def get_response(handler, request):
            response = original(handler, request)
            kind = response.get("Content-Type", "")
            if kind.startswith("text/html") and not response.streaming and response.content:
                with capture.lock:
                    capture.answers.append(
                        (
                            request.get_full_path(),
                            request.headers.get("HX-Request") == "true",
                            response.content.decode(response.charset or "utf-8"),
                        )
                    )
            return response

        BaseHandler.get_response = get_response
        return lambda: setattr(BaseHandler, "get_response", original)

    def drain(self) -> list:
        with self.lock:
            answers, self.answers = self.answers, []
        return answers


def as_document(html: str, fragment: bool) -> str:
    if not fragment or html.lstrip()[:15].lower().startswith("<!doctype"):
        return html
    return (
        '<!doctype html><html lang="es"><head><meta charset="utf-8"><title>Fragmento</title>'
        f"</head><body>{html}</body></html>"
    )


# --- axe-core --------------------------------------------------------------------------

AXE_RUN = """([type, values]) => axe.run(document, {
  runOnly: {type, values}, resultTypes: ["violations"]
}).then(r => r.violations.map(v => ({
  id: v.id, impact: v.impact, help: v.help,
  nodes: v.nodes.map(n => n.target.join(" ") + " — " + n.failureSummary.split("\\n").slice(1).join(" ").trim()),
})))"""


# The journey's page reports its markup each time it loads and after each HTMX swap; it is
# audited later in a page of its own, so the checks never touch the journey.
SNAPSHOTS = """(() => {
  const send = () => {
    try { window.__snapshot(location.href, "<!doctype html>" + document.documentElement.outerHTML); }
    catch (e) { /* the page is going away */ }
  };
  window.addEventListener("load", () => setTimeout(send, 0));
  document.addEventListener("htmx:afterSettle", send);
})();"""
STILL = "*, *::before, *::after { transition: none !important; animation: none !important; }"
SCRIPTS = re.compile(r"<script\b[^>]*>.*?</script>", re.DOTALL | re.IGNORECASE)


@dataclass
class Session:
    """What the session has checked, and the checkers."""

    nu: NuChecker | None
    capture: Capture
    axe_source: str = field(default_factory=lambda: AXE_JS.read_text())
    seen_pages: set = field(default_factory=set)
    seen_markup: set = field(default_factory=set)
    seconds: dict = field(default_factory=lambda: {"axe": 0.0, "nu": 0.0})

    def watch(self, context, snapshots: list) -> None:
        """Collect the markup of every page state of the journeys in this context."""
        context.expose_binding(
            "__snapshot", lambda source, url, html: snapshots.append((url, html))
        )
        context.add_init_script(SNAPSHOTS)

    def audit(self, browser, base: str, snapshots: list, problems: list[str]) -> None:
        """axe-core on each new page state, at both widths and in both themes."""
        fresh = []
        for url, html in snapshots:
            key = fingerprint(html)
            if url.startswith(base) and key not in self.seen_pages:
                self.seen_pages.add(key)
                fresh.append((url, html))
        if not fresh:
            return
        started = time.monotonic()
        context = browser.new_context(viewport={"width": WIDTHS[0], "height": 800}, locale="es-EC")
        try:
            page = context.new_page()
            page.route(f"{base}/__auditoria__", lambda route: route.fulfill(body=""))
            page.goto(f"{base}/__auditoria__")  # the portal's origin: its styles load
            for url, html in fresh:
                page.set_content(SCRIPTS.sub("", html), wait_until="load")
                page.add_style_tag(content=STILL)  # colours measured mid-transition lie
                if not page.evaluate("typeof axe !== 'undefined'"):
                    page.evaluate(self.axe_source)
                found = {}
                for width in WIDTHS:
                    page.set_viewport_size({"width": width, "height": 800})
                    for theme in THEMES:
                        page.evaluate("t => document.documentElement.dataset.theme = t", theme)
                        rules = ["tag", AXE_TAGS] if theme == THEMES[0] else ["rule", COLOUR_RULES]
                        for violation in page.evaluate(AXE_RUN, rules):
                            if violation["impact"] in FAILING_IMPACTS:
                                found.setdefault(violation["id"], (violation, []))[1].append(
                                    f"{width}px/{theme}"
                                )
                for violation, where in found.values():
                    nodes = "\n      ".join(violation["nodes"][:5])
                    problems.append(
                        f"axe {violation['id']} ({violation['impact']}) en {url} "
                        f"[{', '.join(where)}]: {violation['help']}\n      {nodes}"
                    )
        finally:
            context.close()
            self.seconds["axe"] += time.monotonic() - started

    def validate(self, problems: list[str]) -> None:
        """The Nu checker on the HTML answers since the last call."""
        started = time.monotonic()
        for path, fragment, html in self.capture.drain():
            key = fingerprint(html)
            if key in self.seen_markup:
                continue
            self.seen_markup.add(key)
            lines = html.splitlines() if not fragment else []
            for message in self.nu.errors(as_document(html, fragment)):
                line = message.get("lastLine")
                source = (
                    lines[line - 1].strip()[:160] if lines and line else message.get("extract", "")
                )
                problems.append(
                    f"Nu {'fragmento HTMX ' if fragment else ''}{path}"
                    f"{f' línea {line}' if line else ''}: {message['message']}\n      {source}"
                )
        self.seconds["nu"] += time.monotonic() - started

"""Headless Chromium (Debian's package) driven by Playwright against the live server."""

import os
from pathlib import Path

import pytest

from tests.e2e.checks import Capture, NuChecker, Session, missing_tools
from tests.plugin import CHROMIUM, CI

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-results"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="module")
def browser():
    """One Chromium per test module; Playwright's event loop never outlives the module.

    While Playwright runs, this thread has an event loop; the ORM calls tests make between
    browser steps are ordinary synchronous calls, hence DJANGO_ALLOW_ASYNC_UNSAFE.
    """
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def checks():
    """axe-core and the Nu HTML checker for every page the journeys visit (checks.py)."""
    missing = missing_tools()
    if missing:
        if CI:
            pytest.fail(f"CI=true y {missing}", pytrace=False)
        UNCHECKED.append(missing)
        yield None
        return
    nu, capture = NuChecker(), Capture()
    nu.start()
    uninstall = capture.install()
    try:
        session = Session(nu=nu, capture=capture)
        CHECKED.append(session)
        yield session
    finally:
        uninstall()
        nu.stop()


UNCHECKED: list[str] = []
CHECKED: list[Session] = []


def pytest_terminal_summary(terminalreporter):
    for session in CHECKED:
        terminalreporter.write_line(
            f"accesibilidad (axe-core): {len(session.seen_pages)} estados de página en "
            f"{session.seconds['axe']:.0f} s · HTML (Nu): {len(session.seen_markup)} "
            f"documentos en {session.seconds['nu']:.0f} s"
        )
    for reason in UNCHECKED:
        terminalreporter.write_sep(
            "!", f"SIN PRUEBAS DE ACCESIBILIDAD NI DE HTML: {reason}", red=True
        )


@pytest.fixture
def open_page(browser, live_server, checks):
    """``open_page(width=360, theme="dark")`` → a fresh page with its console errors.

    Every page it visits is checked for accessibility and valid HTML (checks.py); the
    problems fail the test when it ends.
    """
    contexts, snapshots, problems = [], [], []
    if checks:
        checks.capture.drain()  # answers of earlier tests' stray requests

    def open_(*, width: int = 1280, theme: str = "light"):
        context = browser.new_context(
            viewport={"width": width, "height": 800}, color_scheme=theme, locale="es-EC"
        )
        if checks:
            checks.watch(context, snapshots)
        contexts.append(context)
        page = context.new_page()
        page.console_errors = []
        page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
        page.on("pageerror", lambda e: page.console_errors.append(str(e)))
        page.base = live_server.url
        return page

    yield open_
    for context in contexts:
        context.close()
    if checks:
        checks.audit(browser, live_server.url, snapshots, problems)
        checks.validate(problems)
    if problems:
        pytest.fail(
            f"{len(problems)} problemas de accesibilidad o de HTML:\n  " + "\n  ".join(problems),
            pytrace=False,
        )


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

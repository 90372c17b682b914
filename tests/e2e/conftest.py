"""Headless Chromium (Debian's package) driven by Playwright against the live server."""

import os
from pathlib import Path

import pytest

from tests.plugin import CHROMIUM

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


@pytest.fixture
def open_page(browser, live_server):
    """``open_page(width=360, theme="dark")`` → a fresh page with its console errors."""
    contexts = []

    def open_(*, width: int = 1280, theme: str = "light"):
        context = browser.new_context(
            viewport={"width": width, "height": 800}, color_scheme=theme, locale="es-EC"
        )
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


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

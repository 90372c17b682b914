"""The authorization matrix: every URL of the URLconf × every role × GET and POST answers
what tests/authorization/table.py declares, and a POST without a valid form changes no row.

One test per role, each in one database (the world of tests/authorization/world.py) and
one signed-in client; a mismatch is collected, not raised, so one run lists them all."""

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.urls import reverse

from accounts.models import Session
from tests.authorization import table
from tests.authorization.urlconf import Route, routes
from tests.authorization.world import World, world_build

# Tables a request may write without changing anything a member or staff did: the
# session store (a sign-in, a sign-out) and the admin's log of its own pages.
UNCOUNTED = {Session._meta.db_table, "django_session", "django_admin_log"}


def test_every_url_has_a_row_and_every_row_a_url():
    keys = {route.key for route in routes()}
    declared = table.keys()
    missing = sorted(keys - declared)
    stale = sorted(declared - keys)
    assert not missing, (
        "URLs missing from the authorization table (tests/authorization/table.py): "
        + ", ".join(missing)
    )
    assert not stale, "Rows of the authorization table with no URL any more: " + ", ".join(stale)


def _fingerprint() -> dict[str, str]:
    """A digest of every row of every project table, by table, in one query."""
    tables = sorted({m._meta.db_table for m in apps.get_models() if m._meta.managed} - UNCOUNTED)
    quote = connection.ops.quote_name
    # Table names from the models, quoted: no input reaches this SQL.
    digests = ", ".join(
        f"(SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "  # noqa: S608
        f"FROM {quote(name)} t)"
        for name in tables
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {digests}")
        return dict(zip(tables, cursor.fetchone(), strict=True))


def _changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return [name for name in before if before[name] != after[name]]


def _url(route: Route, world: World) -> str:
    if route.model is not None:
        instance = route.model._default_manager.order_by("pk").first()
        assert instance is not None, (
            f"{route.key}: the world holds no {route.model._meta.label}; "
            "create one in tests/authorization/world.py"
        )
        if route.page == "object":
            return f"/{route.route.replace('<path:object_id>', str(instance.pk))}"
        kwargs = {} if route.page in ("changelist", "add") else {"object_id": instance.pk}
        return reverse(route.name, kwargs=kwargs)
    if route.name is None:  # the admin's catch-all
        return "/admin/no-existe/"
    obj = table.OBJECTS.get(route.key)
    return reverse(route.name, kwargs=world.kwargs[obj] if obj else {})


def _answer(response) -> str:
    if response.status_code == 302:
        location = response["Location"]
        if location.startswith(("/ingresar/?next=", "/admin/login/?next=")):
            return table.LOGIN
    return str(response.status_code)


def _signed_in(client: Client, user) -> None:
    """Signs ``user`` in again after a sign-out (read from the cookie: no query)."""
    cookie = client.cookies.get(settings.SESSION_COOKIE_NAME)
    if user is not None and (cookie is None or not cookie.value):
        client.force_login(user)


@pytest.mark.parametrize("role", table.ROLES)
def test_the_matrix(role, db, settings, tmp_path, monkeypatch):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    # The documents render their HTML, but WeasyPrint's layout (seconds a PDF) is skipped:
    # the matrix asks who may download, the documents' own tests what they hold.
    monkeypatch.setattr("weasyprint.HTML.write_pdf", lambda *args, **kwargs: b"%PDF-1.7\n%%EOF")
    world = world_build()
    ContentType.objects.clear_cache()
    user = world.user(role)
    client = Client(raise_request_exception=False)
    column = table.ROLES.index(role)
    wrong = []
    for route in routes():
        url = _url(route, world)
        for method in ("GET", "POST"):
            _signed_in(client, user)
            cache.clear()  # no rate limit carries from one URL to the next
            expected = table.answers(route.key, method)[column]
            # A redirect to the sign-in and a 405 are answered before the view runs.
            checked = method == "POST" and expected not in (table.LOGIN, "405")
            before = _fingerprint() if checked else None
            response = client.get(url) if method == "GET" else client.post(url, {})
            got = _answer(response)
            if got != expected:
                where = response.get("Location", "")
                wrong.append(
                    f"{method} {url} ({route.key}): {expected} expected, got {got} {where}"
                )
            changed = _changed(before, _fingerprint()) if before is not None else []
            if changed and route.key not in table.CHANGES:
                wrong.append(f"POST {url} ({route.key}) with no data changed {changed}")
    assert not wrong, f"{role}: {len(wrong)} answers differ from the table\n" + "\n".join(wrong)

"""Every URL of the URLconf refuses a POST without the CSRF token (403), for a visitor
and for a signed-in member: no view is exempt, and the check runs before the view, so
the arguments need not name real objects."""

import re

import pytest
from django.test import Client

from tests.authorization.urlconf import routes

# What fills each kind of path argument: any value of the right shape will do.
ARGUMENTS = {
    "int": "1",
    "uuid": "00000000-0000-0000-0000-000000000001",
    "code": "ABCD-EFGH-JKLM",
    "path": "1",
    None: "1",
}
# The two admin routes written as regular expressions.
REGEX_URLS = {"admin:app_list": "/admin/accounts/", "admin:<catch-all>": "/admin/no-existe/"}


def _url(route) -> str:
    if route.key in REGEX_URLS:
        return REGEX_URLS[route.key]
    filled = re.sub(r"<(?:(\w+):)?\w+>", lambda m: ARGUMENTS[m[1]], route.route)
    return "/" + filled


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "member"])
def test_every_post_without_the_csrf_token_is_refused(signed_in, member):
    browser = Client(enforce_csrf_checks=True)
    if signed_in:
        browser.force_login(member.user)
    accepted = [
        f"{route.key} {url} → {status}"
        for route in routes()
        if (status := browser.post(url := _url(route), {}).status_code) != 403
    ]
    assert not accepted, "POSTs without the CSRF token not refused:\n" + "\n".join(accepted)

"""Links to one object's page by its public id, without walking the URLconf each time.

``reverse`` matches the URL's name against the URLconf's patterns on every call; a page
that lists a member's products links each row that way. The pattern of a page named by a
UUID is the same for every id: it is reversed once (per URLconf and script prefix) with a
marker id, and each link is the marker replaced by the object's id — what ``reverse``
would give, a UUID needing no quoting.
"""

import uuid
from functools import cache

from django.urls import get_script_prefix, get_urlconf, reverse

_MARKER = uuid.UUID("f" * 32)


@cache
def _around(url_name: str, urlconf, prefix: str) -> tuple[str, str]:
    before, marker, after = reverse(url_name, args=[_MARKER], urlconf=urlconf).partition(
        str(_MARKER)
    )
    if not marker:
        raise ValueError(f"{url_name} does not take a UUID")
    return before, after


def uuid_link(url_name: str, public_id: uuid.UUID) -> str:
    """``reverse(url_name, args=[public_id])`` for a page named by one UUID."""
    before, after = _around(url_name, get_urlconf(), get_script_prefix())
    return f"{before}{uuid.UUID(str(public_id))}{after}"

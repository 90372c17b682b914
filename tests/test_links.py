"""``core.links.uuid_link`` gives what ``reverse`` gives."""

import uuid

import pytest
from django.urls import NoReverseMatch, clear_script_prefix, reverse, set_script_prefix

from core.links import uuid_link


@pytest.mark.parametrize("name", ["products:account", "products:loan", "products:term_deposit"])
def test_a_link_is_what_reverse_gives(name):
    public_id = uuid.uuid4()
    assert uuid_link(name, public_id) == reverse(name, args=[public_id])
    assert uuid_link(name, str(public_id)) == reverse(name, args=[public_id])


def test_the_script_prefix_is_part_of_the_link():
    public_id = uuid.uuid4()
    set_script_prefix("/banca/")
    try:
        link = uuid_link("products:account", public_id)
    finally:
        clear_script_prefix()
    assert link.startswith("/banca/") and link == "/banca" + reverse(
        "products:account", args=[public_id]
    )


def test_anything_but_a_uuid_is_refused():
    with pytest.raises(ValueError):
        uuid_link("products:account", "../admin")
    with pytest.raises(NoReverseMatch):
        uuid_link("home", uuid.uuid4())

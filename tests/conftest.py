"""Personas and shared fixtures: María (a member), Gabriel (another member), Lucía (staff)."""

import pytest
from django.core.cache import cache

from cooprogreso.models import Cooperative
from cooprogreso.profile import cooperatives_load_ready
from tests.factories import PASSWORD, MemberFactory, UserFactory

DB_FIXTURES = {"db", "transactional_db", "live_server", "django_db_reset_sequences"}


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _active_cooperative(request):
    """Every test that touches the database sees the Cooprogreso profile active."""
    if request.node.get_closest_marker("django_db") or DB_FIXTURES & set(request.fixturenames):
        request.getfixturevalue("cooperative")


@pytest.fixture
def cooperative(request):
    request.getfixturevalue("transactional_db" if "live_server" in request.fixturenames else "db")
    cooperatives_load_ready()
    return Cooperative.objects.get(is_active=True)


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def member(db):
    return MemberFactory(
        user__username="mariaperez",
        user__first_name="María",
        user__last_name="Pérez",
        first_names="María Fernanda",
        last_names="Pérez Andrade",
    )


@pytest.fixture
def other_member(db):
    return MemberFactory(user__username="gabrielsilva")


@pytest.fixture
def staff_user(db):
    return UserFactory(username="lucia01", is_staff=True, is_superuser=True)


@pytest.fixture
def member_client(client, member):
    client.force_login(member.user)
    return client

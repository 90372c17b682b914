"""Personas and shared fixtures: María (a member), Gabriel (another member), Lucía (staff)."""

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client, TestCase

from accounts.catalogs import catalogs_load, faq_load, legal_documents_load
from core.models import Cooperative
from core.profile import cooperatives_load_ready
from tests.factories import PASSWORD, MemberFactory, UserFactory

# Every hash the suite makes is Argon2id, at a cost a test run can afford (tests/hashers.py).
settings.PASSWORD_HASHERS = ["tests.hashers.CheapArgon2PasswordHasher", *settings.PASSWORD_HASHERS]

DB_FIXTURES = {"db", "transactional_db", "live_server", "django_db_reset_sequences"}


class CommittingClient(Client):
    """A test client whose requests run their on-commit callbacks (e-mails, SMS, tasks),
    as a real request's would once its transaction commits."""

    def request(self, **request):
        with TestCase.captureOnCommitCallbacks(execute=True):
            return super().request(**request)


@pytest.fixture
def client():
    return CommittingClient()


@pytest.fixture(autouse=True)
def _fresh_cache():
    from core.notifications import LocmemSmsBackend

    cache.clear()
    LocmemSmsBackend.outbox.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _active_cooperative(request):
    """Every test that touches the database sees the Cooprogreso profile active and the
    catalogs the migrations load (a transactional test's flush empties them)."""
    if request.node.get_closest_marker("django_db") or DB_FIXTURES & set(request.fixturenames):
        request.getfixturevalue("cooperative")


@pytest.fixture
def cooperative(request):
    request.getfixturevalue("transactional_db" if "live_server" in request.fixturenames else "db")
    cooperatives_load_ready()
    catalogs_load()
    legal_documents_load()
    faq_load()
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

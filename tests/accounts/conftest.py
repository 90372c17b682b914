import pytest

from tests.auth import sign_in


@pytest.fixture
def me(client, member, password):
    """María's browser, signed in."""
    sign_in(client, "mariaperez", password)
    return client

"""The ledger's cash book and María's savings account, for the checks' own tests."""

from tests.ledger.conftest import cash, maria_savings  # noqa: F401 - fixtures

"""The fixed-window counts behind every limit, on Redis (one round trip for several
counts) and on any other cache alike."""

import os

import pytest
from django.core.cache import cache

from core.ratelimit import _key, hit_limit, hits_over, hits_return

WINDOW = 900
AT = 1_800_000_000.0


@pytest.fixture(
    params=[
        pytest.param("core.cache.RedisCache", marks=pytest.mark.redis),
        "django.core.cache.backends.locmem.LocMemCache",
    ]
)
def backend(request, settings):
    location = os.environ.get("TEST_REDIS_URL", "") if "Redis" in request.param else "limits"
    settings.CACHES = {
        "default": {"BACKEND": request.param, "LOCATION": location, "KEY_PREFIX": "test-limits"}
    }
    cache.clear()
    yield request.param
    cache.clear()


def test_each_name_counts_on_its_own_and_the_names_over_are_told(backend):
    limits = [("a", 2), ("b", 1)]
    assert hits_over(limits, WINDOW, at=AT) == []
    assert hits_over(limits, WINDOW, at=AT) == ["b"]
    assert hits_over(limits, WINDOW, at=AT) == ["a", "b"]
    assert hit_limit("c", 1, WINDOW, at=AT) is False
    # The next window starts again from zero.
    assert hits_over(limits, WINDOW, at=AT + WINDOW) == []


def test_a_returned_hit_leaves_room_again_and_never_goes_below_zero(backend):
    limits = [("a", 1), ("b", 1)]
    hits_over(limits, WINDOW, at=AT)
    hits_return(["a", "b"], WINDOW, at=AT)
    hits_return(["a", "b"], WINDOW, at=AT)  # one more than was counted
    assert hits_over(limits, WINDOW, at=AT) == []
    assert hits_over(limits, WINDOW, at=AT) == ["a", "b"]


def test_returning_to_a_window_that_ended_makes_no_count(backend):
    hits_return(["gone"], WINDOW, at=AT)
    assert cache.get(_key("gone", WINDOW, AT)) is None


@pytest.mark.redis
def test_on_redis_a_count_lives_as_long_as_its_window(backend):
    import redis

    if "Redis" not in backend:
        pytest.skip("Redis only")
    hits_over([("a", 5)], WINDOW, at=AT)
    server = redis.Redis.from_url(os.environ["TEST_REDIS_URL"])
    [name] = server.keys(f"test-limits:*:{_key('a', WINDOW, AT)}")
    assert 0 < server.ttl(name) <= WINDOW
    hits_return(["a"], WINDOW, at=AT)
    assert 0 < server.ttl(name) <= WINDOW
    assert cache.get(_key("a", WINDOW, AT)) == 0

"""The shared cache on Redis: Django's backend, with one client per connection pool.

Django's ``RedisCache`` builds a new ``redis.Redis`` client for every operation — its
response callbacks, a dict of some two hundred entries, set up each time — while the
connection underneath comes from the pool anyway. The portal asks the cache a few times
on every page (the catalogs' stamp) and a dozen times when it sends or checks a code (the
send and guess limits); building those clients was a sixth of a code step's Python. This
backend (``CACHES``, set in the settings whenever the cache is Redis) keeps the client:
the same pools, the same commands, the same keys and values. Django keeps one cache
object per thread, so a client is never shared between threads.
"""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class _Client(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


# Takes one back from each key that still exists, never below zero (a key that expired
# meanwhile is not made again, without its lifetime).
_COUNTS_RETURN = """
for _, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 1 and redis.call('DECR', key) < 0 then
    redis.call('INCR', key)
  end
end
return 0
"""


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _Client

    def counts_add(self, keys: list[str], timeout: int) -> list[int]:
        """Adds one to each of ``keys`` — a key that does not exist starts at zero and
        lives ``timeout`` seconds — in one round trip; returns the new counts. The same
        as ``add(key, 0, timeout)`` then ``incr(key)`` for each, which take two apiece."""
        pipe = self._cache.get_client(write=True).pipeline(transaction=False)
        for key in keys:
            key = self.make_and_validate_key(key)
            pipe.set(key, 0, ex=timeout, nx=True)
            pipe.incr(key)
        return pipe.execute()[1::2]

    def counts_return(self, keys: list[str]) -> None:
        """Takes back one from each of ``keys`` that still exists, never below zero: one
        round trip."""
        client = self._cache.get_client(write=True)
        client.eval(_COUNTS_RETURN, len(keys), *(self.make_and_validate_key(k) for k in keys))

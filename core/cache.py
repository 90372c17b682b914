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


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _Client

"""Fixed-window rate limits in the shared cache (Redis in production).

Login, unlock, credential recovery, OTP and enrollment are limited per address and per
username; a view answers 429 with a Spanish page when ``rate_limited`` says so.
"""

import hashlib
import time

from django.core.cache import cache, caches
from django.core.cache.backends.base import BaseCache

WINDOW_SECONDS = 15 * 60


def hit_limit(name: str, limit: int, window: int) -> bool:
    """Counts one hit on ``name`` and tells whether it went over ``limit`` in ``window``.

    The window is fixed (its number is part of the key), so a refused person can try
    again when it ends, however often they retried meanwhile."""
    bucket = int(time.time()) // window
    key = "ratelimit:" + hashlib.sha256(f"{name}:{bucket}".encode()).hexdigest()
    cache.add(key, 0, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        count = 1
    if type(caches["default"]).incr is BaseCache.incr:
        # The generic incr (file-based cache) re-sets the key with the default timeout,
        # which could end the count before the window does.
        cache.touch(key, window)
    return count > limit


def rate_limited(
    request,
    scope: str,
    *,
    per_ip: int,
    key: str | None = None,
    per_key: int | None = None,
    window: int = WINDOW_SECONDS,
) -> bool:
    """Counts this request and tells whether it exceeds a limit for ``scope``."""
    ip = request.META.get("REMOTE_ADDR", "")
    over = hit_limit(f"{scope}:ip:{ip}", per_ip, window)
    if key is not None and per_key is not None:
        over = hit_limit(f"{scope}:key:{key.lower()}", per_key, window) or over
    return over

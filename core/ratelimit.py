"""Fixed-window rate limits in the shared cache (Redis in production).

Login, unlock, credential recovery, OTP and enrollment are limited per address and per
username; a view answers 429 with the Spanish page (``too_many_requests``) when
``rate_limited`` says so.
"""

import hashlib
import time

from django.core.cache import cache, caches
from django.core.cache.backends.base import BaseCache
from django.shortcuts import render

WINDOW_SECONDS = 15 * 60


def _key(name: str, window: int, at: float) -> str:
    bucket = int(at) // window
    return "ratelimit:" + hashlib.sha256(f"{name}:{bucket}".encode()).hexdigest()


def _keep_for_the_window(key: str, window: int) -> None:
    if type(caches["default"]).incr is BaseCache.incr:
        # The generic incr (file-based cache) re-sets the key with the default timeout,
        # which could end the count before the window does.
        cache.touch(key, window)


def hit_limit(name: str, limit: int, window: int, *, at: float | None = None) -> bool:
    """Counts one hit on ``name`` and tells whether it went over ``limit`` in ``window``.

    The window is fixed (its number is part of the key), so a refused person can try
    again when it ends, however often they retried meanwhile. ``at`` (a ``time.time()``)
    names the moment counted, for a caller that may give the hit back with
    ``hits_return``."""
    return bool(hits_over([(name, limit)], window, at=at))


def hits_over(limits: list[tuple[str, int]], window: int, *, at: float | None = None) -> list:
    """Counts one hit on each ``(name, limit)`` and returns the names that went over their
    limit in ``window`` — all counted together (one round trip on Redis)."""
    at = time.time() if at is None else at
    keys = [_key(name, window, at) for name, _ in limits]
    counts_add = getattr(cache, "counts_add", None)  # core.cache.RedisCache
    counts = counts_add(keys, window) if counts_add else [_count(key, window) for key in keys]
    return [name for (name, limit), count in zip(limits, counts, strict=True) if count > limit]


def _count(key: str, window: int) -> int:
    cache.add(key, 0, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        count = 1
    _keep_for_the_window(key, window)
    return count


def hits_return(names: list[str], window: int, *, at: float) -> None:
    """Takes back the hits that ``hits_over`` (or ``hit_limit``) counted on ``names`` at
    ``at`` — something that turned out not to count (a code that reached nobody, a right
    answer). A window that has ended meanwhile has nothing left to take back."""
    keys = [_key(name, window, at) for name in names]
    counts_return = getattr(cache, "counts_return", None)  # core.cache.RedisCache
    if counts_return:
        counts_return(keys)
        return
    for key in keys:
        try:
            if cache.decr(key) < 0:
                cache.incr(key)
        except ValueError:  # the window ended
            continue
        _keep_for_the_window(key, window)


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
    limits = [(f"{scope}:ip:{ip}", per_ip)]
    if key is not None and per_key is not None:
        limits.append((f"{scope}:key:{key.lower()}", per_key))
    return bool(hits_over(limits, window))


def too_many_requests(request, *, message: str = ""):
    """The Spanish "Demasiados intentos" page, with HTTP 429. ``message`` says which
    limit was reached, for a page that shows it."""
    return render(request, "429.html", {"message": message}, status=429)

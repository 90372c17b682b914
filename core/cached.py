"""Catalog rows read once per process: the cooperative's profile, tariffs, transfer limits,
the books' accounts — rows every operation reads and staff change a few times a year.

``catalog_cached(load)`` wraps a loader. Each thread of each process keeps what it loaded,
tagged with the catalog's *generation*: a random stamp kept in the shared cache (Redis in
production, the file cache of the embedded default). Saving or deleting a watched row
(``catalog_watch``) — in any process: the admin, a loader, a shell — replaces the stamp, so
every process and thread reads the rows again on its next use. A staff edit is seen at
once by the next operation everywhere, never after a timeout; a per-process copy alone
would keep serving the old tariff in the other gunicorn workers.

Rows changed around the models send no signal — ``QuerySet.update()``, ``bulk_create``,
SQL, a data migration: call ``catalog_changed()`` after them (``books_open`` does), or
clear the cache.

Reading the stamp is one round trip to the shared cache. ``catalog_generation()`` reads it
once for a block — one operation — so everything the block reads from the catalogs belongs
to the same generation; outside such a block every read checks the stamp itself.

Transactions. A change replaces the stamp when it happens and again when it commits, so a
process that read the old rows in between reads them once more. Until it commits, the
change is seen only by the thread that made it (the copies are per thread); if that
transaction rolls back, the thread forgets what it loaded during it. Clearing the shared
cache (as every test does) starts a new generation.
"""

import secrets
import threading
from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar
from functools import update_wrapper
from typing import Generic, ParamSpec, TypeVar

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save

STAMP_KEY = "catalog:generation"

P = ParamSpec("P")
T = TypeVar("T")

_scoped: ContextVar[str | None] = ContextVar("catalog_generation", default=None)
# .layers: {loader: (stamp, {args: value})}
# .pending: the on-commit callbacks of this thread's changes not committed yet
_local = threading.local()


def _shared_stamp() -> str:
    """The current generation; a new one when the cache has none (first use, a clear).
    A cache that keeps nothing makes every read a load: slower, never stale."""
    return cache.get_or_set(STAMP_KEY, lambda: secrets.token_hex(8), timeout=None)


def _settle() -> None:
    """Forgets what this thread loaded once one of its changes can no longer commit:
    Django drops a block's on-commit callbacks when the block rolls back, and runs them
    (clearing ``pending``) when the transaction commits."""
    pending = getattr(_local, "pending", None)
    if not pending:
        return
    alive = [func for _, func, _ in connection.run_on_commit]
    if all(any(func is callback for func in alive) for callback in pending):
        return
    _local.layers = {}
    _local.pending = [c for c in pending if any(func is c for func in alive)]


def catalog_changed(**signal_kwargs) -> None:
    """A catalog row changed (a signal receiver, or called after a bulk write that sends
    no signals): this thread forgets its copies and every process starts a new
    generation, now and again when the change commits."""
    _local.layers = {}
    _scoped.set(None)
    cache.delete(STAMP_KEY)

    def committed() -> None:
        _local.pending = []
        cache.delete(STAMP_KEY)

    if connection.in_atomic_block:
        _local.pending = [*getattr(_local, "pending", []), committed]
    transaction.on_commit(committed)


def catalog_watch(model, *, when: Callable[[object], bool] | None = None) -> None:
    """Starts a new generation whenever a row of ``model`` is saved or deleted (and
    ``when(row)`` holds). Call it where the app's catalog readers are defined, from a
    module its ``AppConfig.ready`` imports, so every process — the admin's too — hears it."""

    def receiver(sender, instance, **kwargs) -> None:
        if when is None or when(instance):
            catalog_changed()

    for signal in (post_save, post_delete):
        signal.connect(receiver, sender=model, weak=False, dispatch_uid=f"catalog:{model}")


@contextmanager
def catalog_generation():
    """Reads the generation once for the block (nested blocks keep the outer one)."""
    if _scoped.get() is not None:
        yield
        return
    token = _scoped.set(_shared_stamp())
    try:
        yield
    finally:
        _scoped.reset(token)


class CatalogCache(Generic[P, T]):
    def __init__(self, load: Callable[P, T]):
        self.load = load
        update_wrapper(self, load)

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> T:
        if kwargs:
            raise TypeError("catalog readers take positional arguments only")
        _settle()
        stamp = _scoped.get() or _shared_stamp()
        layers = _local.__dict__.setdefault("layers", {})
        layer = layers.get(self)
        if layer is None or layer[0] != stamp:
            layer = layers[self] = (stamp, {})
        values = layer[1]
        try:
            return values[args]
        except KeyError:
            value = values[args] = self.load(*args)
            return value


def catalog_cached(load: Callable[P, T]) -> CatalogCache[P, T]:
    """``load(*args)`` once per thread and catalog generation. What it returns is shared
    by every caller of that thread: treat it as read-only."""
    return CatalogCache(load)

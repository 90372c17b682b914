"""Reading the active cooperative profile (one cached read per request at most)."""

from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from core.models import Cooperative

# v2: the model moved from the site package to the kernel; a profile pickled under the
# old app label cannot be read back, so the processes of a new release never look at it.
_CACHE_KEY = "cooperative:active:v2"


class NoActiveCooperative(Exception):
    """The portal has no active cooperative profile yet (staff must activate one)."""


def cooperative_current() -> Cooperative:
    cooperative = cache.get(_CACHE_KEY)
    if cooperative is None:
        cooperative = Cooperative.objects.filter(is_active=True).first()
        if cooperative is None:
            raise NoActiveCooperative
        cache.set(_CACHE_KEY, cooperative, timeout=300)
    return cooperative


def cooperative_activate(*, cooperative: Cooperative) -> Cooperative:
    """Makes ``cooperative`` the one active profile."""
    from django.db import transaction

    with transaction.atomic():
        Cooperative.objects.filter(is_active=True).exclude(pk=cooperative.pk).update(
            is_active=False
        )
        cooperative.is_active = True
        cooperative.save(update_fields=["is_active", "updated_at"])
    cache.delete(_CACHE_KEY)
    return cooperative


def cooperatives_load_ready() -> int:
    """Creates the ready profiles of the three manual cooperatives that are missing.

    Never overwrites a profile staff edited. Activates Cooprogreso when no profile is
    active yet. Returns how many profiles exist.
    """
    import json
    from pathlib import Path

    fixture = Path(__file__).parent / "fixtures" / "cooperatives.json"
    for entry in json.loads(fixture.read_text(encoding="utf-8")):
        fields = dict(entry["fields"], is_active=False)
        Cooperative.objects.get_or_create(slug=fields.pop("slug"), defaults=fields)
    if not Cooperative.objects.filter(is_active=True).exists():
        cooperative_activate(cooperative=Cooperative.objects.get(slug="cooprogreso"))
    return Cooperative.objects.count()


@receiver([post_save, post_delete], sender=Cooperative)
def _forget_cached_profile(**kwargs) -> None:
    cache.delete(_CACHE_KEY)

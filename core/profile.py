"""Reading the active cooperative profile: once per process and catalog generation
(``core.cached``), so every worker sees a staff edit at once."""

from core.cached import catalog_cached, catalog_watch
from core.models import Cooperative


class NoActiveCooperative(Exception):
    """The portal has no active cooperative profile yet (staff must activate one)."""


@catalog_cached
def cooperative_current() -> Cooperative:
    """The active profile, shared by every caller of the thread: read it, never change it
    in place (save a row read from the database instead). Not having one is not cached."""
    cooperative = Cooperative.objects.filter(is_active=True).first()
    if cooperative is None:
        raise NoActiveCooperative
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


catalog_watch(Cooperative)

"""Every URL of the URLconf, walked with its namespaces (``get_resolver``), as the keys the
authorization table uses: ``namespace:name`` — and, for the admin's model pages, the
model admin and the page (``changelist``, ``add``, ``change``, ``delete``, ``history``,
``object``: the bare ``<object_id>/`` that redirects to ``change``)."""

import re
from dataclasses import dataclass

from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver

ADMIN_PAGES = ("changelist", "add", "change", "delete", "history")


@dataclass(frozen=True)
class Route:
    key: str  # "products:account", "admin:<catch-all>", "admin:ledger.journal:object"…
    route: str  # the full pattern, for messages and to build unnamed URLs
    name: str | None  # the name to reverse, with its namespace
    model: type | None = None  # the model of an admin model page
    page: str | None = None  # which admin model page


def _walk(patterns, prefix: str = "", namespace: str | None = None):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        else:
            assert isinstance(entry, URLPattern)
            yield namespace, entry.name, prefix + str(entry.pattern)


def _admin_models() -> dict[str, type]:
    return {
        f"{model._meta.app_label}/{model._meta.model_name}": model for model in admin.site._registry
    }


def routes() -> list[Route]:
    """Every route of the URLconf, once each."""
    models = _admin_models()
    names = {
        f"{m._meta.app_label}_{m._meta.model_name}_{page}": (m, page)
        for m in models.values()
        for page in ADMIN_PAGES
    }
    found = []
    for namespace, name, route in _walk(get_resolver().url_patterns):
        full = f"{namespace}:{name}" if namespace and name else name
        if namespace == "admin" and name in names:
            model, page = names[name]
            found.append(Route(f"admin:{model._meta.label_lower}:{page}", route, full, model, page))
        elif namespace == "admin" and name is None:
            bare = re.fullmatch(r"admin/(\w+)/(\w+)/<path:object_id>/", route)
            if bare:
                model = models[f"{bare[1]}/{bare[2]}"]
                key = f"admin:{model._meta.label_lower}:object"
                found.append(Route(key, route, None, model, "object"))
            else:
                found.append(Route("admin:<catch-all>", route, None))
        else:
            assert full, f"a route without a name outside the admin: {route}"
            found.append(Route(full, route, full))
    return found

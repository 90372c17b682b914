"""The admin's actions in the authorization matrix: every action of every registered model
admin × every role, submitted from the changelist as the employee would — one object
selected and everything the action's confirmation asks for (``post=yes`` for a deletion,
a reason, an amount) — answers what tests/authorization/table.py declares
(``ADMIN_ACTIONS``, ``action_row``), and changes rows only where the action ran.

Each action runs in a savepoint rolled back afterwards: what one does never reaches the
next. One test per role; a mismatch is collected, not raised, so one run lists them all."""

import pytest
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.urls import reverse

from tests.authorization import table
from tests.authorization.test_matrix import _answer, _changed, _fingerprint, _signed_in
from tests.authorization.world import world_build

# What any action's confirmation may ask for: a deletion's "Sí, estoy seguro", a reason,
# a teller's amount and its reference.
CONFIRMED = {"post": "yes", "reason": "Prueba de autorización", "amount": "1.00"}


def admin_actions() -> list[tuple[str, str, type]]:
    """(model label, action name, model) of every action of every registered model admin,
    before any permission filters them out."""
    return sorted(
        (model._meta.label_lower, name, model)
        for model, model_admin in admin.site._registry.items()
        for _, name, _ in model_admin._get_base_actions()
    )


def test_every_action_has_a_row_and_every_row_an_action():
    found = {table.action_key(label, name) for label, name, _ in admin_actions()}
    declared = table.action_keys()
    missing = sorted(found - declared)
    stale = sorted(declared - found)
    assert not missing, (
        "Admin actions missing from the authorization table (ADMIN_ACTIONS in "
        "tests/authorization/table.py): " + ", ".join(missing)
    )
    assert not stale, "Rows of ADMIN_ACTIONS with no admin action any more: " + ", ".join(stale)


@pytest.mark.parametrize("role", table.ROLES)
def test_every_admin_action(role, db, settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    world = world_build()
    ContentType.objects.clear_cache()
    user = world.user(role)
    client = Client(raise_request_exception=False)
    column = table.ROLES.index(role)
    wrong = []
    for label, name, model in admin_actions():
        instance = model._default_manager.order_by("pk").first()
        assert instance is not None, f"{label}: the world holds no {model._meta.label}"
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        data = {
            "action": name,
            ACTION_CHECKBOX_NAME: [str(instance.pk)],
            "index": "0",
            "reference": f"authz-{label}-{name}"[:32],
            **CONFIRMED,
        }
        expected = table.action_answers(label, name)[column]
        _signed_in(client, user)  # outside the savepoint: the session outlives it
        cache.clear()
        saved = transaction.savepoint()
        try:
            before = _fingerprint() if expected != table.LOGIN else None
            response = client.post(url, data)
            got = _answer(response)
            changed = _changed(before, _fingerprint()) if before is not None else []
        finally:
            transaction.savepoint_rollback(saved)
        done = expected == table.DONE
        if got != ("302" if done else expected) and not (
            expected == table.REFUSED and got in ("200", "302")
        ):
            wrong.append(f"{label}:{name}: {expected} expected, got {got}")
        if done and not changed:
            wrong.append(f"{label}:{name}: the action was to run, and changed nothing")
        if not done and changed:
            wrong.append(f"{label}:{name}: refused, yet changed {changed}")
    assert not wrong, f"{role}: {len(wrong)} actions differ from the table\n" + "\n".join(wrong)

import io

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.db.models.base import model_unpickle
from PIL import Image

from core.models import Cooperative, validate_logo
from core.profile import cooperative_activate, cooperative_current


def test_the_three_manual_cooperatives_are_ready(cooperative):
    profiles = {c.slug: c for c in Cooperative.objects.all()}
    assert set(profiles) == {"cooprogreso", "progreso-bo", "cooprofesionales-pa"}
    bolivia = profiles["progreso-bo"]
    assert bolivia.currencies == ["BOB", "USD"]
    assert bolivia.registration_mode == Cooperative.RegistrationMode.BRANCH_APPROVAL
    assert bolivia.confirmation_method == Cooperative.ConfirmationMethod.TRANSACTION_PIN
    assert str(bolivia.funds_origin_threshold) == "1000.00"
    assert bolivia.funds_origin_window_days == 5
    panama = profiles["cooprofesionales-pa"]
    assert panama.registration_mode == Cooperative.RegistrationMode.MEMBER_NUMBER
    assert panama.confirmation_method == Cooperative.ConfirmationMethod.SECURITY_QUESTION
    assert str(cooperative.cutoff_time) == "15:00:00"
    for profile in profiles.values():
        profile.full_clean()


def test_only_one_profile_can_be_active(cooperative):
    with pytest.raises(IntegrityError), transaction.atomic():
        Cooperative.objects.filter(slug="progreso-bo").update(is_active=True)


def test_activating_a_profile_switches_the_portal(cooperative, client):
    assert cooperative_current().slug == "cooprogreso"
    cooperative_activate(cooperative=Cooperative.objects.get(slug="progreso-bo"))
    assert cooperative_current().slug == "progreso-bo"
    assert "ProgresoNet" in client.get("/ingresar/").content.decode()
    assert "--coop-primary:#1F4E9C" in client.get("/tema.css").content.decode()


def test_an_edit_in_the_admin_is_seen_at_once(cooperative, client):
    client.get("/ingresar/")
    cooperative.call_center_phone = "1800 200 300"
    cooperative.save()
    assert "1800 200 300" in client.get("/ingresar/").content.decode()


def test_a_primary_color_without_contrast_for_white_text_is_refused(cooperative):
    cooperative.primary_color = "#F2F2F2"
    with pytest.raises(ValidationError) as exc:
        cooperative.full_clean()
    assert "WCAG AA" in str(exc.value)


def test_the_funds_origin_rule_needs_threshold_and_window_together(cooperative):
    cooperative.funds_origin_threshold = 500
    with pytest.raises(ValidationError):
        cooperative.full_clean()


def _image(fmt: str) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (10, 10), "green").save(buffer, format=fmt)
    return SimpleUploadedFile(f"logo.{fmt.lower()}", buffer.getvalue())


def test_logos_are_checked_by_content():
    validate_logo(_image("PNG"))
    with pytest.raises(ValidationError):
        validate_logo(_image("GIF"))
    with pytest.raises(ValidationError):
        validate_logo(SimpleUploadedFile("logo.png", b"<svg onload=alert(1)>"))


def test_without_an_uploaded_logo_the_bundled_one_is_served(cooperative, client):
    response = client.get("/logo")
    assert response.status_code == 302
    assert response["Location"].endswith("img/cooperatives/cooprogreso.svg")


def test_an_uploaded_logo_is_served(cooperative, client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    cooperative.logo = _image("PNG")
    cooperative.save()
    response = client.get("/logo")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"


def test_without_an_active_profile_members_see_a_maintenance_page(db, client):
    Cooperative.objects.update(is_active=False)
    response = client.get("/ingresar/")
    assert response.status_code == 503
    assert "Portal en configuración" in response.content.decode()
    assert client.get("/healthz").status_code == 200


def test_the_ready_profiles_load_with_one_command_any_number_of_times(db):
    from django.core.management import call_command

    Cooperative.objects.all().delete()
    for _ in range(2):
        out = io.StringIO()
        call_command("cooperatives_load", stdout=out)
        assert out.getvalue().strip() == "Perfiles de cooperativa: 3; activo: Cooprogreso"
    assert Cooperative.objects.filter(is_active=True).get().slug == "cooprogreso"


class _CachedByAnOlderRelease:
    """Unpickles as the profile did when the site package held its model."""

    def __reduce__(self):
        return model_unpickle, (("cooprogreso", "cooperative"),)


def test_a_profile_cached_before_the_model_moved_to_the_kernel_is_never_read(db):
    cache.set("cooperative:active:v1", _CachedByAnOlderRelease(), timeout=300)
    assert cooperative_current().slug == "cooprogreso"


@pytest.mark.django_db(transaction=True)
def test_a_database_migrated_before_the_kernel_keeps_its_profiles_and_staff_permissions():
    from django.contrib.auth.models import Group, Permission
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    MigrationExecutor(connection).migrate([("core", None)])  # the schema main left
    assert ContentType.objects.filter(app_label="cooprogreso", model="cooperative").exists()
    staff = Group.objects.create(name="Perfiles")
    staff.permissions.set(Permission.objects.filter(content_type__app_label="cooprogreso"))

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert sorted(staff.permissions.values_list("content_type__app_label", "codename")) == [
        ("core", f"{action}_cooperative") for action in ("add", "change", "delete", "view")
    ]
    assert not ContentType.objects.filter(app_label="cooprogreso").exists()
    assert Cooperative.objects.count() == 3
    assert Cooperative.objects.get(is_active=True).slug == "cooprogreso"

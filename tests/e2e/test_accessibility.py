"""Pages no other journey visits, so that the accessibility and HTML checks of every
journey (checks.py) cover them too: a loan with its amortization table, and the admin."""

import re
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from products.loans import loan_grant
from tests.auth import last_code
from tests.e2e.test_profile import sign_in
from tests.products.conftest import *  # noqa: F403 - the products fixtures


def test_a_loan_and_its_amortization_table_by_keyboard(
    open_page, member, password, savings, agil, staff_user
):
    granted = timezone.localdate() - timedelta(days=70)
    loan = loan_grant(
        member=member,
        loan_type=agil,
        principal=Decimal("1000.00"),
        installments=24,
        disbursement_account=savings,
        granted_on=granted,
        first_due=granted + timedelta(days=24),
        actor=staff_user,
        reason="Crédito aprobado en comité",
    )
    page = open_page(width=360)
    sign_in(page, password)
    page.goto(f"{page.base}/creditos/{loan.public_id}/")
    progress = page.locator("progress#avance")
    assert re.fullmatch(r"\d+(\.\d+)?", progress.get_attribute("value"))  # never "22,03"
    page.get_by_role("link", name="Visualizar").click()
    table = page.get_by_role("region", name=f"Tabla de amortización del crédito {loan.number}")
    table.wait_for()
    table.focus()  # it scrolls sideways: the keyboard reaches it
    assert page.evaluate("document.activeElement.getAttribute('role')") == "region"
    assert page.console_errors == []


def test_staff_in_the_admin(open_page, staff_user, password, member):
    page = open_page(width=1280)
    page.goto(f"{page.base}/admin/")
    page.get_by_label("Usuario").fill(staff_user.username)
    page.get_by_role("button", name="Continuar").click()
    page.get_by_label("Contraseña", exact=True).fill(password)
    page.get_by_role("button", name="Iniciar Sesión").click()
    page.get_by_label("No").check()
    page.get_by_role("button", name="Continuar").click()
    page.get_by_label("Código de seguridad").fill(last_code())
    page.get_by_role("button", name="Validar").click()
    page.wait_for_url("**/admin/")
    page.get_by_role("heading", name="Administración de la cooperativa").wait_for()
    page.get_by_role("link", name="Socios").first.click()
    page.wait_for_url("**/admin/accounts/member/")
    page.get_by_role("searchbox").wait_for()
    page.get_by_role("link", name=member.member_number).click()
    page.wait_for_url(f"**/admin/accounts/member/{member.pk}/change/")
    # The "Permisos" and "Grupos" choosers (Django's SelectFilter2) of the user and group
    # forms: their search icons take the image role static/js/admin.js gives them.
    page.goto(f"{page.base}/admin/accounts/user/{staff_user.pk}/change/")
    page.locator("#id_user_permissions_input").wait_for()
    icons = page.locator(".selector .search-label-icon")
    assert icons.count() >= 4
    assert (
        icons.evaluate_all("icons => icons.map(icon => icon.getAttribute('role'))")
        == ["img"] * icons.count()
    )
    page.goto(f"{page.base}/admin/auth/group/add/")
    page.locator("#id_permissions_input").wait_for()
    page.set_viewport_size({"width": 360, "height": 800})
    page.goto(f"{page.base}/admin/")
    page.get_by_role("heading", name="Administración de la cooperativa").wait_for()

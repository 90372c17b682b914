from decimal import Decimal

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command

from accounts.demo import DEMO_LOGINS
from accounts.models import Member, User
from core.models import Cooperative


def snapshot() -> dict:
    """Every row of every project table, to prove a second load changes nothing."""
    data = {}
    for model in apps.get_models():
        if model._meta.app_label in {"sessions", "admin", "contenttypes", "auth"}:
            continue
        data[model._meta.label] = sorted(map(repr, model.objects.values_list()))
    return data


@pytest.fixture
def debug(settings):
    settings.DEBUG = True


def test_it_loads_three_profiles_with_cooprogreso_active(db, debug, capsys):
    call_command("demo_load")
    assert Cooperative.objects.count() == 3
    assert Cooperative.objects.get(is_active=True).slug == "cooprogreso"
    assert capsys.readouterr().out == (
        "Cooperativa demo cargada: 3 perfiles, 2 socios, 1 empresa, 1 usuario de agencia, "
        "22 servicios de pago\n"
    )


def test_loading_twice_changes_nothing(db, debug):
    call_command("demo_load")
    first = snapshot()
    call_command("demo_load")
    assert snapshot() == first


def test_it_does_not_overwrite_what_staff_edited(db, debug):
    call_command("demo_load")
    Cooperative.objects.filter(slug="cooprogreso").update(call_center_phone="02 400 0000")
    call_command("demo_load")
    assert Cooperative.objects.get(slug="cooprogreso").call_center_phone == "02 400 0000"


def test_every_demo_login_signs_in(db, debug, client):
    call_command("demo_load")
    for login in DEMO_LOGINS:
        assert client.login(username=login.username, password=login.password), login.username
        client.logout()
    assert User.objects.get(username="agencia01").is_staff
    assert Member.objects.get(user__username="mariaperez").id_number == "1714307103"


def test_it_refuses_to_run_outside_development(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DJANGO_DEBUG=true"):
        call_command("demo_load")
    assert not User.objects.filter(username="agencia01").exists()


def test_it_opens_the_cooperatives_books_and_tariffs(db, debug):
    from ledger.fees import fee_quote
    from ledger.models import Account, Tariff

    call_command("demo_load")
    assert Account.objects.filter(code="SPI_CLEARING:USD").exists()
    assert Account.objects.filter(parent__code="FEE_INCOME:USD").count() == 8
    assert fee_quote(Tariff.Code.TRANSFER_INTERBANK).total == Decimal("0.41")


def test_maria_has_a_debit_card_and_a_credit_card_with_purchases(db, debug):
    from cards.models import Card
    from cards.selectors import member_cards

    call_command("demo_load")
    maria = Member.objects.get(user__username="mariaperez")
    credit, debit = member_cards(member=maria)
    assert debit.kind == Card.Kind.DEBIT and debit.masked_number == "550975XXXXXX7023"
    assert debit.account.product_type.code == "AHO"
    assert credit.masked_number == "513744XXXXXX0395"
    assert credit.purchases.count() == 5
    assert credit.revolving_used == Decimal("165.54")
    assert credit.available_limit == Decimal("1334.46")
    assert credit.minimum_payment == Decimal("15.23") and credit.payment_due is not None
    # "Diferir consumos" works on a fresh demo: the manual's purchase is after the cut.
    from cards.deferral import deferrable_purchases, deferral_quote

    [purchase] = deferrable_purchases(card=credit)
    assert (purchase.description, purchase.amount) == (
        "SANA SANA N59 ANGEL LUDENA",
        Decimal("13.24"),
    )
    quote = deferral_quote(card=credit, purchases=[purchase.public_id], installments=3)
    assert quote.installment == Decimal("4.53")


def test_maria_has_beneficiaries_and_monthly_transfers_to_rosa(db, debug):
    from transfers.models import Beneficiary, Institution, Transfer, TransferLimit

    call_command("demo_load")
    maria = Member.objects.get(user__username="mariaperez")
    assert Institution.objects.filter(code="0010", name="BANCO PICHINCHA").exists()
    assert TransferLimit.objects.count() == 3
    kinds = sorted(Beneficiary.objects.filter(member=maria).values_list("kind", "alias"))
    assert kinds == [("external", "Carlos (arriendo)"), ("internal", "Rosa (vecina)")]
    transfers = Transfer.objects.filter(member=maria, kind="internal")
    assert 12 <= transfers.count() <= 13
    assert {t.journal.postings.count() for t in transfers} == {2}
    assert all(t.status == Transfer.Status.DONE for t in transfers)


def test_comercial_andina_is_a_company_with_a_year_of_movements(db, debug, client):
    from ledger.selectors import movements
    from products.selectors import member_deposit_accounts

    call_command("demo_load")
    andina = Member.objects.get(id_number="1792456134001")
    assert andina.is_company and andina.user is None
    assert andina.full_name == "Comercial Andina S.A."
    (savings,) = member_deposit_accounts(member=andina)
    assert savings.product_type.code == "AHO"
    page = movements(account=savings.ledger_account, limit=100).items
    kinds = {m.description for m in page}
    assert {"DEPÓSITO AHORROS", "RETIRO DE AHORROS"} <= kinds
    assert len(page) >= 12 * 3
    assert savings.ledger_account.balance > Decimal("1500.00")
    client.force_login(User.objects.get(username="agencia01"))
    companies = client.get("/admin/accounts/member/", {"kind__exact": "legal"}).content.decode()
    assert "Comercial Andina S.A." in companies and "María Fernanda" not in companies


def test_it_loads_the_active_profiles_catalog_of_billers_and_their_tariffs(db, debug):
    from ledger.fees import fee_quote
    from ledger.models import Tariff
    from payments.models import Biller
    from payments.selectors import service_categories

    call_command("demo_load")
    categories = service_categories()
    assert [c.name for c in categories][:4] == ["AGUA", "LUZ", "TELEFONÍA", "Recargas"]
    assert Biller.objects.count() == 22  # Cooprogreso's only: the active profile's
    water = Biller.objects.get(name="AGUA EPAM - MANTA - CUPON")
    assert fee_quote(Tariff.Code.BILL_PAYMENT, subject=water.code).total == Decimal("0.31")

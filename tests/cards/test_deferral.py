"""Diferir consumos: the manual's figures and an independent annuity formula; a deferral
moves its purchases from revolving to deferred through one balanced journal, once; every
refusal moves nothing; each statement close bills the next installment with its interest
and adds it to the minimum payment; the pages, as a browser drives them, with a code."""

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from hypothesis import example, given, settings
from hypothesis import strategies as st

from accounts.models import Operation
from accounts.operations import Actor, operation_execute, operation_prepare
from cards.defer_operations import card_deferral
from cards.deferral import (
    DeferralOverBalance,
    DeferralTermInvalid,
    DeferralTermsChanged,
    DeferralTooSmall,
    NothingToDefer,
    PurchaseAlreadyBilled,
    PurchaseAlreadyDeferred,
    PurchaseNotOfCard,
    card_defer,
    deferrable_purchases,
    deferral_quote,
    deferral_schedule,
)
from cards.exceptions import CardNotActive
from cards.models import (
    DEFERRAL_TERMS,
    Card,
    CardDeferral,
    CardDeferralInstallment,
    CardDeferredPurchase,
)
from cards.services import card_purchase, card_set_status, card_statement_close
from ledger.audit import ledger_check
from ledger.books import book_account
from ledger.exceptions import IdempotencyConflict
from ledger.models import Journal, Kind, Posting
from ledger.selectors import book_balance
from ledger.services import Line, journal_post
from tests.auth import last_code, op_id
from tests.cards.conftest import issue_credit, refreshed
from tests.ledger.test_concurrency import in_threads

D = Decimal
RATE = D("0.156000")  # the card's default: the manuals' 15.6 % a year


def buy(card, amount: str, key: str, description: str = "SANA SANA N59 ANGEL LUDENA"):
    return card_purchase(card=card, amount=D(amount), description=description, key=key)


def defer(card, purchases, months: int = 3, key: str = "d1", **kwargs):
    return card_defer(
        card=card,
        purchases=[p.public_id for p in purchases],
        installments=months,
        key=key,
        **kwargs,
    )


def balances(card) -> tuple[Decimal, Decimal]:
    card = refreshed(card)
    return card.revolving_used, card.deferred_used


# --- the figures ----------------------------------------------------------------------


def test_the_manuals_deferral_reproduces_exactly():
    installment, rows = deferral_schedule(amount=D("13.24"), annual_rate=RATE, installments=3)
    assert installment == D("4.53")  # "Valor cuota mensual"
    assert [row.interest for row in rows] == [D("0.17"), D("0.12"), D("0.06")]
    assert rows[0].interest == D("0.17")  # "Valor interés"
    assert [row.capital for row in rows] == [D("4.36"), D("4.41"), D("4.47")]
    assert [row.total for row in rows] == [D("4.53")] * 3
    assert sum(row.capital for row in rows) == D("13.24")


@pytest.mark.parametrize(
    ("months", "installment"),
    [(3, "342.04"), (6, "174.33"), (12, "90.54"), (24, "48.77"), (36, "34.96")],
)
def test_per_thousand_at_the_cards_rate(months, installment):
    assert deferral_schedule(amount=D("1000.00"), annual_rate=RATE, installments=months)[0] == D(
        installment
    )


def cents_half_up(value: Fraction) -> Decimal:
    """An exact fraction rounded half-up to cents, with no Decimal context involved."""
    cents, rest = divmod(value * 100, 1)
    return D(int(cents) + (1 if rest >= Fraction(1, 2) else 0)) / 100


def annuity(amount: Decimal, annual_rate: Decimal, months: int) -> Decimal:
    """``P·i / (1 − (1+i)^−n)`` in exact fractions, rounded half-up to cents."""
    i = Fraction(annual_rate) / 12
    principal = Fraction(amount)
    if i == 0:
        return cents_half_up(principal / months)
    return cents_half_up(principal * i / (1 - (1 + i) ** -months))


amounts = st.decimals(min_value=D("0.01"), max_value=D("100000.00"), places=2)
rates = st.decimals(min_value=D("0"), max_value=D("0.5"), places=6)
terms = st.sampled_from(DEFERRAL_TERMS)


@settings(max_examples=300, deadline=None)
@given(amount=amounts, annual_rate=rates, months=terms)
@example(amount=D("1791.40"), annual_rate=D("0.495602"), months=36)  # the rounding compounds
def test_the_schedule_holds_for_any_amount_rate_and_term(amount, annual_rate, months):
    installment, rows = deferral_schedule(
        amount=amount, annual_rate=annual_rate, installments=months
    )
    assert installment == annuity(amount, annual_rate, months)
    assert [row.number for row in rows] == list(range(1, months + 1))
    assert sum(row.capital for row in rows) == amount
    assert all(row.capital >= 0 and row.interest >= 0 for row in rows)
    left = Fraction(amount)
    for row in rows:  # each month's interest on the capital left, half-up
        assert row.interest == cents_half_up(left * Fraction(annual_rate) / 12)
        left -= Fraction(row.capital)
    if amount >= months:  # a dollar a month or more: the cents never run out early
        assert all(row.total == installment for row in rows[:-1])
        # The last installment absorbs the rounding of the others: each month's interest
        # and the installment itself are off by at most half a cent, and what the capital
        # left is off by grows with the monthly rate, so the last one is off by at most a
        # cent compounded over the term (a cent a month at no interest).
        growth = sum((1 + Fraction(annual_rate) / 12) ** k for k in range(months))
        assert abs(Fraction(rows[-1].total - installment)) <= Fraction(1, 100) * growth


# --- deferring ------------------------------------------------------------------------


def test_a_deferral_moves_the_purchase_from_revolving_to_deferred(credit_card, member):
    pharmacy = buy(credit_card, "13.24", "p1")
    buy(credit_card, "50.00", "p2", "SUPERMAXI SAN CARLOS")
    available = refreshed(credit_card).available_limit

    deferral = defer(credit_card, [pharmacy], user=member.user)

    assert balances(credit_card) == (D("50.00"), D("13.24"))
    assert refreshed(credit_card).available_limit == available  # what is used is the same
    assert (deferral.amount, deferral.installments_count, deferral.installment) == (
        D("13.24"),
        3,
        D("4.53"),
    )
    assert deferral.annual_rate == RATE and deferral.created_by == member.user
    assert [item.purchase for item in deferral.items.all()] == [pharmacy]
    assert [(i.number, i.capital, i.interest, i.billed_on) for i in deferral.schedule.all()] == [
        (1, D("4.36"), D("0.17"), None),
        (2, D("4.41"), D("0.12"), None),
        (3, D("4.47"), D("0.06"), None),
    ]
    journal = Journal.objects.get(pk=deferral.journal_id)
    assert journal.kind == Kind.CARD_DEFERRAL
    assert (journal.source_type, journal.source_id) == ("cards.carddeferral", str(deferral.pk))
    postings = list(journal.postings.order_by("pk"))
    assert sum(p.amount_minor for p in postings) == 0
    assert {(p.account_id, p.amount_minor) for p in postings} == {
        (credit_card.deferred_account_id, 1324),
        (credit_card.revolving_account_id, -1324),
    }
    assert deferrable_purchases(card=credit_card) == [
        p for p in credit_card.purchases.all() if p.pk != pharmacy.pk
    ]
    assert ledger_check().ok


def test_several_purchases_are_deferred_together(credit_card):
    purchases = [buy(credit_card, amount, f"p{n}") for n, amount in enumerate(["17.11", "16.28"])]
    deferral = defer(credit_card, purchases, months=6)
    assert deferral.amount == D("33.39") and deferral.items.count() == 2
    assert balances(credit_card) == (D("0.00"), D("33.39"))


def test_a_replayed_key_defers_once_and_another_request_under_it_is_refused(credit_card):
    purchase = buy(credit_card, "13.24", "p1")
    first = defer(credit_card, [purchase], key="once")
    assert defer(credit_card, [purchase], key="once") == first
    assert Journal.objects.filter(kind=Kind.CARD_DEFERRAL).count() == 1
    with pytest.raises(IdempotencyConflict):
        defer(credit_card, [purchase], months=6, key="once")
    assert balances(credit_card) == (D("0.00"), D("13.24"))


def refused_changes_nothing(card, error, call):
    before = balances(card), Journal.objects.count(), CardDeferral.objects.count()
    with pytest.raises(error):
        call()
    assert (balances(card), Journal.objects.count(), CardDeferral.objects.count()) == before


def test_a_purchase_is_deferred_only_once(credit_card):
    purchase = buy(credit_card, "13.24", "p1")
    defer(credit_card, [purchase], key="first")
    refused_changes_nothing(
        credit_card,
        PurchaseAlreadyDeferred,
        lambda: defer(credit_card, [purchase], months=6, key="second"),
    )
    assert CardDeferral.objects.count() == 1


def test_the_database_refuses_a_second_deferral_of_a_purchase(credit_card):
    purchase = buy(credit_card, "13.24", "p1")
    deferral = defer(credit_card, [purchase])
    with pytest.raises(IntegrityError), transaction.atomic():
        CardDeferredPurchase.objects.create(deferral=deferral, purchase=purchase)


def test_a_purchase_of_another_card_is_refused(credit_card, member):
    other_card = issue_credit(member)
    theirs = buy(other_card, "13.24", "p-other")
    mine = buy(credit_card, "10.00", "p-mine")
    refused_changes_nothing(
        credit_card, PurchaseNotOfCard, lambda: defer(credit_card, [mine, theirs])
    )
    refused_changes_nothing(
        credit_card,
        PurchaseNotOfCard,
        lambda: card_defer(card=credit_card, purchases=["no-uuid"], installments=3, key="x"),
    )


def test_an_amount_over_the_revolving_balance_is_refused(credit_card):
    purchase = buy(credit_card, "100.00", "p1")
    journal_post(  # a payment of $60.00: $40.00 left on revolving
        key="payment-1",
        kind=Kind.CARD_PAYMENT,
        lines=[
            Line.debit(book_account("CASH", "USD"), D("60.00"), "PAGO TARJETA"),
            Line.credit(credit_card.revolving_account_id, D("60.00"), "PAGO TARJETA"),
        ],
    )
    with pytest.raises(DeferralOverBalance) as refused:
        defer(credit_card, [purchase])
    assert refused.value.message == (
        "El total a diferir ($100.00) supera tu saldo rotativo ($40.00)."
    )
    assert balances(credit_card) == (D("40.00"), D("0.00"))


def test_a_purchase_already_billed_by_a_statement_is_refused(credit_card):
    purchase = buy(credit_card, "13.24", "p1")
    card_statement_close(card=credit_card, on=timezone.localdate())
    card = refreshed(credit_card)
    assert deferrable_purchases(card=card) == []
    refused_changes_nothing(card, PurchaseAlreadyBilled, lambda: defer(card, [purchase]))


@pytest.mark.parametrize(
    ("months", "purchases", "error"),
    [(4, True, DeferralTermInvalid), (3, False, NothingToDefer)],
)
def test_a_term_not_offered_and_no_purchase_are_refused(credit_card, months, purchases, error):
    purchase = buy(credit_card, "13.24", "p1")
    chosen = [purchase] if purchases else []
    refused_changes_nothing(credit_card, error, lambda: defer(credit_card, chosen, months=months))


def test_a_blocked_card_defers_nothing(credit_card):
    purchase = buy(credit_card, "13.24", "p1")
    card_set_status(card=credit_card, status=Card.Status.BLOCKED, reason="Robo")
    refused_changes_nothing(credit_card, CardNotActive, lambda: defer(credit_card, [purchase]))


def test_an_amount_too_small_for_the_term_is_refused(credit_card):
    purchase = buy(credit_card, "0.10", "p1")
    refused_changes_nothing(
        credit_card, DeferralTooSmall, lambda: defer(credit_card, [purchase], months=36)
    )


def test_a_rate_changed_since_the_simulation_refuses_the_deferral(credit_card):
    purchase = buy(credit_card, "13.24", "p1")
    quote = deferral_quote(card=credit_card, purchases=[purchase.public_id], installments=3)
    Card.objects.filter(pk=credit_card.pk).update(annual_rate=D("0.300000"))
    refused_changes_nothing(
        credit_card,
        DeferralTermsChanged,
        lambda: defer(credit_card, [purchase], quoted_installment=quote.installment),
    )


# --- billing --------------------------------------------------------------------------


def months_after(day, n: int):
    """The same day (at most the 28th) ``n`` months later."""
    month = day.month - 1 + n
    return day.replace(year=day.year + month // 12, month=month % 12 + 1, day=min(day.day, 28))


def test_each_statement_close_bills_the_next_installment(credit_card):
    pharmacy = buy(credit_card, "13.24", "p1")
    buy(credit_card, "100.00", "p2", "SUPERMAXI SAN CARLOS")
    defer(credit_card, [pharmacy])
    today = timezone.localdate()

    card = card_statement_close(card=credit_card, on=today)
    # installment 1: 4.36 capital back to revolving, 0.17 interest charged to it
    assert balances(card) == (D("104.53"), D("8.88"))
    assert card.minimum_payment == D("10.00") + D("4.53")
    assert book_balance("INTEREST_INCOME", "USD") == D("0.17")
    first = CardDeferralInstallment.objects.get(number=1)
    assert first.billed_on == today
    descriptions = set(
        Posting.objects.filter(journal_id=first.journal_id).values_list("description", flat=True)
    )
    assert {"CUOTA 1/3 DIFERIDO", "INTERÉS CUOTA 1/3 DIFERIDO"} <= descriptions

    again = card_statement_close(card=credit_card, on=today)  # the same day: nothing more
    assert balances(again) == (D("104.53"), D("8.88"))
    assert again.minimum_payment == D("14.53")

    # A statement closes once a month: the next ones, in the next months.
    second = card_statement_close(card=credit_card, on=months_after(today, 1))
    assert balances(second) == (D("109.06"), D("4.47"))
    assert second.minimum_payment == D("10.45") + D("4.53")  # 10 % of 104.53, half-up
    third = card_statement_close(card=credit_card, on=months_after(today, 2))
    assert balances(third) == (D("113.59"), D("0.00"))
    assert CardDeferralInstallment.objects.filter(billed_on__isnull=True).count() == 0
    fourth = card_statement_close(card=credit_card, on=months_after(today, 3))
    assert balances(fourth) == (D("113.59"), D("0.00"))
    assert fourth.minimum_payment == D("11.36")  # nothing deferred is due any more
    assert book_balance("INTEREST_INCOME", "USD") == D("0.35")
    assert ledger_check().ok


def test_a_deferral_made_after_a_statement_date_waits_for_the_next_one(credit_card):
    purchase = buy(credit_card, "13.24", "p1")
    defer(credit_card, [purchase])
    card = card_statement_close(card=credit_card, on=timezone.localdate() - timedelta(days=1))
    assert balances(card) == (D("0.00"), D("13.24"))
    assert card.minimum_payment == D("0.00")


def test_a_statement_bills_one_installment_of_each_deferral(credit_card):
    first = defer(credit_card, [buy(credit_card, "13.24", "p1")], key="d1")
    second = defer(credit_card, [buy(credit_card, "400.00", "p2")], months=12, key="d2")
    card = card_statement_close(card=credit_card, on=timezone.localdate())
    billed = [first.schedule.get(number=1), second.schedule.get(number=1)]
    assert card.minimum_payment == first.installment + second.installment == D("40.75")
    assert balances(card) == (D("40.75"), D("413.24") - sum(i.capital for i in billed))


# --- the operation without a browser --------------------------------------------------


def test_a_worker_executes_a_prepared_deferral_once(credit_card, member):
    purchase = buy(credit_card, "13.24", "p1")
    operation = operation_prepare(
        kind=card_deferral,
        actor=Actor(user=member.user, owner=member, channel="web"),
        data={"consumos": [str(purchase.public_id)], "plazo": "3"},
        context={"card": str(credit_card.public_id)},
    )
    assert operation.review[:4] == [
        ["Total a diferir", "$13.24"],
        ["Número de cuotas", "3"],
        ["Valor interés", "$0.17"],
        ["Valor cuota mensual", "$4.53"],
    ]
    operation_execute(operation=operation)
    operation_execute(operation=operation)
    operation.refresh_from_db()
    assert operation.state == Operation.State.EXECUTED
    assert CardDeferral.objects.get().idempotency_key == operation.key
    assert balances(credit_card) == (D("0.00"), D("13.24"))


# --- the pages ------------------------------------------------------------------------


def page(card) -> str:
    return f"/tarjetas/{card.public_id}/diferir/"


def test_the_cards_to_defer_on_are_listed(member_client, credit_card, debit_card):
    html = member_client.get("/tarjetas/diferir/").content.decode()
    assert "Diferido tarjeta de crédito" in html and credit_card.masked_number in html
    assert page(credit_card) in html
    assert debit_card.masked_number not in html


def test_a_purchase_is_simulated_confirmed_with_a_code_and_deferred(member_client, credit_card):
    pharmacy = buy(credit_card, "13.24", "p1")
    buy(credit_card, "17.11", "p2", "FYBECA EL BOSQUE")
    form = member_client.get(page(credit_card)).content.decode()
    for text in (
        "Selecciona las transacciones a diferir",
        "Descripción",
        "Valor",
        "Fecha",
        "SANA SANA N59 ANGEL LUDENA",
        "$13.24",
        timezone.localdate().isoformat(),
        "3 Meses",
        "36 Meses",
        credit_card.masked_number,
    ):
        assert text in form
    chosen = {"consumos": [str(pharmacy.public_id)], "plazo": "3"}

    simulated = member_client.post(page(credit_card), {"step": "form", "refresh": "1", **chosen})
    html = simulated.content.decode()
    assert "Simulación diferida" in html
    for label, value in (
        ("Total a diferir", "$13.24"),
        ("Número de cuotas", "3"),
        ("Valor interés", "$0.17"),
        ("Valor cuota mensual", "$4.53"),
    ):
        assert f"<dt>{label}</dt><dd>{value}</dd>" in html
    assert "Ver tabla de cuotas" in html and "$4.47" in html
    assert CardDeferral.objects.count() == 0 and Operation.objects.count() == 0

    review = member_client.post(page(credit_card), {"step": "form", **chosen})
    assert "Simulación diferida" in review.content.decode()
    assert "<dt>Valor cuota mensual</dt><dd>$4.53</dd>" in review.content.decode()
    assert balances(credit_card) == (D("30.35"), D("0.00"))  # nothing until the code

    done = member_client.post(
        page(credit_card), {"step": "confirm", "op": op_id(review), "answer": last_code()}
    )
    html = done.content.decode()
    assert "¡Diferido exitoso!" in html
    assert "<dt>Utilizado diferido</dt><dd>$13.24</dd>" in html
    assert "<dt>Utilizado rotativo</dt><dd>$17.11</dd>" in html
    assert balances(credit_card) == (D("17.11"), D("13.24"))
    listed = member_client.get("/tarjetas/diferir/").content.decode()
    assert "Mis diferidos" in listed and "0 de 3" in listed
    form = member_client.get(page(credit_card)).content.decode()
    assert "FYBECA EL BOSQUE" in form and "SANA SANA" not in form  # deferred once


def test_a_refusal_is_shown_on_the_simulation_and_nothing_moves(member_client, credit_card):
    purchase = buy(credit_card, "0.10", "p1")
    html = member_client.post(
        page(credit_card),
        {"step": "form", "refresh": "1", "consumos": [str(purchase.public_id)], "plazo": "36"},
    ).content.decode()
    assert DeferralTooSmall.message in html
    html = member_client.post(
        page(credit_card), {"step": "form", "consumos": [str(purchase.public_id)], "plazo": "36"}
    ).content.decode()
    assert DeferralTooSmall.message in html and 'name="op"' not in html
    assert Operation.objects.count() == 0


def test_another_members_card_and_purchases_are_refused(
    member_client, credit_card, other_member, debit_card, catalog
):
    theirs = issue_credit(other_member)
    their_purchase = buy(theirs, "13.24", "p-theirs")
    assert member_client.get(page(theirs)).status_code == 404
    chosen = {"consumos": [str(their_purchase.public_id)], "plazo": "3"}
    assert member_client.post(page(theirs), {"step": "form", **chosen}).status_code == 404
    assert member_client.get(page(debit_card)).status_code == 404
    html = member_client.post(page(credit_card), {"step": "form", **chosen}).content.decode()
    assert "ya no se puede diferir" in html
    assert CardDeferral.objects.count() == 0 and balances(theirs) == (D("13.24"), D("0.00"))


def test_the_list_reads_in_a_fixed_number_of_queries(
    member_client, member, catalog, django_assert_max_num_queries
):
    for n in range(3):
        card = issue_credit(member)
        defer(card, [buy(card, "13.24", f"p{n}")], key=f"d{n}")
    with django_assert_max_num_queries(12):
        member_client.get("/tarjetas/diferir/")


def test_a_close_dated_before_a_later_one_bills_nothing_more(credit_card):
    defer(credit_card, [buy(credit_card, "13.24", "p1")])
    later = timezone.localdate() + timedelta(days=30)
    card_statement_close(card=credit_card, on=later)
    card_statement_close(card=credit_card, on=later - timedelta(days=10))
    assert CardDeferralInstallment.objects.filter(billed_on=later).count() == 1
    assert CardDeferralInstallment.objects.filter(billed_on__isnull=False).count() == 1


def test_cents_half_up_matches_the_portals_rounding():
    for value in ("0.005", "0.015", "1.234", "2.675"):
        assert cents_half_up(Fraction(value)) == D(value).quantize(D("0.01"), ROUND_HALF_UP)


# --- at the same moment, on real PostgreSQL -------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_purchase_deferred_many_times_at_once_is_deferred_once(member, catalog):
    card = issue_credit(member)
    purchase = buy(card, "13.24", "p1")

    def defer_it(i):
        try:
            return defer(card, [purchase], key=f"race-{i}").pk
        except PurchaseAlreadyDeferred:
            return "refused"

    outcomes = in_threads(8, defer_it)
    assert outcomes.count("refused") == 7
    assert CardDeferral.objects.count() == 1
    assert balances(card) == (D("0.00"), D("13.24"))
    assert ledger_check().ok

"""Pagos programados: María registers a schedule for her water bill — the terms accepted
beside the code — changes it and removes it; nobody else reaches it. The beat pays each
due bill once, however it is run: twice, delivered twice, two runs at once, or again
after the biller did not answer; a bill over the maximum or one the account cannot pay is
not paid, and María is e-mailed once; monthly schedules pay once a month; the dates are
kept; the ledger balances after each."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings as django_settings
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import AuditEvent, Operation
from core.crypto import decrypt
from core.models import Notification
from ledger.calendar import is_business_day
from ledger.models import Hold, Journal, Kind
from payments import tasks
from payments.models import (
    Biller,
    BillPayment,
    PaymentSchedule,
    ScheduleNotice,
    SimulatedBillerPayment,
)
from payments.network import Bill, SimulatedBillerNetwork, simulated_bills
from payments.schedules import (
    TERMS_VERSION,
    schedule_delete,
    schedule_is_due,
    schedule_pay_day,
    schedule_run,
    schedule_terms,
    schedules_due,
)
from payments.services import bill_payments_sweep, bill_quote
from payments.tasks import run_due_schedules, run_schedule
from products.services import cash_deposit
from tests.auth import last_code, op_id
from tests.payments.conftest import (
    ONE_BILL,
    TWO_BILLS,
    active_holds,
    assert_ledger_ok,
    balances,
    open_funded,
    scheduled,
)

pytestmark = pytest.mark.django_db

D = Decimal
LIST = "/pagos/programados/"
NEW = "/pagos/programados/nuevo/"
# A Thursday that is a business day in Ecuador, in the morning of the beat's first run.
THURSDAY = datetime(2026, 3, 5, 7, 0)
SATURDAY = datetime(2026, 3, 7, 7, 0)


def at(moment: datetime):
    return time_machine.travel(timezone.make_aware(moment), tick=False)


def bill_of(reference: str) -> Bill:
    return simulated_bills(reference)[0]


def scheduled_payments():
    return BillPayment.objects.exclude(schedule_id=None)


def sent(subject_part: str) -> list[tuple[str, str]]:
    """(subject, body) of the e-mails stored for members about their schedules."""
    return [
        (n.subject, decrypt(n.body_encrypted))
        for n in Notification.objects.filter(kind="Pago programado").order_by("pk")
        if subject_part in n.subject
    ]


# --- the dialog -------------------------------------------------------------------------


def form_data(biller, account, **fields) -> dict:
    return {
        "step": "form",
        "servicio": biller.public_id,
        "origen": account.public_id,
        "referencia": "41515161",
        "monto_maximo": "20.00",
        "frecuencia": "available",
        "fecha_inicio": timezone.localdate().isoformat(),
        "indefinida": "on",
        **fields,
    }


def submit(client, biller, account, **fields):
    return client.post(f"{NEW}?servicio={biller.public_id}", form_data(biller, account, **fields))


def confirm(client, url, step, *, accept=True):
    data = {"step": "confirm", "op": op_id(step), "answer": last_code()}
    if accept:
        data["acepto"] = "1"
    return client.post(url, data)


def test_the_list_starts_empty_with_programar_nuevo_pago(member_client, water):
    html = member_client.get(LIST).content.decode()
    assert "Pagos programados" in html and "Programar nuevo pago" in html
    assert "Aún no tienes pagos programados" in html
    index = member_client.get("/pagos/").content.decode()
    assert LIST in index  # the shortcut on "Pago de Servicios"


def test_the_chooser_offers_the_services_with_bills_only(member_client, water, topup):
    html = member_client.get(f"{NEW}?categoria={water.category.pk}").content.decode()
    assert "AGUA EPMAPA PEDERNALES" in html and f"{NEW}?servicio={water.public_id}" in html
    assert "Programar" in html
    found = member_client.get(f"{NEW}?q=recargas").content.decode()
    assert "RECARGAS CNT PAQUETE" not in found
    refused = member_client.get(f"{NEW}?servicio={topup.public_id}").content.decode()
    assert "El servicio no está disponible." in refused


def test_a_schedule_is_registered_with_the_terms_accepted_and_the_code(
    member_client, member, water, savings, cooperative
):
    form = member_client.get(f"{NEW}?servicio={water.public_id}").content.decode()
    for text in (
        "Programar pagos",
        "Información del servicio",
        "Cuenta de débito",
        "AGUA EPMAPA PEDERNALES",
        "CONTRATO/CÉDULA/RUC",
        "Monto máximo",
        "Ej: $ 20.00",
        "Recuerda que si la factura es mayor al valor establecido en el campo Monto máximo",
        "Información de la programación",
        "Frecuencia",
        "Siempre que se encuentre disponible",
        "Fecha de inicio",
        "Fecha de finalización",
        "Fecha indefinida",
        "Programar pago",
    ):
        assert text in form, text
    step = submit(member_client, water, savings)
    review = step.content.decode()
    assert "Confirmar pago programado" in review and "Términos y Condiciones" in review
    assert schedule_terms(TERMS_VERSION) in review
    assert f"{cooperative.short_name} no se responsabiliza" in review
    assert "Acepto los términos y condiciones" in review and 'name="acepto"' in review
    assert not PaymentSchedule.objects.exists()  # nothing before the code
    done = confirm(member_client, f"{NEW}?servicio={water.public_id}", step).content.decode()
    for text in (
        "¡Pago programado con éxito!",
        "Información del pago programado",
        "Monto máximo",
        "$20.00",
        "Cuenta a debitar",
        "N.º Cta.",
        "Categoría",
        "Servicio",
        "Referencia",
        "41515161",
    ):
        assert text in done, text
    schedule = PaymentSchedule.objects.get()
    assert (schedule.member, schedule.origin, schedule.biller) == (member, savings, water)
    assert (schedule.reference, schedule.max_amount) == ("41515161", D("20.00"))
    assert schedule.frequency == "available" and schedule.end_date is None
    assert schedule.terms_version == TERMS_VERSION and schedule.accepted_at is not None
    assert schedule.created_by == member.user and schedule.active
    assert AuditEvent.objects.filter(event="payment_schedule_added").count() == 1


def test_without_accepting_the_terms_nothing_is_scheduled_and_the_code_still_counts(
    member_client, water, savings
):
    url = f"{NEW}?servicio={water.public_id}"
    step = submit(member_client, water, savings)
    refused = confirm(member_client, url, step, accept=False).content.decode()
    assert "Acepta los términos y condiciones para continuar." in refused
    assert not PaymentSchedule.objects.exists()
    done = confirm(member_client, url, step).content.decode()
    assert "¡Pago programado con éxito!" in done
    assert PaymentSchedule.objects.count() == 1


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"indefinida": ""}, "Selecciona la fecha de finalización o marca «Fecha indefinida»."),
        ({"frecuencia": "monthly"}, "Elige el día del mes en que se hará el pago."),
        ({"frecuencia": "monthly", "dia": "32"}, "31"),
        ({"fecha_inicio": "2020-01-01"}, "La fecha de inicio no puede ser anterior a hoy."),
        ({"referencia": "41"}, "CONTRATO/CÉDULA/RUC debe tener al menos 4 caracteres"),
        ({"monto_maximo": ""}, "Ingresa el monto máximo."),
        ({"monto_maximo": "0"}, "El monto"),
    ],
)
def test_the_form_says_what_is_missing(member_client, water, savings, fields, message):
    html = submit(member_client, water, savings, **fields).content.decode()
    assert message in html
    assert not Operation.objects.exists() and not PaymentSchedule.objects.exists()


def test_an_end_date_before_the_start_is_refused(member_client, water, savings):
    today = timezone.localdate()
    html = submit(
        member_client,
        water,
        savings,
        indefinida="",
        fecha_inicio=(today + timedelta(days=5)).isoformat(),
        fecha_fin=(today + timedelta(days=2)).isoformat(),
    ).content.decode()
    assert "La fecha de finalización debe ser posterior a la de inicio." in html


def test_another_members_account_cannot_be_debited(member_client, other_member, water, savings):
    theirs = open_funded(other_member)
    html = submit(member_client, water, theirs).content.decode()
    assert "Selecciona una de tus cuentas." in html
    assert not PaymentSchedule.objects.exists()


def test_one_reference_is_scheduled_once(member_client, member, water, savings):
    scheduled(member, savings, water, "41515161")
    html = submit(member_client, water, savings).content.decode()
    assert "Ya tienes un pago programado para este servicio y esta referencia." in html


def test_the_list_shows_each_schedule_with_editar_and_eliminar(
    member_client, member, other_member, water, savings
):
    ends = timezone.localdate() + timedelta(days=90)
    forever = scheduled(member, savings, water, "41515161")
    until = scheduled(member, savings, water, "41515163", max_amount=D("45.50"), end_date=ends)
    scheduled(other_member, open_funded(other_member), water, "99990001")
    html = member_client.get(LIST).content.decode()
    for text in ("Servicio", "Categoría", "Referencia", "Fecha de finalización", "Monto máximo"):
        assert text in html
    assert "AGUA EPMAPA PEDERNALES" in html and "AGUA" in html
    assert "41515161" in html and "41515163" in html and "99990001" not in html
    assert "Indefinida" in html and "$20.00" in html and "$45.50" in html
    for schedule in (forever, until):
        assert f"{LIST}{schedule.public_id}/editar/" in html
        assert f"{LIST}{schedule.public_id}/eliminar/" in html


def test_the_list_reads_in_a_fixed_number_of_queries(
    member_client, member, water, savings, django_assert_max_num_queries
):
    for n in range(6):
        scheduled(member, savings, water, f"4151516{n}")
    member_client.get(LIST)
    with django_assert_max_num_queries(12):
        assert member_client.get(LIST).status_code == 200


def test_a_schedule_is_changed_with_the_code(member_client, member, water, savings):
    schedule = scheduled(member, savings, water, "41515161")
    url = f"{LIST}{schedule.public_id}/editar/"
    form = member_client.get(url).content.decode()
    assert "Editar pago programado" in form and "41515161" in form and 'value="20.00"' in form
    ends = timezone.localdate() + timedelta(days=120)
    step = member_client.post(
        url,
        {
            "step": "form",
            "origen": savings.public_id,
            "monto_maximo": "50.00",
            "frecuencia": "monthly",
            "dia": "10",
            "fecha_inicio": schedule.start_date.isoformat(),
            "fecha_fin": ends.isoformat(),
        },
    )
    review = step.content.decode()
    assert "Confirmar cambios" in review and "Mensual, el día 10" in review
    schedule.refresh_from_db()
    assert schedule.max_amount == D("20.00")  # nothing before the code
    done = member_client.post(
        url, {"step": "confirm", "op": op_id(step), "answer": last_code()}
    ).content.decode()
    assert "Pago programado actualizado." in done
    schedule.refresh_from_db()
    assert (schedule.max_amount, schedule.frequency, schedule.day_of_month) == (
        D("50.00"),
        "monthly",
        10,
    )
    assert schedule.end_date == ends
    assert AuditEvent.objects.filter(event="payment_schedule_changed").count() == 1


def test_a_schedule_is_removed_with_the_code_and_no_longer_paid(
    member_client, member, water, savings
):
    schedule = scheduled(member, savings, water, ONE_BILL)
    url = f"{LIST}{schedule.public_id}/eliminar/"
    form = member_client.get(url).content.decode()
    assert "¿Deseas eliminar este pago programado?" in form and ONE_BILL in form
    step = member_client.post(url, {"step": "form"})
    assert "Eliminar pago programado" in step.content.decode()
    assert PaymentSchedule.objects.get().deleted_at is None
    done = member_client.post(
        url, {"step": "confirm", "op": op_id(step), "answer": last_code()}
    ).content.decode()
    assert "Pago programado eliminado." in done
    schedule.refresh_from_db()
    assert schedule.deleted_at is not None and not schedule.active
    assert ONE_BILL not in member_client.get(LIST).content.decode()
    assert member_client.get(f"{LIST}{schedule.public_id}/editar/").status_code == 404
    assert str(schedule_run(schedule_id=schedule.pk)) == "not due"
    assert not BillPayment.objects.exists()


def test_another_members_schedule_is_a_404(member_client, other_member, water):
    theirs = scheduled(other_member, open_funded(other_member), water, ONE_BILL)
    for action in ("editar", "eliminar"):
        url = f"{LIST}{theirs.public_id}/{action}/"
        assert member_client.get(url).status_code == 404
        assert member_client.post(url, {"step": "form"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.deleted_at is None and not Operation.objects.exists()


# --- the beat -----------------------------------------------------------------------------


@pytest.fixture
def thursday(db):
    with at(THURSDAY):
        yield


def test_the_beat_pays_a_due_bill_once_however_often_it_runs(member, water, savings, thursday):
    schedule = scheduled(member, savings, water, ONE_BILL)
    bill = bill_of(ONE_BILL)
    assert run_due_schedules.delay().get() == 1
    assert run_due_schedules.delay().get() == 1  # the afternoon run: nothing pending
    payment = scheduled_payments().get()
    assert payment.state == BillPayment.State.PAID and payment.schedule_id == schedule.pk
    assert (payment.bill_number, payment.amount, payment.channel) == (
        bill.number,
        D("7.13"),
        "system",
    )
    operation = Operation.objects.get(key=f"schedule-{schedule.pk}-{bill.number}")
    assert operation.state == Operation.State.EXECUTED and operation.created_by is None
    assert Journal.objects.filter(kind=Kind.BILL_PAYMENT).count() == 1
    assert balances(savings) == (D("92.56"), D("92.56"))
    assert len(sent("pago programado realizado")) == 1
    assert f"Comprobante N.º {payment.journal_id}" in sent("realizado")[0][1]
    schedule.refresh_from_db()
    assert schedule.last_run_at is not None and schedule.last_paid_at is not None
    assert_ledger_ok()


def test_a_task_delivered_twice_pays_once_even_when_the_biller_still_lists_the_bill(
    member, water, savings, thursday, monkeypatch
):
    schedule = scheduled(member, savings, water, ONE_BILL)
    bill = bill_of(ONE_BILL)
    # A real biller may list a paid bill as pending for a while.
    monkeypatch.setattr(SimulatedBillerNetwork, "inquire", lambda self, **kw: [bill])
    run_schedule.delay(schedule.pk)
    run_schedule.delay(schedule.pk)
    assert scheduled_payments().count() == 1 and SimulatedBillerPayment.objects.count() == 1
    assert Operation.objects.filter(purpose="bill_payment").count() == 1
    assert len(sent("pago programado realizado")) == 1
    assert balances(savings) == (D("92.56"), D("92.56"))
    assert_ledger_ok()


def test_a_schedule_pays_every_pending_bill_under_the_maximum(member, water, thursday):
    rich = open_funded(member, amount="500.00")
    older, newer = simulated_bills(TWO_BILLS)  # $7.13 and $57.78
    scheduled(member, rich, water, TWO_BILLS, max_amount=D("60.00"))
    run_due_schedules.delay()
    paid = scheduled_payments().order_by("pk")
    assert [p.bill_number for p in paid] == [older.number, newer.number]
    assert {p.state for p in paid} == {BillPayment.State.PAID}
    assert balances(rich)[0] == D("500.00") - D("7.13") - D("57.78") - D("0.62")
    assert_ledger_ok()


def test_a_bill_over_the_maximum_is_not_paid_and_said_once(member, water, savings, thursday):
    scheduled(member, savings, water, ONE_BILL, max_amount=D("5.00"))
    for _ in range(3):
        run_due_schedules.delay()
    assert not BillPayment.objects.exists() and not Operation.objects.exists()
    assert balances(savings) == (D("100.00"), D("100.00"))
    notices = sent("pago programado no realizado")
    assert len(notices) == 1
    assert "mayor al monto máximo de $5.00" in notices[0][1] and "$7.13" in notices[0][1]
    assert ScheduleNotice.objects.get().reason == ScheduleNotice.Reason.OVER_MAX
    assert_ledger_ok()


def test_without_funds_nothing_is_paid_it_is_said_once_and_tried_again(member, water, thursday):
    poor = open_funded(member, amount="5.00")
    scheduled(member, poor, water, ONE_BILL)
    run_due_schedules.delay()
    run_due_schedules.delay()
    assert not BillPayment.objects.exists()
    notices = sent("pago programado no realizado")
    assert len(notices) == 1 and "no tiene saldo suficiente" in notices[0][1]
    assert balances(poor) == (D("5.00"), D("5.00"))
    cash_deposit(account=poor, amount=D("10.00"), key="more-funds")
    run_due_schedules.delay()
    assert scheduled_payments().get().state == BillPayment.State.PAID
    assert balances(poor) == (D("7.56"), D("7.56"))
    assert len(sent("pago programado no realizado")) == 1
    assert_ledger_ok()


def test_a_bill_the_biller_refuses_is_said_once_and_not_tried_again(
    member, water, savings, thursday
):
    scheduled(member, savings, water, ONE_BILL)
    with SimulatedBillerNetwork.forcing(ONE_BILL, "refused"):
        run_due_schedules.delay()
        run_due_schedules.delay()
    payment = scheduled_payments().get()
    assert payment.state == BillPayment.State.REFUSED
    assert balances(savings) == (D("100.00"), D("100.00"))
    notices = sent("pago programado no realizado")
    assert len(notices) == 1 and "La empresa no aceptó el pago" in notices[0][1]
    run_due_schedules.delay()  # the biller would take it now: it is not tried again
    assert scheduled_payments().count() == 1
    assert_ledger_ok()


def test_a_bill_paid_by_the_member_meanwhile_is_left_alone(
    member, water, savings, thursday, monkeypatch
):
    from payments.services import bill_pay
    from tests.payments.conftest import bill_order

    schedule = scheduled(member, savings, water, ONE_BILL)
    bill = bill_of(ONE_BILL)
    bill_pay(member=member, order=bill_order(savings, water), key="by-hand")
    monkeypatch.setattr(SimulatedBillerNetwork, "inquire", lambda self, **kw: [bill])
    assert "skipped=1" in str(schedule_run(schedule_id=schedule.pk))
    assert BillPayment.objects.count() == 1 and not sent("")
    assert_ledger_ok()


def test_a_biller_that_does_not_answer_leaves_the_bill_for_the_next_run(
    member, water, savings, thursday
):
    schedule = scheduled(member, savings, water, "12349999")  # unavailable
    run = schedule_run(schedule_id=schedule.pk)
    assert run.error and not BillPayment.objects.exists() and not sent("")


def test_a_payment_the_biller_did_not_answer_is_resolved_once_and_never_paid_again(
    member, water, savings, thursday, monkeypatch
):
    bill = bill_of(ONE_BILL)
    total = bill.amount + D("0.31")
    schedule = scheduled(member, savings, water, ONE_BILL)
    with SimulatedBillerNetwork.forcing(ONE_BILL, "late_success"):  # pay times out
        run_due_schedules.delay()
    payment = scheduled_payments().get()
    assert payment.state == BillPayment.State.RESOLVING
    assert active_holds(savings).count() == 1
    assert balances(savings) == (D("100.00"), D("100.00") - total)  # held, not debited
    assert not sent("pago programado realizado")  # the resolver says it when it knows
    # The next run — with the biller still listing the bill — pays nothing more.
    monkeypatch.setattr(SimulatedBillerNetwork, "inquire", lambda self, **kw: [bill])
    run_due_schedules.delay()
    assert scheduled_payments().count() == 1 and SimulatedBillerPayment.objects.count() == 1
    # The resolution captures it, once.
    with at(THURSDAY + timedelta(minutes=20)):
        assert bill_payments_sweep() == 1
        bill_payments_sweep()
    payment.refresh_from_db()
    assert payment.state == BillPayment.State.PAID
    assert Hold.objects.get(pk=payment.hold_id).status == Hold.Status.CAPTURED
    assert Journal.objects.filter(kind=Kind.BILL_PAYMENT).count() == 1
    assert balances(savings) == (D("100.00") - total, D("100.00") - total)
    run_due_schedules.delay()
    assert scheduled_payments().count() == 1
    schedule.refresh_from_db()
    assert schedule.last_paid_at is not None
    assert not sent("pago programado realizado")  # the resolver's notice said it
    assert_ledger_ok()


def test_a_monthly_schedule_pays_once_a_month_from_its_day(member, water, savings):
    reference = "55501231"  # its bills are forced below
    march = Bill(number="000000301", description="Consumo de febrero 2026", amount=D("8.00"))
    april = Bill(number="000000401", description="Consumo de marzo 2026", amount=D("9.00"))
    with at(datetime(2026, 3, 2, 7, 0)):
        schedule = scheduled(member, savings, water, reference, frequency="monthly", day_of_month=5)
    with SimulatedBillerNetwork.forcing(reference, (march,)):
        with at(datetime(2026, 3, 4, 7, 0)):  # before its day
            run_due_schedules.delay()
        assert not BillPayment.objects.exists()
        with at(datetime(2026, 3, 5, 7, 0)):
            run_due_schedules.delay()
            run_due_schedules.delay()
    assert list(scheduled_payments().values_list("bill_number", flat=True)) == [march.number]
    with SimulatedBillerNetwork.forcing(reference, (march, april)):
        with at(datetime(2026, 3, 20, 15, 0)):  # a new bill, the same month: next month
            assert schedule.pk not in schedules_due(on=date(2026, 3, 20)).values_list(
                "pk", flat=True
            )
            run_due_schedules.delay()
        assert scheduled_payments().count() == 1
        with at(datetime(2026, 4, 6, 7, 0)):  # April's first business day from the 5th
            run_due_schedules.delay()
            run_due_schedules.delay()
    paid = list(scheduled_payments().order_by("pk").values_list("bill_number", flat=True))
    assert paid == [march.number, april.number]
    assert balances(savings)[0] == D("100.00") - D("8.31") - D("9.31")
    assert_ledger_ok()


def test_a_monthly_day_after_the_last_business_day_is_paid_on_that_day(member, water, savings):
    with at(datetime(2026, 2, 2, 7, 0)):
        schedule = scheduled(member, savings, water, frequency="monthly", day_of_month=28)
    # 28 February 2026 is a Saturday: Friday the 27th is the month's last business day.
    assert schedule not in schedules_due(on=date(2026, 2, 26))
    assert schedule in schedules_due(on=date(2026, 2, 27))


@pytest.mark.parametrize(
    ("day", "month", "paid_on"),
    [
        (31, (2026, 4), date(2026, 4, 30)),  # April has 30 days: Thursday the 30th
        (31, (2026, 5), date(2026, 5, 29)),  # Sunday the 31st: Friday the 29th
        (30, (2026, 2), date(2026, 2, 27)),  # February 2026 ends on a Saturday
        (29, (2026, 8), date(2026, 8, 31)),  # Saturday the 29th: Monday the 31st
        (31, (2026, 12), date(2026, 12, 31)),  # a Thursday
        (1, (2026, 1), date(2026, 1, 2)),  # New Year's Day: Friday the 2nd
    ],
)
def test_a_monthly_day_is_paid_on_its_business_day_and_never_in_the_next_month(
    member, water, savings, day, month, paid_on
):
    with at(datetime(2025, 12, 1, 7, 0)):
        schedule = scheduled(member, savings, water, frequency="monthly", day_of_month=day)
    assert schedule_pay_day(*month, day) == paid_on
    assert schedule in schedules_due(on=paid_on)
    before = paid_on - timedelta(days=1)
    while before.month == paid_on.month and not is_business_day(before):
        before -= timedelta(days=1)
    if before.month == paid_on.month:
        assert schedule not in schedules_due(on=before)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    year=st.integers(min_value=2024, max_value=2032),
    month=st.integers(min_value=1, max_value=12),
    day=st.integers(min_value=1, max_value=31),
)
def test_every_month_pays_a_monthly_schedule_once_on_a_business_day_of_its_own(
    water, year, month, day
):
    """Whatever the day and the month: the pay day is a business day of that month; it is
    the day itself or the first business day after it, unless the month has none from
    that day on — then its last business day; and the beat, running every business day
    of the month, first finds the schedule due exactly on it."""
    paid_on = schedule_pay_day(year, month, day)
    assert (paid_on.year, paid_on.month) == (year, month) and is_business_day(paid_on)
    first = date(year, month, 1)
    days = [
        first + timedelta(days=n) for n in range(31) if (first + timedelta(days=n)).month == month
    ]
    working = [d for d in days if is_business_day(d)]
    later = [d for d in working if d.day >= day]
    assert paid_on == (later[0] if later else working[-1])
    schedule = PaymentSchedule(frequency="monthly", day_of_month=day, start_date=first, active=True)
    due = [d for d in working if schedule_is_due(schedule, on=d)]
    assert due[0] == paid_on and due == [d for d in working if d >= paid_on]


def test_the_dates_are_kept(member, water, savings):
    with at(datetime(2026, 3, 2, 7, 0)):
        schedule = scheduled(
            member,
            savings,
            water,
            start_date=date(2026, 3, 4),
            end_date=date(2026, 3, 6),
        )
    with at(datetime(2026, 3, 3, 7, 0)):
        assert run_due_schedules.delay().get() == 0  # not started
    with at(datetime(2026, 3, 9, 7, 0)):
        assert run_due_schedules.delay().get() == 0  # ended
        assert str(schedule_run(schedule_id=schedule.pk)) == "not due"
    assert not BillPayment.objects.exists()
    with at(datetime(2026, 3, 6, 7, 0)):  # its last day
        assert run_due_schedules.delay().get() == 1
    assert scheduled_payments().count() == 1


def test_a_removed_schedule_is_not_paid(member, water, savings, thursday):
    schedule = scheduled(member, savings, water)
    schedule_delete(schedule=schedule)
    assert run_due_schedules.delay().get() == 0
    assert not BillPayment.objects.exists()


def test_the_beat_does_nothing_on_weekends_and_holidays(member, water, savings):
    with at(datetime(2026, 3, 2, 7, 0)):
        scheduled(member, savings, water)
    with at(SATURDAY):
        assert run_due_schedules.delay().get() == 0
    with at(datetime(2026, 4, 3, 7, 0)):  # Viernes Santo
        assert run_due_schedules.delay().get() == 0
    assert not BillPayment.objects.exists()


def test_the_beat_runs_in_the_morning_and_the_afternoon_of_working_days():
    entry = django_settings.CELERY_BEAT_SCHEDULE["payments-scheduled"]
    assert entry["task"] == "payments.tasks.run_due_schedules"
    assert entry["schedule"].hour == {7, 15} and entry["schedule"].minute == {0}
    assert entry["schedule"].day_of_week == {1, 2, 3, 4, 5}


def test_the_fan_out_reads_ids_a_thousand_at_a_time_and_queues_them_in_chunks(
    member, water, savings, thursday, monkeypatch, django_assert_max_num_queries
):
    today = timezone.localdate()
    PaymentSchedule.objects.bulk_create(
        PaymentSchedule(
            member=member,
            origin=savings,
            biller=water,
            reference=f"{n:08d}1",
            max_amount=D("20.00"),
            start_date=today,
            terms_version=TERMS_VERSION,
            accepted_at=timezone.now(),
            key=f"bulk-{n}",
        )
        for n in range(2500)
    )
    chunks = []
    monkeypatch.setattr(tasks.run_schedules, "delay", chunks.append)
    with django_assert_max_num_queries(6):
        assert run_due_schedules() == 2500
    assert [len(chunk) for chunk in chunks] == [tasks.SCHEDULES_PER_TASK] * 50
    queued = [schedule_id for chunk in chunks for schedule_id in chunk]
    assert queued == sorted(queued) and len(set(queued)) == 2500


# --- PostgreSQL: runs at once, and a worker killed while the biller answers -------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_pay_the_bill_once(member, water, savings):
    from tests.ledger.test_concurrency import in_threads

    schedule = scheduled(member, savings, water, ONE_BILL)
    bill = bill_of(ONE_BILL)
    original = SimulatedBillerNetwork.inquire
    # Both runs see the bill pending, however late the second one asks.
    SimulatedBillerNetwork.inquire = lambda self, **kw: [bill]
    try:
        results = in_threads(4, lambda i: str(schedule_run(schedule_id=schedule.pk)))
    finally:
        SimulatedBillerNetwork.inquire = original
    assert any("paid=1" in r for r in results)
    assert BillPayment.objects.count() == 1 and SimulatedBillerPayment.objects.count() == 1
    assert Operation.objects.filter(purpose="bill_payment").count() == 1
    assert Journal.objects.filter(kind=Kind.BILL_PAYMENT).count() == 1
    assert ScheduleNotice.objects.filter(reason="paid").count() == 1
    assert balances(savings) == (D("92.56"), D("92.56"))
    assert_ledger_ok()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_between_the_hold_and_the_billers_answer_pays_once(member, water, savings):
    """A real process runs the beat's task with a biller that answers slowly; it is killed
    (SIGKILL) once the biller took the payment and before its answer arrived. The next
    run pays nothing more; the sweeps resolve the payment and finish the operation."""
    import os
    import signal
    import subprocess
    import sys
    import time as clock

    from django.db import connection

    from accounts.operations import operations_sweep
    from ledger.calendar import is_business_day

    schedule = scheduled(member, savings, water, ONE_BILL)
    day = timezone.localdate()
    while not is_business_day(day):
        day += timedelta(days=1)
    morning = datetime.combine(day, time(7, 0))
    url = django_settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{url['USER']}@{url['HOST']}:{url['PORT'] or 5432}/"
            f"{connection.settings_dict['NAME']}"
        ),
    }
    script = (
        "import sys, django; django.setup()\n"
        "import time_machine\n"
        "from datetime import datetime\n"
        "from django.utils import timezone\n"
        "from payments.network import SimulatedBillerNetwork\n"
        "SimulatedBillerNetwork.answer_delay = 120\n"
        "from payments.tasks import run_due_schedules\n"
        "with time_machine.travel(timezone.make_aware(datetime.fromisoformat(sys.argv[1]))):\n"
        "    run_due_schedules()\n"
    )
    worker = subprocess.Popen(
        [sys.executable, "-c", script, morning.isoformat()],
        env=env,
        cwd=django_settings.BASE_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = clock.monotonic() + 60
        while not SimulatedBillerPayment.objects.exists():
            assert worker.poll() is None, worker.stdout.read().decode()
            assert clock.monotonic() < deadline, "the worker never reached the biller"
            clock.sleep(0.1)
        os.kill(worker.pid, signal.SIGKILL)
    finally:
        worker.kill()
        worker.wait()
        worker.stdout.close()
    payment = BillPayment.objects.get()
    assert payment.state == BillPayment.State.HELD and payment.schedule_id == schedule.pk
    assert SimulatedBillerPayment.objects.get().outcome == "confirmed"  # the biller has it
    assert balances(savings) == (D("100.00"), D("92.56"))  # held, not debited
    operation = Operation.objects.get(purpose="bill_payment")
    assert operation.state == Operation.State.EXECUTING

    with at(morning + timedelta(hours=8)):  # the afternoon run
        run_due_schedules()
    assert BillPayment.objects.count() == 1 and SimulatedBillerPayment.objects.count() == 1

    with at(morning + timedelta(hours=8, minutes=10)):  # the sweeps
        assert bill_payments_sweep() == 1
        assert operations_sweep().resumed == 1
    payment.refresh_from_db()
    operation.refresh_from_db()
    assert payment.state == BillPayment.State.PAID
    assert operation.state == Operation.State.EXECUTED
    assert Journal.objects.filter(kind=Kind.BILL_PAYMENT).count() == 1
    assert SimulatedBillerPayment.objects.count() == 1
    assert balances(savings) == (D("92.56"), D("92.56"))
    with at(morning + timedelta(days=1)):
        run_due_schedules()
    assert BillPayment.objects.count() == 1
    assert_ledger_ok()


def test_a_top_up_cannot_be_scheduled(member, topup, savings):
    from payments.schedules import NotSchedulable

    with pytest.raises(NotSchedulable):
        scheduled(member, savings, topup, "0991234567")
    assert Biller.objects.filter(mode=Biller.Mode.AMOUNT).exists()


def test_a_schedule_that_fails_leaves_the_rest_of_its_chunk_to_run(
    member, water, savings, thursday, monkeypatch
):
    from payments import batch

    first = scheduled(member, savings, water, ONE_BILL)
    second = scheduled(member, savings, water, "00033090")
    run = batch.schedule_run

    def failing(*, schedule_id, now):
        if schedule_id == first.pk:
            raise RuntimeError("the database went away")
        return run(schedule_id=schedule_id, now=now)

    # One schedule at a time (on SQLite, or a chunk that could not be batched).
    monkeypatch.setattr(batch, "schedule_run", failing)
    monkeypatch.setattr(batch, "_batched", lambda: False)
    assert tasks.run_schedules([first.pk, second.pk]) == 2
    assert list(scheduled_payments().values_list("schedule_id", flat=True)) == [second.pk]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_scheduled_bill_is_paid_in_a_fixed_number_of_statements(member, water, monkeypatch):
    """Outside a test's transaction, as a worker runs it, the beat's chunk of ten bills
    (``run_schedules``, in phases: ``payments.batch``): the schedules read, the network
    asked, the operations and the bills' other payments looked up (one query each for
    the chunk); one transaction inserting the operations, the payments and their holds;
    the network paid; one transaction capturing (one journal a bill), ending the
    operations, storing the notices and e-mails, stamping the schedules — 25 statements
    a chunk and one a bill, the e-mails' delivery apart (one bill at a time it was 40,
    then 28, then 26 a bill).

    One schedule alone (``run_schedule``, and the one-bill way a chunk falls back to):
    the schedule and the biller read, the operation inserted executing, the payment and
    its hold committed, the biller paid, the capture, the operation's result, the notice
    and its e-mail, the schedule stamped — 26 statements in 3 transactions. The reads
    are written SQL (``payments.queries``): one statement each."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from core import notifications
    from tests.payments.test_schedule_batch import one_bill_reference

    monkeypatch.setattr(notifications, "_enqueue", lambda *args, **kwargs: None)
    monkeypatch.setattr(notifications, "_enqueue_many", lambda *args, **kwargs: None)
    account = open_funded(member, amount="900.00")
    refs = [ONE_BILL, *(one_bill_reference(n) for n in range(1, 10))]
    ids = [scheduled(member, account, water, ref).pk for ref in refs]
    alone = scheduled(member, account, water, one_bill_reference(10))
    bill_quote(biller=water, amount=D("1.00"))  # the tariff, read once per process
    with CaptureQueriesContext(connection) as statements:
        assert tasks.run_schedules(ids) == 10
    sql = [q["sql"] for q in statements.captured_queries]
    assert len(sql) <= 25 + len(ids), "\n".join(sql)
    assert sum(s == "BEGIN" for s in sql) <= 2
    assert scheduled_payments().filter(state=BillPayment.State.PAID).count() == 10
    with CaptureQueriesContext(connection) as statements:
        assert str(schedule_run(schedule_id=alone.pk)) == "paid=1"
    sql = [q["sql"] for q in statements.captured_queries]
    assert len(sql) <= 26, "\n".join(sql)
    assert sum(s == "BEGIN" for s in sql) <= 3
    assert_ledger_ok()

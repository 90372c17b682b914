"""A card's PIN: the rules a new one follows, "Cambiar clave" and "Recuperar clave" as a
browser drives them (form → code → done), the simulated processor's promises (wrong
tries, reuse, a temporary PIN changed before any use, one change per key), and the PIN
never left in clear: not in a log, a table, the session, the cache or a page — an error
page included."""

import hashlib
import json
import os
import pickle
import re
import sys
from datetime import date, timedelta

import pytest
import time_machine
from django.apps import apps
from django.core import mail
from django.core.cache import caches
from django.core.exceptions import ValidationError
from django.core.signals import got_request_exception
from django.db import connection, models
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.views.debug import ExceptionReporter
from hypothesis import example, given
from hypothesis import strategies as st

from accounts.credentials import validate_pin
from accounts.models import AuditEvent, Operation
from cards import pins as pins_module
from cards import processor as processor_module
from cards.models import Card, SimulatedCardPin
from cards.pin_forms import CardPinChangeForm
from cards.processor import (
    MAX_PIN_TRIES,
    CardProcessor,
    PinChangeRequired,
    PinIncorrect,
    PinLocked,
    PinNotSet,
    PinReused,
    SimulatedCardProcessor,
    processor_get,
    temporary_pin,
)
from cards.services import card_set_status
from core.crypto import decrypt
from tests.auth import last_code, op_id
from tests.cards.conftest import issue_credit, new_pan
from tests.factories import MemberFactory

OLD, NEW, TEMPORARY = "4829", "7316", "6183"
SECRET_PINS = (OLD, NEW, TEMPORARY)
BIRTH = date(1990, 5, 17)  # the factory's members


def change_url(card) -> str:
    return f"/tarjetas/{card.public_id}/cambiar-clave/"


def recover_url(card) -> str:
    return f"/tarjetas/{card.public_id}/recuperar-clave/"


def change_form(client, card, old=OLD, new=NEW, confirm=None):
    return client.post(
        change_url(card),
        {
            "step": "form",
            "clave_anterior": old,
            "nueva_clave": new,
            "confirmacion": new if confirm is None else confirm,
        },
    )


def confirm(client, url, step):
    return client.post(url, {"step": "confirm", "op": op_id(step), "answer": last_code()})


def issued(card, pin=OLD) -> Card:
    SimulatedCardProcessor().pin_issue(card=card, pin=pin)
    return card


@pytest.fixture
def fixed_temporary_pin(monkeypatch):
    """The simulator's next temporary PIN is ``TEMPORARY`` (so the scans know what to look
    for); the draw itself is tested apart."""
    monkeypatch.setattr(processor_module, "temporary_pin", lambda: TEMPORARY)
    return TEMPORARY


# --- the rules of a new PIN ------------------------------------------------------------------

SEQUENCES = {"0123456789"[i : i + 4] for i in range(7)} | {
    "9876543210"[i : i + 4] for i in range(7)
}


def acceptable(pin: str, birth: date | None) -> bool:
    """The PIN rules, written again from the manual's "Consejos de seguridad": four ASCII
    digits, not all the same, not a run up or down, not a form of the birth date."""
    if len(pin) != 4 or any(c not in "0123456789" for c in pin):
        return False
    birth_forms = (
        {f"{birth:%d%m}", f"{birth:%m%d}", f"{birth:%Y}", f"{birth:%y%m}"} if birth else set()
    )
    return len(set(pin)) > 1 and pin not in SEQUENCES and pin not in birth_forms


PINS = st.one_of(
    st.text(alphabet="0123456789", min_size=4, max_size=4),
    st.text(max_size=6),
    st.from_regex(r"\A[0-9]{3,5}\s?\Z"),
)
BIRTHS = st.dates(min_value=date(1920, 1, 1), max_value=date(2010, 12, 31))


@given(PINS, BIRTHS)
@example("1357\n", BIRTH)  # a trailing newline
@example("١٣٥٧", BIRTH)  # Arabic-Indic digits
@example("１３５７", BIRTH)  # full-width digits
@example("1705", BIRTH)  # day and month of birth
@example("1990", BIRTH)
def test_validate_pin_accepts_exactly_the_pins_the_rules_allow(pin, birth):
    try:
        accepted = validate_pin(pin, birth_date=birth) == pin
    except ValidationError as exc:
        accepted = False
        assert exc.messages[0] in {
            "El PIN debe tener exactamente 4 dígitos.",
            "Evita utilizar dígitos repetidos.",
            "Evita utilizar dígitos consecutivos.",
            "Evita utilizar tu fecha de nacimiento.",
        }
    assert accepted == acceptable(pin, birth)


@given(st.text(alphabet="0123456789", min_size=4, max_size=4), BIRTHS)
def test_a_refused_pin_says_which_consejo_de_seguridad_it_breaks(pin, birth):
    try:
        validate_pin(pin, birth_date=birth)
    except ValidationError as exc:
        message = exc.messages[0]
    else:
        return
    if len(set(pin)) == 1:
        assert message == "Evita utilizar dígitos repetidos."
    elif pin in SEQUENCES:
        assert message == "Evita utilizar dígitos consecutivos."
    else:
        assert message == "Evita utilizar tu fecha de nacimiento."


@given(
    st.text(alphabet="0123456789", min_size=4, max_size=4),
    st.text(alphabet="0123456789", min_size=4, max_size=4),
    st.text(alphabet="0123456789", min_size=4, max_size=4),
)
def test_the_change_form_takes_a_new_pin_only_if_the_rules_confirmation_and_old_agree(
    old, new, confirmation
):
    form = CardPinChangeForm(
        {"clave_anterior": old, "nueva_clave": new, "confirmacion": confirmation},
        birth_date=BIRTH,
    )
    assert form.is_valid() == (acceptable(new, BIRTH) and confirmation == new and new != old)


def test_the_change_form_never_renders_what_was_typed():
    form = CardPinChangeForm(
        {"clave_anterior": OLD, "nueva_clave": NEW, "confirmacion": "9999"}, birth_date=BIRTH
    )
    assert not form.is_valid()
    html = form.as_div()
    assert OLD not in html and NEW not in html and "9999" not in html
    assert 'autocomplete="off"' in html and 'inputmode="numeric"' in html


def test_every_temporary_pin_follows_the_rules():
    drawn = {temporary_pin() for _ in range(300)}
    assert all(acceptable(pin, None) for pin in drawn)
    assert len(drawn) > 250  # random, not a short list


# --- the simulated processor ---------------------------------------------------------------


class ElsewhereProcessor(CardProcessor):
    """A connector named by settings (the tests' stand-in for a real one)."""

    def pin_change(self, **kwargs):
        return True

    def pin_generate_temporary(self, **kwargs):
        return None

    def pin_verify(self, **kwargs):
        return None


def test_the_processor_is_the_one_settings_name(settings):
    assert isinstance(processor_get(), SimulatedCardProcessor)
    settings.CARD_PROCESSOR = f"{__name__}.ElsewhereProcessor"
    assert isinstance(processor_get(), ElsewhereProcessor)


def test_the_simulator_keeps_a_keyed_digest_never_the_pin(debit_card):
    issued(debit_card)
    record = SimulatedCardPin.objects.get(card_ref=debit_card.public_id)
    assert OLD not in record.pin_digest and len(record.pin_digest) == 64
    assert record.pin_digest not in {
        hashlib.sha256(OLD.encode()).hexdigest(),
        hashlib.sha256(f"{debit_card.public_id}:{OLD}".encode()).hexdigest(),
    }
    other = issue_credit(debit_card.member, pan=new_pan())
    issued(other)  # the same PIN on another card: another digest
    assert SimulatedCardPin.objects.get(card_ref=other.public_id).pin_digest != record.pin_digest


def test_the_simulator_changes_a_pin_once_per_key(debit_card):
    processor = SimulatedCardProcessor()
    issued(debit_card)
    assert processor.pin_change(card=debit_card, old_pin=OLD, new_pin=NEW, key="k1") is True
    assert processor.pin_change(card=debit_card, old_pin=OLD, new_pin="2580", key="k1") is False
    processor.pin_verify(card=debit_card, pin=NEW)


def test_the_simulator_refuses_a_wrong_pin_and_locks_it_after_three(debit_card):
    processor = SimulatedCardProcessor()
    issued(debit_card)
    for n in range(1, MAX_PIN_TRIES):
        with pytest.raises(PinIncorrect):
            processor.pin_change(card=debit_card, old_pin="1111", new_pin=NEW, key=f"w{n}")
    with pytest.raises(PinLocked):
        processor.pin_verify(card=debit_card, pin="2222")
    with pytest.raises(PinLocked):  # even the right one, until a temporary PIN
        processor.pin_change(card=debit_card, old_pin=OLD, new_pin=NEW, key="right")
    temporary = processor.pin_generate_temporary(card=debit_card, key="recover")
    assert processor.pin_change(card=debit_card, old_pin=temporary, new_pin=NEW, key="again")


def test_a_right_pin_resets_the_wrong_tries(debit_card):
    processor = SimulatedCardProcessor()
    issued(debit_card)
    for _ in range(MAX_PIN_TRIES - 1):
        with pytest.raises(PinIncorrect):
            processor.pin_verify(card=debit_card, pin="1111")
    processor.pin_verify(card=debit_card, pin=OLD)
    with pytest.raises(PinIncorrect):
        processor.pin_verify(card=debit_card, pin="1111")


def test_the_simulator_refuses_the_current_pin_as_the_new_one(debit_card):
    issued(debit_card)
    with pytest.raises(PinReused):
        SimulatedCardProcessor().pin_change(card=debit_card, old_pin=OLD, new_pin=OLD, key="k")


def test_a_card_without_a_pin_is_sent_to_recuperar_clave(debit_card):
    with pytest.raises(PinNotSet, match="Recuperar clave"):
        SimulatedCardProcessor().pin_verify(card=debit_card, pin=OLD)


def test_a_temporary_pin_must_be_changed_before_any_other_use(debit_card):
    processor = SimulatedCardProcessor()
    temporary = processor.pin_generate_temporary(card=debit_card, key="t1")
    assert processor.pin_generate_temporary(card=debit_card, key="t1") is None  # once per key
    with pytest.raises(PinChangeRequired):
        processor.pin_verify(card=debit_card, pin=temporary)
    with pytest.raises(PinReused):
        processor.pin_change(card=debit_card, old_pin=temporary, new_pin=temporary, key="t2")
    assert processor.pin_change(card=debit_card, old_pin=temporary, new_pin=NEW, key="t3")
    processor.pin_verify(card=debit_card, pin=NEW)
    assert not SimulatedCardPin.objects.get(card_ref=debit_card.public_id).temporary


# --- Cambiar clave -------------------------------------------------------------------------


def test_a_member_changes_the_debit_card_pin_with_a_code(member_client, member, debit_card):
    issued(debit_card)
    page = member_client.get(change_url(debit_card)).content.decode()
    for text in (
        "Cambiar clave",
        "550975XXXXXX7023",
        "Crea una nueva clave de 4 dígitos para tu tarjeta de débito",
        "Clave anterior",
        "Nueva clave",
        "Confirmación nueva clave",
        "Consejos de seguridad",
        "Evita utilizar dígitos consecutivos",
        "Evita utilizar tu fecha de nacimiento",
        "Evita utilizar dígitos repetidos",
    ):
        assert text in page, text
    step = change_form(member_client, debit_card)
    assert 'name="answer"' in step.content.decode()
    assert "Cambio de clave de la tarjeta 550975XXXXXX7023" in _last_sms()
    mail.outbox.clear()
    done = confirm(member_client, change_url(debit_card), step).content.decode()
    assert "Clave actualizada" in done
    assert "La clave de tu tarjeta 550975XXXXXX7023 fue cambiada." in done
    SimulatedCardProcessor().pin_verify(card=debit_card, pin=NEW)
    entry = AuditEvent.objects.filter(event="card_pin_changed").get()
    assert entry.user == member.user and entry.data["card"] == "550975XXXXXX7023"
    [notice] = mail.outbox
    assert "la clave de tu tarjeta 550975XXXXXX7023 fue cambiada" in notice.body


def test_a_credit_card_page_says_credito(member_client, credit_card):
    page = member_client.get(change_url(credit_card)).content.decode()
    assert "Crea una nueva clave de 4 dígitos para tu tarjeta de crédito" in page
    assert "513744XXXXXX0395" in page


def test_a_weak_or_mismatched_new_pin_is_refused_before_any_code(member_client, debit_card):
    issued(debit_card)
    weak = change_form(member_client, debit_card, new="1234").content.decode()
    assert "Evita utilizar dígitos consecutivos." in weak
    birthday = change_form(member_client, debit_card, new="1705").content.decode()
    assert "Evita utilizar tu fecha de nacimiento." in birthday
    mismatch = change_form(member_client, debit_card, confirm="7317").content.decode()
    assert "La confirmación no coincide con la nueva clave." in mismatch
    same = change_form(member_client, debit_card, new=OLD).content.decode()
    assert "La nueva clave debe ser distinta de la anterior." in same
    short = change_form(member_client, debit_card, old="12").content.decode()
    assert "La clave debe tener exactamente 4 dígitos." in short
    assert not Operation.objects.exists()


def test_a_wrong_old_pin_is_refused_after_the_code_and_counts_as_a_try(member_client, debit_card):
    issued(debit_card)
    step = change_form(member_client, debit_card, old="1357")
    page = confirm(member_client, change_url(debit_card), step).content.decode()
    assert "La clave anterior no es correcta." in page
    assert Operation.objects.get().state == Operation.State.REFUSED
    assert SimulatedCardPin.objects.get(card_ref=debit_card.public_id).failed_attempts == 1
    SimulatedCardProcessor().pin_verify(card=debit_card, pin=OLD)  # unchanged


def test_the_pins_wait_for_the_code_sealed_with_a_key_only_the_cache_holds(
    member_client, debit_card
):
    issued(debit_card)
    step = change_form(member_client, debit_card)
    operation = Operation.objects.get(public_id=op_id(step))
    payload = json.loads(decrypt(operation.payload_encrypted))  # what the project key opens
    assert set(payload) == {"card", "pins"} and set(payload["pins"]) == {"vault", "sealed"}
    assert not _holds_a_pin(json.dumps(payload))
    vault = f"cards:pin-vault:{payload['pins']['vault']}"
    assert caches["default"].get(vault)  # the key, for a few minutes
    assert pins_module.pins_open(payload["pins"], card=debit_card) == {"old": OLD, "new": NEW}
    assert Operation.objects.get(pk=operation.pk).review == [["Tarjeta", _label(debit_card)]]

    confirm(member_client, change_url(debit_card), step)
    assert caches["default"].get(vault) is None  # destroyed on execution
    operation.refresh_from_db()
    assert operation.state == Operation.State.EXECUTED and operation.payload_encrypted == ""
    with pytest.raises(pins_module.PinRequestExpired):
        pins_module.pins_open(payload["pins"], card=debit_card)


def test_after_the_key_expires_the_pins_cannot_be_read_and_nothing_changes(
    member_client, debit_card, monkeypatch
):
    monkeypatch.setattr(pins_module, "PIN_VAULT_TTL", timedelta(seconds=60))  # the code: 180
    issued(debit_card)
    step = change_form(member_client, debit_card)
    code = last_code()
    payload = json.loads(decrypt(Operation.objects.get().payload_encrypted))
    later = timezone.now() + pins_module.PIN_VAULT_TTL + timedelta(seconds=1)
    with time_machine.travel(later, tick=False):
        with pytest.raises(pins_module.PinRequestExpired):
            pins_module.pins_open(payload["pins"], card=debit_card)
        page = member_client.post(
            change_url(debit_card), {"step": "confirm", "op": op_id(step), "answer": code}
        ).content.decode()
    assert "El tiempo para confirmar el cambio de clave terminó" in page
    assert Operation.objects.get().state == Operation.State.REFUSED
    SimulatedCardProcessor().pin_verify(card=debit_card, pin=OLD)  # unchanged


def test_a_sealed_box_opens_only_for_its_own_card(member, debit_card, credit_card):
    box = pins_module.pins_seal(card=debit_card, pins={"old": OLD, "new": NEW})
    with pytest.raises(pins_module.PinRequestExpired):
        pins_module.pins_open(box, card=credit_card)


@pytest.mark.redis
def test_on_redis_the_key_expires_by_itself_and_execution_deletes_it(settings, debit_card):
    import redis

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["TEST_REDIS_URL"],
            "KEY_PREFIX": "test-pins",
        }
    }
    box = pins_module.pins_seal(card=debit_card, pins={"old": OLD, "new": NEW})
    server = redis.Redis.from_url(os.environ["TEST_REDIS_URL"])
    [name] = server.keys(f"test-pins:*:cards:pin-vault:{box['vault']}")
    assert 0 < server.ttl(name) <= pins_module.PIN_VAULT_TTL.total_seconds()
    assert not _holds_a_pin(repr(server.get(name)))
    assert pins_module.pins_open(box, card=debit_card) == {"old": OLD, "new": NEW}
    pins_module.pins_destroy(box)
    assert not server.exists(name)
    with pytest.raises(pins_module.PinRequestExpired):
        pins_module.pins_open(box, card=debit_card)


# --- Recuperar clave ---------------------------------------------------------------------


def test_a_member_recovers_a_credit_card_pin_by_e_mail_and_changes_it_before_use(
    member_client, member, credit_card
):
    page = member_client.get(recover_url(credit_card)).content.decode()
    assert "Recuperar clave" in page and "513744XXXXXX0395" in page
    assert "Te enviaremos una clave temporal a tu correo electrónico registrado" in page
    step = member_client.post(recover_url(credit_card), {"step": "form"})
    assert "Clave temporal de la tarjeta 513744XXXXXX0395" in _last_sms()
    mail.outbox.clear()
    done = confirm(member_client, recover_url(credit_card), step).content.decode()
    assert "Clave temporal enviada" in done
    assert "Su clave temporal ha sido enviada a sus medios de notificación." in done

    [email] = mail.outbox
    assert email.to == [member.email]
    body = email.body
    for line in (
        "GENERACION DE CLAVE",
        "Estimado(a): PÉREZ/MARÍA",
        "Se ha generado su clave temporal para su tarjeta con el siguiente detalle:",
        "NÚMERO TARJETA: 513744XXXXXX0395",
        "TIPO DE TARJETA: CRÉDITO",
        f"FECHA: {timezone.localdate():%d/%m/%Y}",
        "Recuerda cambiar tu clave a través de los canales digitales, Cooprogreso en Línea, "
        "Cooprogreso Móvil, o cajeros automáticos de Cooprogreso",
    ):
        assert line in body, line
    assert re.search(r"^HORA: \d\d:\d\d:\d\d$", body, re.M)
    assert re.search(r"^\w+, \d{1,2} de \w+ de \d{4} Hora \d{1,2}:\d\d [AP]M$", body, re.M)
    temporary = re.search(r"^CLAVE TEMPORAL: (\d{4})$", body, re.M).group(1)
    assert "5137440000060395" not in body
    assert AuditEvent.objects.filter(event="card_pin_generated").count() == 1

    with pytest.raises(PinChangeRequired):  # a purchase or an ATM with it: refused
        SimulatedCardProcessor().pin_verify(card=credit_card, pin=temporary)
    step = change_form(member_client, credit_card, old=temporary)
    assert (
        "Clave actualizada"
        in confirm(member_client, change_url(credit_card), step).content.decode()
    )
    SimulatedCardProcessor().pin_verify(card=credit_card, pin=NEW)


def test_the_temporary_pin_is_kept_nowhere_but_the_e_mail(
    member_client, credit_card, fixed_temporary_pin
):
    step = member_client.post(recover_url(credit_card), {"step": "form"})
    done = confirm(member_client, recover_url(credit_card), step)
    assert f"CLAVE TEMPORAL: {TEMPORARY}" in mail.outbox[-1].body
    assert TEMPORARY not in done.content.decode()
    operation = Operation.objects.get()
    assert not _holds_a_pin(json.dumps(operation.result))
    assert _database_texts_holding_a_pin() == []  # the notice's body was wiped once sent


# --- whose card, and in what state ----------------------------------------------------------


@pytest.mark.parametrize("url", [change_url, recover_url])
def test_another_members_card_is_not_found(client, member, debit_card, url):
    stranger = MemberFactory()
    client.force_login(stranger.user)
    assert client.get(url(debit_card)).status_code == 404
    assert client.post(url(debit_card), {"step": "form"}).status_code == 404
    response = client.post(
        url(debit_card),
        {"step": "form", "clave_anterior": OLD, "nueva_clave": NEW, "confirmacion": NEW},
    )
    assert response.status_code == 404
    assert not Operation.objects.exists()


def test_an_unknown_card_is_not_found(member_client, debit_card):
    assert (
        member_client.get(
            "/tarjetas/00000000-0000-0000-0000-000000000000/cambiar-clave/"
        ).status_code
        == 404
    )


@pytest.mark.parametrize("url", [change_url, recover_url])
def test_a_blocked_card_is_refused(member_client, debit_card, url):
    issued(debit_card)
    card_set_status(card=debit_card, status=Card.Status.BLOCKED, reason="Reporte de robo")
    page = member_client.post(
        url(debit_card),
        {"step": "form", "clave_anterior": OLD, "nueva_clave": NEW, "confirmacion": NEW},
    ).content.decode()
    assert "La tarjeta 550975XXXXXX7023 está BLOQUEADA." in page
    assert not Operation.objects.filter(state=Operation.State.AWAITING_CODE).exists()


@pytest.mark.parametrize("url", [change_url, recover_url])
def test_an_expired_card_is_refused(member_client, debit_card, url):
    issued(debit_card)
    last_year = timezone.localdate().year - 1
    Card.objects.filter(pk=debit_card.pk).update(expiry_year=last_year)
    page = member_client.post(
        url(debit_card),
        {"step": "form", "clave_anterior": OLD, "nueva_clave": NEW, "confirmacion": NEW},
    ).content.decode()
    assert "La tarjeta está vencida." in page


def test_a_card_blocked_while_the_code_travels_is_refused_at_execution(member_client, debit_card):
    issued(debit_card)
    step = change_form(member_client, debit_card)
    card_set_status(card=debit_card, status=Card.Status.BLOCKED, reason="Reporte de robo")
    page = confirm(member_client, change_url(debit_card), step).content.decode()
    assert "La tarjeta 550975XXXXXX7023 está BLOQUEADA." in page
    SimulatedCardProcessor().pin_verify(card=debit_card, pin=OLD)


# --- never in clear: logs, tables, SQL, session, cache, pages, error pages ----------------

PIN_PATTERN = re.compile(r"(?<![0-9A-Za-z])(" + "|".join(SECRET_PINS) + r")(?![0-9A-Za-z])")


def _holds_a_pin(text: str) -> bool:
    return bool(PIN_PATTERN.search(text))


def _label(card) -> str:
    return f"{card.get_brand_display()} {card.get_kind_display()} {card.masked_number}"


def _last_sms() -> str:
    from core.notifications import LocmemSmsBackend

    return LocmemSmsBackend.outbox[-1].body


TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField, models.BinaryField)


def _database_texts_holding_a_pin() -> list[str]:
    """Every text, JSON and binary column of every table, searched for the PINs."""
    found = []
    for model in apps.get_models():
        names = [f.attname for f in model._meta.concrete_fields if isinstance(f, TEXT_FIELDS)]
        if not names:
            continue
        for row in model.objects.values_list(*names):
            for name, value in zip(names, row, strict=True):
                text = value if isinstance(value, str) else json.dumps(value, default=str)
                if isinstance(value, bytes | memoryview):
                    text = bytes(value).decode("latin-1")
                if _holds_a_pin(text):
                    found.append(f"{model._meta.db_table}.{name}")
    return found


def _cache_holding_a_pin() -> bool:
    store = getattr(caches["default"], "_cache", None)
    if store is None:
        return False
    return any(_holds_a_pin(repr(pickle.loads(value))) for value in store.values())  # noqa: S301


def _log_texts(records) -> list[str]:
    return [f"{r.getMessage()} {r.__dict__!r}" for r in records]


def test_no_pin_is_left_in_a_log_a_table_the_sql_the_session_the_cache_or_a_page(
    member_client, member, debit_card, credit_card, fixed_temporary_pin, caplog
):
    caplog.set_level("DEBUG")
    issued(debit_card)
    pages = []
    with CaptureQueriesContext(connection) as queries:
        pages.append(member_client.get(change_url(debit_card)))
        pages.append(change_form(member_client, debit_card, new="1234"))  # refused: shown again
        pages.append(change_form(member_client, debit_card, confirm="7317"))
        step = change_form(member_client, debit_card)
        pages += [step, confirm(member_client, change_url(debit_card), step)]
        step = change_form(member_client, debit_card, old="1357")  # wrong old PIN
        pages += [step, confirm(member_client, change_url(debit_card), step)]
        step = member_client.post(recover_url(credit_card), {"step": "form"})
        pages += [step, confirm(member_client, recover_url(credit_card), step)]
        step = change_form(member_client, credit_card, old=TEMPORARY)
        pages += [step, confirm(member_client, change_url(credit_card), step)]
    SimulatedCardProcessor().pin_verify(card=credit_card, pin=NEW)  # the flows did happen

    assert [p.status_code for p in pages] == [200] * len(pages)
    assert [i for i, p in enumerate(pages) if _holds_a_pin(p.content.decode())] == []
    assert [q["sql"] for q in queries.captured_queries if _holds_a_pin(q["sql"])] == []
    assert [t for t in _log_texts(caplog.records) if _holds_a_pin(t)] == []
    assert _database_texts_holding_a_pin() == []
    session = member_client.session
    assert not _holds_a_pin(repr(dict(session.items())))
    assert not _cache_holding_a_pin()


def test_an_error_while_changing_a_pin_shows_and_reports_no_pin(
    client, member, debit_card, monkeypatch, caplog, settings
):
    settings.DEBUG_PROPAGATE_EXCEPTIONS = False
    issued(debit_card)
    client.raise_request_exception = False
    client.force_login(member.user)

    def link_dropped(*args, **kwargs):  # deep in the processor, the PINs checked
        raise RuntimeError("the processor's link dropped")

    monkeypatch.setattr(SimulatedCardProcessor, "_request_taken", link_dropped)
    reports = []

    def report(sender, request, **kwargs):
        reports.append(ExceptionReporter(request, *sys.exc_info()))

    got_request_exception.connect(report)
    try:
        step = change_form(client, debit_card)
        caplog.set_level("DEBUG")
        failed = confirm(client, change_url(debit_card), step)
    finally:
        got_request_exception.disconnect(report)
    assert failed.status_code == 500
    assert not _holds_a_pin(failed.content.decode())
    assert [t for t in _log_texts(caplog.records) if _holds_a_pin(t)] == []
    [reporter] = reports  # what an error e-mail to the operators would carry
    assert "the processor's link dropped" in reporter.get_traceback_text()
    assert not _holds_a_pin(reporter.get_traceback_text())
    assert not _holds_a_pin(reporter.get_traceback_html())
    assert _database_texts_holding_a_pin() == []


def test_an_error_on_the_form_step_reports_no_pin(client, member, debit_card, monkeypatch):
    client.raise_request_exception = False
    client.force_login(member.user)

    class CacheDown:
        def set(self, *args, **kwargs):
            raise RuntimeError("the cache is down")

    monkeypatch.setattr(pins_module, "cache", CacheDown())
    reports = []

    def report(sender, request, **kwargs):
        reports.append(ExceptionReporter(request, *sys.exc_info()))

    got_request_exception.connect(report)
    try:
        failed = change_form(client, debit_card)
    finally:
        got_request_exception.disconnect(report)
    assert failed.status_code == 500
    assert not _holds_a_pin(failed.content.decode())
    [reporter] = reports
    assert "the cache is down" in reporter.get_traceback_text()
    assert not _holds_a_pin(reporter.get_traceback_text())
    assert not _holds_a_pin(reporter.get_traceback_html())


def test_the_pins_the_scans_look_for_are_ones_the_forms_let_through():
    assert all(acceptable(pin, BIRTH) for pin in SECRET_PINS)

"""Card payees ("Pago de tarjetas" → "Agregar nueva tarjeta" → "Registrar tarjeta"): the
cards a member registered to pay, and the member's own credit cards, which need no
registering.

A card of the cooperative is found by its number's keyed digest (``Card.pan_hmac``) and
must belong to the identification typed with it — one answer for a number that is not a
card of the cooperative and for a wrong identification, so the form tells nobody which
numbers exist; the payee row points at the ``Card`` and keeps nothing else of the number.

Another institution's card is kept for the interbank rail, which needs its full number:
encrypted with the project's key (``core.crypto.encrypt``), never shown — pages, receipts,
e-mails, the admin and the audit log show the mask (``513744XXXXXX0395``) — with its keyed
digest, so one owner cannot register the same card twice. The institutions come from the
transfers app through ``products.institutions`` (the cards app cannot import it); the
payee keeps the institution's code and name as they were when it was registered, and a
payment checks that the institution is still active.
"""

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables
from stdnum import luhn

from accounts.audit import audit_log
from accounts.identification import normalize_identification
from accounts.models import Member
from accounts.notices import security_change_notify
from accounts.operations import Actor
from cards.exceptions import CardError, InvalidCardNumber
from cards.models import Card, CardPayee
from cards.numbers import pan_digest, pan_parse
from core.crypto import decrypt, encrypt
from core.masking import mask_card, mask_card_numbers_in, mask_name
from core.profile import cooperative_current
from products.institutions import institution_active, institutions_active

# The value "Entidad financiera" takes for the cooperative itself.
COOPERATIVE = "cooperativa"
PAYEE_PAN_LENGTHS = range(14, 20)  # other institutions' cards: Diners 14, AMEX 15, 16…19
_SEPARATORS = re.compile(r"[\s-]")


class CardPayeeError(CardError):
    message = "No pudimos registrar la tarjeta."


class PayeeAlreadyRegistered(CardPayeeError):
    message = "Ya tienes registrada esta tarjeta."


class CooperativeCardNotFound(CardPayeeError):
    message = (
        "No encontramos una tarjeta de crédito de la cooperativa con ese número e "
        "identificación. Revisa los datos."
    )


class InstitutionNotAvailable(CardPayeeError):
    message = "La entidad financiera no está disponible."


# --- The number ------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class PayeePan:
    """Another institution's card number, checked. ``repr`` and ``str`` show the mask."""

    digits: str

    @property
    def masked(self) -> str:
        return mask_card(self.digits[:6], self.digits[-4:], length=len(self.digits))

    @property
    def digest(self) -> str:
        return pan_digest(self.digits)

    def __repr__(self) -> str:
        return f"PayeePan({self.masked})"

    __str__ = __repr__


@sensitive_variables("text", "digits")
def payee_pan_parse(text: str) -> PayeePan:
    """Checks another institution's card number: 14 to 19 digits (spaces and dashes
    ignored) and the Luhn check digit."""
    digits = _SEPARATORS.sub("", text or "")
    if not (digits.isascii() and digits.isdigit() and len(digits) in PAYEE_PAN_LENGTHS):
        raise InvalidCardNumber("El número de tarjeta debe tener entre 14 y 19 dígitos.")
    if not luhn.is_valid(digits):
        raise InvalidCardNumber
    return PayeePan(digits)


def payee_pan_open(payee: CardPayee) -> str:
    """The full number of another institution's card, for the interbank rail only."""
    return decrypt(payee.pan_encrypted)


# --- Institutions ----------------------------------------------------------------------


def cooperative_label() -> str:
    """The cooperative as "Entidad financiera" names it ("COOP A. Y C. COOPROGRESO LTDA.")."""
    return cooperative_current().name.upper()


def payee_institution_choices() -> list[tuple[str, str]]:
    """ "Entidad financiera": the cooperative first, then the network's active
    institutions."""
    return [(COOPERATIVE, cooperative_label())] + [
        (ref.code, ref.name) for ref in institutions_active()
    ]


# --- Registering -----------------------------------------------------------------------


@dataclass(frozen=True)
class PayeeDraft:
    """A payee checked and ready to save: what "Confirmar" shows and the code binds."""

    institution_code: str  # blank for a card of the cooperative
    institution_name: str
    masked: str
    name: str
    id_type: str
    id_number: str
    card: Card | None = None

    def review(self, *, alias: str, email: str) -> list[tuple[str, str]]:
        return [
            ("Entidad financiera", self.institution_name),
            ("Número de tarjeta", self.masked),
            ("Beneficiario", self.name),
            ("Identificación", f"{CardPayee.IdType(self.id_type).label} {self.id_number}"),
            ("Alias", alias or "—"),
            ("Correo electrónico", email or "—"),
        ]


def _identification(id_type: str, id_number: str) -> str:
    try:
        return normalize_identification(id_type, id_number)
    except ValidationError as exc:
        raise CardPayeeError(exc.messages[0]) from exc


def _check_new(member: Member, digest: str) -> None:
    if CardPayee.objects.filter(member=member, pan_hmac=digest, deleted_at__isnull=True).exists():
        raise PayeeAlreadyRegistered


@sensitive_variables("pan", "number")
def card_payee_check(
    *, member: Member, institution: str, pan: str, id_type: str, id_number: str, name: str = ""
) -> PayeeDraft:
    """Every rule of registering ``pan`` for ``member``: the institution, the number, the
    identification, a card of the cooperative found by its digest and its holder's
    identification, a card not yet registered. Raises a ``CardPayeeError``; writes
    nothing."""
    id_number = _identification(id_type, id_number)
    if institution == COOPERATIVE:
        try:
            number = pan_parse(pan)
        except InvalidCardNumber as exc:
            raise CooperativeCardNotFound from exc
        card = (
            Card.objects.select_related("member")
            .filter(pan_hmac=number.digest, kind=Card.Kind.CREDIT)
            .exclude(status=Card.Status.CANCELLED)
            .first()
        )
        if card is None or (card.member.id_type, card.member.id_number) != (id_type, id_number):
            raise CooperativeCardNotFound
        _check_new(member, number.digest)
        own = card.member_id == member.pk
        return PayeeDraft(
            institution_code="",
            institution_name=cooperative_label(),
            masked=card.masked_number,
            name=card.holder_name if own else mask_name(card.member.full_name),
            id_type=id_type,
            id_number=id_number,
            card=card,
        )
    ref = institution_active(institution)
    if ref is None:
        raise InstitutionNotAvailable
    number = payee_pan_parse(pan)
    name = " ".join((name or "").upper().split())
    if len(name) < 3:
        raise CardPayeeError("Ingresa el nombre completo del beneficiario.")
    _check_new(member, number.digest)
    return PayeeDraft(
        institution_code=ref.code,
        institution_name=ref.name,
        masked=number.masked,
        name=name[:120],
        id_type=id_type,
        id_number=id_number,
    )


@sensitive_variables("pan", "number")
def card_payee_add(
    *,
    member: Member,
    institution: str,
    pan: str,
    id_type: str,
    id_number: str,
    name: str = "",
    alias: str = "",
    email: str = "",
    by: Actor | None = None,
) -> CardPayee:
    """Registers a card ``member`` will pay ("Guardar tarjeta"), every rule checked again.
    Audited, and told to the member on every channel once it commits: registering a
    payee is what an intruder does first."""
    draft = card_payee_check(
        member=member,
        institution=institution,
        pan=pan,
        id_type=id_type,
        id_number=id_number,
        name=name,
    )
    payee = CardPayee(
        member=member,
        card=draft.card,
        institution_code=draft.institution_code,
        institution_name=draft.institution_name,
        id_type=draft.id_type,
        id_number=draft.id_number,
        name=draft.name,
        alias=" ".join(alias.split())[:40],
        email=email.strip(),
    )
    if draft.card is not None:
        card = draft.card
        payee.bin, payee.last4, payee.pan_length = card.bin, card.last4, 16
        payee.pan_hmac = card.pan_hmac
    else:
        number = payee_pan_parse(pan)
        payee.bin, payee.last4 = number.digits[:6], number.digits[-4:]
        payee.pan_length = len(number.digits)
        payee.pan_hmac = number.digest
        payee.pan_encrypted = encrypt(number.digits)
    try:
        with transaction.atomic():
            payee.save(force_insert=True)
            _audit(by, "beneficiary_added", payee)
    except IntegrityError as exc:  # registered at the same moment in another window
        raise PayeeAlreadyRegistered from exc
    return payee


def _audit(by: Actor | None, event: str, payee: CardPayee) -> None:
    if by is None or by.user is None:
        return
    audit_log(
        event=event,
        user=by.user,
        request=by.request,
        beneficiary=payee.name,
        card=payee.masked_number,
        institution=payee.institution_name,
    )
    if event == "beneficiary_added":
        security_change_notify(
            user=by.user, what=f"se registró la tarjeta {payee.masked_number} para pagos"
        )


def card_payee_delete(*, payee: CardPayee, by: Actor | None = None) -> None:
    """Hides it from the lists; its payments keep naming it. Removing one already removed
    (a second tab) changes nothing."""
    with transaction.atomic():
        removed = CardPayee.objects.filter(pk=payee.pk, deleted_at__isnull=True).update(
            deleted_at=timezone.now()
        )
        if removed:
            _audit(by, "beneficiary_removed", payee)


# --- Reading ---------------------------------------------------------------------------


def _digits(text: str) -> str:
    return _SEPARATORS.sub("", text)


def _search_condition(search: str) -> Q:
    """ "Buscar tarjeta": the beneficiary, the institution, the alias or the number as the
    pages show it — its first six or last four digits. A whole number is not searched
    for: it would travel in the page's address."""
    condition = (
        Q(name__icontains=search)
        | Q(alias__icontains=search)
        | Q(institution_name__icontains=search)
    )
    digits = _digits(search)
    if digits.isascii() and digits.isdigit():
        condition |= Q(last4__contains=digits) | Q(bin__contains=digits)
    return condition


def member_card_payees(*, member: Member, search: str = ""):
    """The member's registered cards, by name, those matching ``search`` (above)."""
    rows = CardPayee.objects.filter(member=member, deleted_at__isnull=True).select_related(
        "card__revolving_account", "card__deferred_account"
    )
    search = " ".join(search.split())
    if search:
        rows = rows.filter(_search_condition(search))
    return rows.order_by("name", "pk")


def member_card_payee(*, member: Member, public_id) -> CardPayee:
    """One of the member's registered cards; anybody else's (or a removed one) is a 404."""
    return get_object_or_404(member_card_payees(member=member), public_id=public_id)


@dataclass(frozen=True)
class PayableCard:
    """A card "Pago de tarjetas" offers: one of the member's own credit cards, or a
    registered card (``payee``). ``key`` is the public id the pages name it by."""

    key: str
    institution: str
    masked: str
    name: str
    alias: str = ""
    card: Card | None = None  # a card of the cooperative: paid at once
    payee: CardPayee | None = None

    @property
    def own(self) -> bool:
        """The member's own card: its figures and the shortcuts are shown."""
        return self.payee is None or (
            self.card is not None and self.card.member_id == self.payee.member_id
        )

    @property
    def interbank(self) -> bool:
        return self.card is None

    @property
    def label(self) -> str:
        """ "COOP… · MARIA PEREZ · 513744XXXXXX0395" as the choice shows it."""
        who = f"{self.alias} — {self.name}" if self.alias else self.name
        return " · ".join((self.institution, who, self.masked))


def _own_matches(card: Card, search: str, institution: str) -> bool:
    if not search:
        return True
    digits = _digits(search)
    if digits.isascii() and digits.isdigit():
        return digits in card.bin or digits in card.last4
    return search.upper() in f"{card.holder_name} {institution}".upper()


def member_payable_cards(*, member: Member, search: str = "") -> list[PayableCard]:
    """What "Pago de tarjetas" lists: the member's own credit cards that are not
    cancelled, then the cards they registered (an own card they registered shows once,
    as registered), those matching ``search``. Two queries (three with a search)."""
    search = " ".join(search.split())
    institution = cooperative_label()
    payees = list(member_card_payees(member=member))
    registered = {p.card_id for p in payees if p.card_id}
    if search:
        matching = set(
            member_card_payees(member=member, search=search).values_list("pk", flat=True)
        )
        payees = [p for p in payees if p.pk in matching]
    own = [
        PayableCard(
            key=str(card.public_id),
            institution=institution,
            masked=card.masked_number,
            name=card.holder_name,
            card=card,
        )
        for card in Card.objects.select_related("revolving_account", "deferred_account")
        .filter(member=member, kind=Card.Kind.CREDIT)
        .exclude(status=Card.Status.CANCELLED)
        .order_by("issued_at", "pk")
        if card.pk not in registered and _own_matches(card, search, institution)
    ]
    return own + [
        PayableCard(
            key=str(p.public_id),
            institution=p.institution_name,
            masked=p.masked_number,
            name=p.name,
            alias=p.alias,
            card=p.card,
            payee=p,
        )
        for p in payees
        if p.card is None or p.card.status != Card.Status.CANCELLED
    ]


def member_payable_card(*, member: Member, key) -> PayableCard:
    """One card the member may pay, by the public id of their own card or of a payee;
    anything else is a 404."""
    key = str(key)
    for card in member_payable_cards(member=member):
        if card.key == key:
            return card
    raise Http404


def search_shown(search: str) -> str:
    """The text searched as the page shows it again: a card number typed whole, masked."""
    return mask_card_numbers_in(search)


def payees_tab(*, member: Member, search: str = "") -> dict:
    """The beneficiaries' "Pago Tarjetas" tab (``products.beneficiary_tabs``): the cards
    the member registered, each with «Pagar» and «Eliminar»."""
    return {
        "payees": list(member_card_payees(member=member, search=search)),
        "search": search_shown(search),
        "pay_url": reverse("cards:payment_new"),
    }

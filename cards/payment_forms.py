"""The forms of "Pago de tarjetas": registering a card ("Registrar tarjeta") and paying one
("Monto a pagar"). Shapes only: which cards exist, whose they are and what may be paid is
the services' (``cards.payees``, ``cards.payments``)."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.identification import normalize_identification
from cards.models import CardPayee
from cards.payees import COOPERATIVE, payee_institution_choices
from core.fields import AmountField, OriginAccountField
from products.forms import account_label
from products.models import DepositAccount


class NumberInput(forms.TextInput):
    """The card number's box: never renders a value, so a form shown again after an
    error does not put the number back into the page."""

    def format_value(self, value):
        return None


class CardPayeeForm(forms.Form):
    """ "Registrar tarjeta": Entidad financiera (the cooperative among them), Número de
    tarjeta, identification, beneficiary (another institution's card only: a card of the
    cooperative names its holder), alias and e-mail."""

    entidad = forms.ChoiceField(
        label=_("Entidad financiera"),
        error_messages={
            "required": _("Selecciona la entidad financiera."),
            "invalid_choice": _("Selecciona una entidad financiera de la lista."),
        },
    )
    numero_tarjeta = forms.CharField(
        label=_("Número de tarjeta"),
        max_length=23,
        widget=NumberInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "off",
                "placeholder": "Ej: 4444998011231124",
            }
        ),
        error_messages={"required": _("Ingresa el número de tarjeta.")},
    )
    tipo_identificacion = forms.ChoiceField(
        label=_("Tipo de identificación"),
        choices=CardPayee.IdType.choices,
        error_messages={"invalid_choice": _("Selecciona Cédula, RUC o Pasaporte.")},
    )
    identificacion = forms.CharField(
        label=_("Identificación del beneficiario"),
        max_length=20,
        widget=forms.TextInput(attrs={"placeholder": "Ej: 1300187211", "autocomplete": "off"}),
        error_messages={"required": _("Ingresa la identificación del beneficiario.")},
    )
    nombre = forms.CharField(
        label=_("Nombre del beneficiario"),
        max_length=120,
        required=False,
        help_text=_("Solo para tarjetas de otras entidades."),
    )
    alias = forms.CharField(
        label=_("Alias (Opcional)"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "Ej: Tarjeta de mamá"}),
    )
    correo = forms.EmailField(
        label=_("Correo electrónico (Opcional)"),
        required=False,
        widget=forms.EmailInput(attrs={"placeholder": "Ej: test@gmail.com"}),
        error_messages={"invalid": _("Ingresa un correo electrónico válido.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["entidad"].choices = [
            ("", _("Selecciona la entidad financiera")),
            *payee_institution_choices(),
        ]

    def clean(self):
        data = super().clean()
        id_type, number = data.get("tipo_identificacion"), data.get("identificacion")
        if id_type and number:
            try:
                data["identificacion"] = normalize_identification(id_type, number)
            except forms.ValidationError as exc:
                self.add_error("identificacion", exc)
        institution = data.get("entidad")
        if institution and institution != COOPERATIVE:
            name = " ".join(data.get("nombre", "").split())
            if len(name) < 3 and "nombre" not in self.errors:
                self.add_error("nombre", _("Ingresa el nombre completo del beneficiario."))
        return data


class CardPayeeDeleteForm(forms.Form):
    """ "Sí, eliminar" needs no fields: the page names the card."""


# "Monto a pagar": a shortcut of the member's own card, or the amount typed.
OTHER_AMOUNT, MINIMUM, TOTAL = "otro", "minimo", "total"
MAX_PAYMENT = Decimal("100000.00")


class CardPaymentForm(forms.Form):
    """ "Pago de tarjetas": Cuenta de origen, Tarjeta (the member's own credit cards and
    the cards they registered), "Monto a pagar" — for an own card, "Pago mínimo" or
    "Total" of its statement, worked out by the server when the payment is prepared —
    and Motivo."""

    pago = forms.ChoiceField(
        label=_("Monto a pagar"),
        choices=[
            (OTHER_AMOUNT, _("Otro valor")),
            (MINIMUM, _("Pago mínimo")),
            (TOTAL, _("Total")),
        ],
        initial=OTHER_AMOUNT,
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Elige «Pago mínimo», «Total» u «Otro valor».")},
    )
    monto = AmountField(
        label=_("Ingresa el monto a pagar"),
        required=False,
        max_value=MAX_PAYMENT,
        negative_message="El monto a pagar debe ser mayor a cero.",
        widget=forms.TextInput(
            attrs={"inputmode": "decimal", "autocomplete": "off", "placeholder": "$1.00"}
        ),
    )
    motivo = forms.CharField(
        label=_("Motivo (Opcional)"),
        max_length=120,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "Ej: Pago Tarjeta"}),
    )

    def __init__(self, *args, accounts: list[DepositAccount], cards: list, **kwargs):
        super().__init__(*args, **kwargs)
        self.cards = {card.key: card for card in cards}
        self.fields = {
            "origen": OriginAccountField(
                accounts=[a for a in accounts if a.can_transact], describe=account_label
            ),
            "tarjeta": forms.ChoiceField(
                label=_("Tarjeta"),
                choices=[
                    ("", _("Selecciona una tarjeta")),
                    *((key, card.label) for key, card in self.cards.items()),
                ],
                error_messages={
                    "required": _("Selecciona la tarjeta que vas a pagar."),
                    "invalid_choice": _("Selecciona una tarjeta de tu lista."),
                },
            ),
            **self.fields,
        }

    def clean(self):
        data = super().clean()
        key = data.get("tarjeta")
        if key:
            data["card"] = self.cards[key]
        data["pago"] = data.get("pago") or OTHER_AMOUNT
        if (
            data["pago"] == OTHER_AMOUNT
            and data.get("monto") is None
            and "monto" not in self.errors
        ):
            self.add_error("monto", _("Ingresa el monto a pagar."))
        return data

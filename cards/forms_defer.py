"""The shape of "Diferir consumos": the purchases ticked and the term. Whether they may be
deferred is the service's rule (``cards.deferral``)."""

from django import forms

from cards.models import DEFERRAL_TERMS, CardPurchase


class DeferralForm(forms.Form):
    consumos = forms.MultipleChoiceField(
        label="Selecciona las transacciones a diferir",
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "Selecciona al menos un consumo a diferir.",
            "invalid_choice": "Uno de los consumos elegidos ya no se puede diferir; "
            "vuelve a elegirlos.",
        },
    )
    plazo = forms.TypedChoiceField(
        label="Elige el tiempo al que quieres diferir tu consumo.",
        choices=[(n, f"{n} Meses") for n in DEFERRAL_TERMS],
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Elige el plazo del diferido.",
            "invalid_choice": "Elige un plazo de 3, 6, 9, 12, 18, 24 o 36 meses.",
        },
    )

    def __init__(self, *args, purchases: list[CardPurchase], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["consumos"].choices = [(str(p.public_id), p.description) for p in purchases]

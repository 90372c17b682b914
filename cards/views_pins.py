"""The PIN dialogs of a card: "Cambiar clave" and "Recuperar clave"
(``cards.pin_operations``). What is posted to them never reaches an error report: the
PIN fields are marked sensitive."""

from django.views.decorators.debug import sensitive_post_parameters

from accounts.confirm import operation_view
from cards import pin_operations
from cards.pin_forms import PIN_FIELDS

pin_change = sensitive_post_parameters(*PIN_FIELDS)(
    operation_view(pin_operations.card_pin_change_kind)
)
pin_recover = operation_view(pin_operations.card_pin_recover_kind)

from core.errors import DomainError


class CardError(DomainError):
    message = "No pudimos procesar la operación con la tarjeta."


class InvalidCardNumber(CardError):
    message = "El número de tarjeta no es válido; revisa los dígitos."


class BrandMismatch(CardError):
    message = "El número de tarjeta no corresponde a la marca seleccionada."


class CardAlreadyIssued(CardError):
    message = "Esta tarjeta ya está registrada en la cooperativa."


class CardTermsInvalid(CardError):
    message = "Revisa los datos de la tarjeta."


class CardNotActive(CardError):
    message = "La tarjeta no está activa."


class CardExpired(CardError):
    message = "La tarjeta está vencida."


class NotACreditCard(CardError):
    message = "Esta operación solo se realiza con tarjetas de crédito."


class CreditLimitExceeded(CardError):
    message = "El valor supera el cupo disponible de la tarjeta."


class CardHasBalance(CardError):
    message = "La tarjeta tiene saldo pendiente; no se puede cancelar."


class CardCancelled(CardError):
    message = "La tarjeta está cancelada; ya no puede cambiar de estado."

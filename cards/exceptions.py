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


class CardLockedByMember(CardNotActive):
    message = "Bloqueaste temporalmente esta tarjeta: desbloquéala en Tarjetas para usarla."


class CardBlockedByCooperative(CardError):
    message = (
        "La cooperativa bloqueó esta tarjeta: para reactivarla acércate a una agencia o "
        "llama a nuestro centro de atención."
    )


class CardAlreadyLocked(CardError):
    message = "La tarjeta ya tiene un bloqueo temporal."


class CardNotLocked(CardError):
    message = "La tarjeta no tiene un bloqueo temporal."

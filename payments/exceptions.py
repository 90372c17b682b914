"""Why a bill payment is refused, in words a member understands."""

from core.errors import DomainError


class PaymentError(DomainError):
    message = "No se pudo realizar el pago."


class NoDebt(PaymentError):
    message = "No tienes valores pendientes de pago para esta referencia."


class BillerUnavailable(PaymentError):
    message = "El servicio no está disponible en este momento. Inténtalo más tarde."


class ReferenceInvalid(PaymentError):
    """The message is the biller's own rule (``Biller.reference_error``): "CONTRATO/CÉDULA/
    RUC debe tener al menos 4 caracteres"."""

    message = "La referencia no es válida."


class AmountOutOfRange(PaymentError):
    message = "El monto no está dentro del rango permitido para este servicio."


class InvalidAmount(PaymentError):
    message = "El monto a pagar debe ser mayor a cero y tener como máximo dos decimales."


class BillChanged(PaymentError):
    """The bill the member confirmed is not the one the biller reports now."""

    message = "La factura ya no está pendiente de pago. Consulta de nuevo tus valores a pagar."


class BillRefused(PaymentError):
    message = "La empresa no aceptó el pago. No se debitó ningún valor de tu cuenta."


class BillAlreadyPaid(PaymentError):
    message = "Esta factura ya fue pagada o tiene un pago por confirmar."


class OriginNotAllowed(PaymentError):
    message = "La cuenta de origen no está activa para transaccionar."


class JointSignature(OriginNotAllowed):
    message = "Las cuentas con firma conjunta no podrán transaccionar."


class CurrencyMismatch(OriginNotAllowed):
    message = "La cuenta de origen debe estar en la moneda del servicio."

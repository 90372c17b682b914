"""Why a transfer or a beneficiary is refused, in words a member understands."""

from core.errors import DomainError


class TransferError(DomainError):
    message = "No se pudo realizar la transferencia."


class InvalidAmount(TransferError):
    message = "El monto a transferir debe ser mayor a cero y tener como máximo dos decimales."


class OriginNotAllowed(TransferError):
    message = "La cuenta de origen no está activa para transaccionar."


class JointSignature(OriginNotAllowed):
    message = "Las cuentas con firma conjunta no podrán transaccionar."


class DestinationNotAllowed(TransferError):
    message = "La cuenta de destino no está activa para recibir transferencias."


class SameAccount(TransferError):
    message = "La cuenta de destino debe ser distinta de la cuenta de origen."


class CurrencyMismatch(TransferError):
    message = "Solo puedes transferir entre cuentas de la misma moneda."


class NotEnoughFunds(TransferError):
    message = "Saldo insuficiente: el monto más la comisión y el IVA supera tu saldo disponible."


class CoolingOff(TransferError):
    message = "El monto supera el tope de primer pago a un beneficiario nuevo."


class FundsDeclarationRequired(TransferError):
    message = "Indica el origen y el destino de los fondos."


class InstitutionNotAvailable(TransferError):
    message = "La entidad financiera no está disponible para transferencias."


class BeneficiaryError(DomainError):
    message = "No se pudo guardar el beneficiario."

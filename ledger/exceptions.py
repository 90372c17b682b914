from core.errors import DomainError


class LedgerError(DomainError):
    message = "La operación contable no pudo registrarse."


class InsufficientFunds(LedgerError):
    message = "Saldo insuficiente en la cuenta de origen."


class AccountNotActive(LedgerError):
    message = "La cuenta no está activa para transaccionar."


class UnknownAccount(LedgerError):
    message = "La cuenta no existe."


class Unbalanced(LedgerError):
    """A programming error: the lines of a journal do not sum to zero per currency."""

    message = "El asiento contable no cuadra."


class IdempotencyConflict(LedgerError):
    message = "Esta operación ya fue registrada con otros datos."


class HoldNotActive(LedgerError):
    message = "La retención ya no está vigente."


class AlreadyReversed(LedgerError):
    message = "Esta operación ya fue reversada."


# SQLSTATE codes raised by the database side of the ledger (ledger/sql.py).
SQLSTATE_ERRORS = {
    "CP001": InsufficientFunds,
    "CP002": AccountNotActive,
    "CP003": Unbalanced,
    "CP004": IdempotencyConflict,
    "CP005": Unbalanced,
    "CP006": UnknownAccount,
    "CP007": HoldNotActive,
}

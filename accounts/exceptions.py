from core.errors import DomainError


class ChallengeError(DomainError):
    message = "No pudimos validar el factor de seguridad."


class WrongAnswer(ChallengeError):
    message = "El código ingresado es incorrecto."


class ChallengeExpired(ChallengeError):
    message = "El código expiró. Solicita uno nuevo con «Reenviar»."


class ChallengeExhausted(ChallengeError):
    message = "Superaste el número de intentos permitidos. Vuelve a iniciar la operación."


class SecretsLocked(ChallengeExhausted):
    message = (
        "Por tu seguridad bloqueamos tu usuario tras varios intentos fallidos. Desbloquéalo "
        "con «Desbloquear tu usuario» o en una agencia."
    )


class ChallengeMismatch(ChallengeError):
    message = "El código no corresponde a esta operación. Vuelve a iniciarla."


class ChallengeUsed(ChallengeError):
    message = "Este código ya fue utilizado."


class ResendTooSoon(ChallengeError):
    message = "Espera unos segundos antes de solicitar otro código."


class TooManySends(ChallengeError):
    message = (
        "Enviamos demasiados códigos de seguridad en poco tiempo. Inténtalo nuevamente en "
        "unos minutos."
    )


class CodeNotDelivered(ChallengeError):
    """No channel took the code. ``context["challenge"]`` is the open challenge (without a
    code to type, or with the previous one), for the code step and its «Reenviar»."""

    message = (
        "No pudimos enviar tu código de seguridad. Vuelve a intentarlo en unos segundos con "
        "«Reenviar»."
    )


class TooManyGuesses(ChallengeError):
    """Too many answers that confirmed nothing from this address or for this user;
    views answer HTTP 429."""

    message = (
        "Ingresaste demasiados códigos incorrectos. Por tu seguridad espera unos minutos "
        "antes de volver a intentarlo."
    )


class LoginFailed(DomainError):
    # The same words for an unknown user, a wrong password, a locked or inactive user.
    message = (
        "Usuario o contraseña incorrectos. Por tu seguridad, al tercer intento fallido el "
        "usuario se bloquea; puedes desbloquearlo con «Desbloquear tu usuario»."
    )


class CredentialRuleError(DomainError):
    message = "Los datos ingresados no cumplen las indicaciones."


class OperationExpired(DomainError):
    message = "La operación expiró antes de confirmarla. Vuelve a iniciarla."


class OperationClosed(DomainError):
    message = "La operación no se realizó. Vuelve a iniciarla."


class ApprovalRefused(DomainError):
    message = "No puedes aprobar esta operación."


class CompanyHasNoPortalUser(DomainError):
    """A persona jurídica owns accounts but nobody signs in to the member portal as it."""

    message = (
        "Una persona jurídica no ingresa a la banca de socios: quienes actúan por ella "
        "ingresan por Web Empresas."
    )

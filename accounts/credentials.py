"""Rules for what members choose: usernames, passwords, security answers, the PIN — and
the services that store a member's change of them in Mi perfil, each in one transaction
with its entry in the security log and the notice to the member's channels.

The manuals tell members: usernames of 8 to 15 lowercase letters and digits
("usuario01"); passwords of 8 to 15 characters with upper and lower case, a digit and a
special character ("Password11$"). Beyond the manual (OWASP ASVS / NIST 800-63B): no
common password, none containing the username or the identification number, none of the
last five, and never truncated — a sixteenth character is refused, not cut.
"""

import itertools
import re
import secrets
import string
import unicodedata

from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.password_validation import CommonPasswordValidator
from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.audit import audit_log
from accounts.exceptions import CredentialRuleError
from accounts.models import PasswordHistory, SecurityAnswer, User
from accounts.notices import security_change_notify

USERNAME_RULE = re.compile(r"^[a-z0-9]{8,15}$")
PASSWORD_MIN, PASSWORD_MAX = 8, 15
SPECIALS = "$@#!%*?&.,;:_-+=/()[]{}<>|~^"
HISTORY = 5

USERNAME_HINTS = [
    "El usuario debe contener solo letras minúsculas y números, ej: usuario01",
    "El nombre de usuario debe de tener un mínimo de 8 caracteres y un máximo de 15 caracteres",
]
PASSWORD_HINTS = [
    "La contraseña debe contener letras mayúsculas y minúsculas, números y caracteres "
    "especiales como: $@#!%*?&, ej: Password11$",
    "La longitud permitida es de 8 a 15 caracteres",
]


def validate_username(username: str, *, user: User | None = None) -> str:
    if not USERNAME_RULE.match(username or ""):
        raise ValidationError(
            "El usuario debe tener entre 8 y 15 letras minúsculas o números, ej: usuario01."
        )
    taken = User.objects.filter(username__iexact=username)
    if user is not None:
        taken = taken.exclude(pk=user.pk)
    if taken.exists():
        raise ValidationError("Ese nombre de usuario no está disponible. Elige otro.")
    return username


def validate_password(password: str, *, user: User, id_number: str = "") -> str:
    problems = []
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        problems.append("La longitud permitida es de 8 a 15 caracteres.")
    if not re.search(r"[A-Z]", password) or not re.search(r"[a-z]", password):
        problems.append("Debe contener letras mayúsculas y minúsculas.")
    if not re.search(r"\d", password):
        problems.append("Debe contener al menos un número.")
    if not any(c in SPECIALS for c in password):
        problems.append("Debe contener un carácter especial como $@#!%*?&.")
    lowered = password.lower()
    if user.username and user.username.lower() in lowered:
        problems.append("No puede contener tu nombre de usuario.")
    if id_number and id_number in password:
        problems.append("No puede contener tu número de identificación.")
    try:
        CommonPasswordValidator().validate(password)
    except ValidationError:
        problems.append("Es una contraseña demasiado común.")
    if problems:
        raise ValidationError(problems)
    recent = [user.password, *user.password_history.values_list("password", flat=True)[:HISTORY]]
    if any(h and check_password(password, h) for h in recent):
        raise ValidationError("No puedes repetir ninguna de tus últimas contraseñas.")
    return password


def remember_password(user: User) -> None:
    """Keeps the current hash so the next passwords cannot repeat it."""
    if user.password:
        PasswordHistory.objects.create(user=user, password=user.password)
        stale = user.password_history.values_list("pk", flat=True)[HISTORY:]
        PasswordHistory.objects.filter(pk__in=list(stale)).delete()


def normalize_answer(answer: str) -> str:
    """Security answers compare case- and accent-insensitively: "  Bombéro " = "bombero"."""
    decomposed = unicodedata.normalize("NFKD", answer or "")
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.casefold().split())


def hash_answer(answer: str) -> str:
    return make_password(normalize_answer(answer))


def temporary_username() -> str:
    """A random 10-character username to replace at first login."""
    return "tmp" + "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(7))


def temporary_password() -> str:
    """Random, meeting the rules, to be changed at first login."""
    alphabet = string.ascii_letters + string.digits
    while True:
        core = "".join(secrets.choice(alphabet) for _ in range(10))
        candidate = core + secrets.choice("$@#!%*?&") + secrets.choice(string.digits)
        if re.search(r"[A-Z]", candidate) and re.search(r"[a-z]", candidate):
            return candidate


PIN_RULE = re.compile(r"[0-9]{4}")  # ASCII digits only: \d takes any script's


def validate_pin(pin: str, *, birth_date=None) -> str:
    """A transaction PIN: four digits, not sequential, not repeated, not the birth date."""
    if not PIN_RULE.fullmatch(pin or ""):
        raise ValidationError("El PIN debe tener exactamente 4 dígitos.")
    digits = [int(c) for c in pin]
    steps = {b - a for a, b in itertools.pairwise(digits)}
    if len(set(digits)) == 1:
        raise ValidationError("Evita utilizar dígitos repetidos.")
    if steps in ({1}, {-1}):
        raise ValidationError("Evita utilizar dígitos consecutivos.")
    if birth_date is not None:
        forms_of_birth = {
            f"{birth_date:%d%m}",
            f"{birth_date:%m%d}",
            f"{birth_date:%Y}",
            f"{birth_date:%y}{birth_date:%m}",
        }
        if pin in forms_of_birth:
            raise ValidationError("Evita utilizar tu fecha de nacimiento.")
    return pin


# --- changes in Mi perfil ----------------------------------------------------------------


def username_change(*, user: User, username: str, request=None) -> User:
    """The member's new username, checked again under the user's lock: another member may
    have taken it while the code was on its way (``CredentialRuleError``)."""
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        try:
            validate_username(username, user=locked)
        except ValidationError as exc:
            raise CredentialRuleError(exc.messages[0]) from exc
        old = locked.username
        locked.username = username
        locked.save(update_fields=["username"])
        audit_log(event="username_changed", user=locked, request=request, old=old, new=username)
        security_change_notify(user=locked, what="tu nombre de usuario fue cambiado")
    return locked


def security_questions_set(*, user: User, answers: list[tuple[int, str]], request=None) -> None:
    """Replaces the member's security questions with ``answers``: pairs of a question's id
    and the hash of its answer (``hash_answer``)."""
    with transaction.atomic():
        SecurityAnswer.objects.filter(user=user).delete()
        SecurityAnswer.objects.bulk_create(
            SecurityAnswer(user=user, question_id=question, answer_hash=answer_hash)
            for question, answer_hash in answers
        )
        audit_log(event="questions_changed", user=user, request=request)
        security_change_notify(user=user, what="tus preguntas de seguridad cambiaron")


def security_image_set(*, user: User, image_id: int, name: str = "", request=None) -> None:
    """The image (and, in the profiles that ask for it, its name) shown at sign-in."""
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(security_image_id=image_id, security_image_name=name)
        audit_log(event="image_changed", user=user, request=request)
        security_change_notify(user=user, what="tu imagen de seguridad fue cambiada")


def pin_set(*, user: User, pin_hash: str, request=None) -> None:
    """The transaction PIN, by its hash (``make_password`` of a PIN ``validate_pin``
    accepted)."""
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(transaction_pin=pin_hash)
        audit_log(event="pin_changed", user=user, request=request)
        security_change_notify(user=user, what="tu PIN transaccional fue cambiado")

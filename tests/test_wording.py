"""What a member reads speaks to them as tú ("tu código", not "su código"), as the rest of
the portal does — except the sentences the manuals print, kept word for word."""

import re
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
APPS = (
    "accounts",
    "cards",
    "cooprogreso",
    "enterprise",
    "ledger",
    "payments",
    "products",
    "transfers",
)

# Words only usted uses, and "su"/"sus", which are usted unless they speak of a third party.
USTED = re.compile(
    r"\b(usted|ingrese|seleccione|verifique|verifíquelo|elija|escriba|digite|presione|"
    r"introduzca|repórtelo|responda|recibirá|su|sus)\b",
    re.IGNORECASE,
)

# Quoted verbatim from the manuals (the screens they show), so a member recognises them.
MANUAL_QUOTES = (
    "SU CUENTA NO TIENE MOVIMIENTOS",
    "La imagen de seguridad le ayudará a identificar que está accediendo",
    "Introduzca su número de asociado, fecha de nacimiento y número de cédula",
    "Por favor responda su pregunta de seguridad para validar su identidad.",
    "Active sus servicios para recibir en su dirección de correo electrónico",
    "Nombre de su imagen",
    "Su usuario no se encuentra bloqueado.",
    "¡Listo! Sus datos han sido modificados.",
    "Estado de Cuenta Cooperativa: recibirá un correo los primeros días del mes",
    "Estado de Cuenta Tarjeta de Crédito: recibirá un correo posterior a la",
    "Su clave temporal ha sido enviada a sus medios de notificación.",
    "Se ha generado su clave temporal para su tarjeta con el siguiente detalle:",
    # The security questions: the manual's own, and the rest of the catalogue in their
    # voice (members chose them by their stored text).
    "¿Cuál fue su deporte favorito en la escuela secundaria?",
    "¿En qué mes es el cumpleaños de su mejor amigo?",
    "¿Cuál es el nombre de su primera mascota?",
    "¿En qué ciudad se conocieron sus padres?",
    "¿Cuál fue el nombre de su escuela primaria?",
    "¿Cuál es el segundo nombre de su hermano mayor?",
    "¿Cuál es su comida favorita?",
)

# "su" of someone or something else: the cooperative, a month, a loan, an institution.
THIRD_PERSON = (
    "ha activado su perfil",
    "con su saldo inicial y final",
    "con su interés y seguro",
    "titular con su institución",
    "reporta su institución",
    "el socio desbloquea su usuario",
    "la comisión y su IVA",
    "debe personalizar sus credenciales",
    "el tratamiento de sus datos",
    "app de autenticación, puedes ingresar su código",  # the app's code
    "(como su dueño",  # a database role, to the operator
    "sus argumentos son otros",  # a database function, to the operator
    "su texto es otro",
    "reinstala su versión",
    "se identifica con su RUC",  # a company's, to staff
)


def read_by_people():
    yield from (ROOT / "templates").rglob("*.html")
    yield from (ROOT / "static" / "js").glob("*.js")
    for app in APPS:
        yield from (p for p in (ROOT / app).rglob("*.py") if "migrations" not in p.parts)


def test_the_password_step_speaks_as_tu(client, member):
    client.post("/ingresar/", {"username": "mariaperez"})
    html = client.get("/ingresar/clave/").content.decode()
    assert "Reconocer tu imagen te ayuda a confirmar que ingresaste a una sesión válida." in html
    assert "no escribas tu contraseña y repórtalo" in html
    assert "su imagen" not in html and "su contraseña" not in html


def test_what_members_read_uses_tu_except_the_manuals_own_words():
    usted = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in read_by_people()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if USTED.search(line) and not any(ok in line for ok in MANUAL_QUOTES + THIRD_PERSON)
    ]
    assert usted == []

"""The catalogs every cooperative starts with: security images and questions, and the
first version of its legal texts (accounts/legal/*.txt; staff publish new versions).

``catalogs_load`` takes the model classes so that the data migration can pass its
historical models and tests and set-up code the live ones; it is idempotent.
"""

from pathlib import Path

IMAGES = [
    ("billete", "Billete"),
    ("sombrero", "Sombrero"),
    ("mapa", "Mapa"),
    ("enchufe", "Enchufe"),
    ("cafe", "Café"),
    ("lapiz", "Lápiz"),
    ("guitarra", "Guitarra"),
    ("mundo", "Mundo"),
    ("estrella", "Estrella"),
    ("delfin", "Delfín"),
]

QUESTIONS = [
    "¿Cuándo era niño, qué ocupación deseaba ser?",
    "¿Cuál fue su deporte favorito en la escuela secundaria?",
    "¿En qué mes es el cumpleaños de su mejor amigo?",
    "¿Cuál es el nombre de su primera mascota?",
    "¿En qué ciudad se conocieron sus padres?",
    "¿Cuál fue el nombre de su escuela primaria?",
    "¿Cuál es el segundo nombre de su hermano mayor?",
    "¿Cuál es su comida favorita?",
]


def catalogs_load(security_image_model=None, security_question_model=None) -> None:
    if security_image_model is None:
        from accounts.models import SecurityImage as security_image_model
        from accounts.models import SecurityQuestion as security_question_model
    for position, (slug, name) in enumerate(IMAGES):
        security_image_model.objects.get_or_create(
            slug=slug, defaults={"name": name, "position": position}
        )
    for text in QUESTIONS:
        security_question_model.objects.get_or_create(text=text)


LEGAL_DIR = Path(__file__).parent / "legal"
LEGAL_KINDS = ("terms", "data", "contract")


def legal_documents_load(terms_document_model=None) -> None:
    """Version 1 of each legal text, if the cooperative has not published any."""
    if terms_document_model is None:
        from accounts.models import TermsDocument as terms_document_model
    for kind in LEGAL_KINDS:
        title, _, body = (LEGAL_DIR / f"{kind}.txt").read_text(encoding="utf-8").partition("\n\n")
        if not terms_document_model.objects.filter(kind=kind).exists():
            terms_document_model.objects.create(kind=kind, version="1", title=title, body=body)


FAQ = [
    (
        "¿Cómo bloqueo mi cuenta de ahorros si fui víctima de fraude?",
        "Comunícate de inmediato a nuestra línea de atención telefónica y elige la opción "
        "BLOQUEOS. También puedes acercarte a cualquiera de nuestras agencias.",
    ),
    (
        "¿Qué hago si no me llega el código de seguridad?",
        "Espera unos segundos y presiona «Reenviar». El código llega a tu celular y a tu "
        "correo registrados; si cambiaste de número, actualízalo en una agencia.",
    ),
    (
        "¿Por qué mi transferencia interbancaria se acreditará al día siguiente?",
        "Las transferencias a otras instituciones realizadas después de las 15h00, en fines de "
        "semana o feriados se procesan el siguiente día laborable.",
    ),
    (
        "¿Puedo transferir desde una cuenta con firma conjunta?",
        "No. Las cuentas con firma conjunta se muestran en tu posición consolidada, pero no "
        "pueden transaccionar desde los canales digitales.",
    ),
    (
        "Olvidé mi usuario o mi contraseña, ¿qué hago?",
        "En la página de ingreso usa «Olvidé mi usuario» u «Olvidé mi contraseña». Si tu "
        "usuario se bloqueó, usa «Desbloquear tu usuario».",
    ),
]


def faq_load(faq_model=None) -> None:
    """The first questions, if the cooperative has published none."""
    if faq_model is None:
        from accounts.models import FaqEntry as faq_model
    if not faq_model.objects.exists():
        for position, (question, answer) in enumerate(FAQ):
            faq_model.objects.create(question=question, answer=answer, position=position)

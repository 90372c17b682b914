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

"""The security-image and security-question catalogs every cooperative starts with.

``catalogs_load`` takes the model classes so that the data migration can pass its
historical models and tests and set-up code the live ones; it is idempotent.
"""

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

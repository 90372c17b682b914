"""The account types each manual's cooperative offers, loaded with its profile."""

from products.models import ProductType

SAVINGS, CONTRIBUTION = ProductType.Family.SAVINGS, ProductType.Family.CONTRIBUTION

TYPES = {
    "cooprogreso": [
        ("AHO", "CUENTA DE AHORROS", SAVINGS, "USD", True),
        ("CER", "CERTIFICADOS DE APORTACIÓN", CONTRIBUTION, "USD", False),
        ("CPC", "CUENTA PROGRESAR CLIENTES", SAVINGS, "USD", True),
    ],
    "progreso-bo": [
        ("CAB", "CAJA DE AHORROS", SAVINGS, "BOB", True),
        ("CAU", "CAJA DE AHORROS EN DÓLARES", SAVINGS, "USD", True),
    ],
    "cooprofesionales-pa": [
        ("APO", "APORTACIONES", CONTRIBUTION, "USD", False),
        ("CEX", "CAPITAL EXTERNO", SAVINGS, "USD", True),
        ("FIT", "FONDO DE INCAPACIDAD TEMPORAL", CONTRIBUTION, "USD", False),
    ],
}


def product_types_load(*, cooperative_slug: str) -> int:
    for code, name, family, currency, transactional in TYPES.get(cooperative_slug, []):
        ProductType.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "family": family,
                "currency": currency,
                "transactional": transactional,
            },
        )
    return ProductType.objects.count()

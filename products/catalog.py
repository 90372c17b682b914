"""The products each manual's cooperative offers, loaded with its profile.

Rates are where a new product starts; staff change them in the admin."""

from decimal import Decimal

from products.models import LoanType, ProductType, TermDepositType

SAVINGS, CONTRIBUTION = ProductType.Family.SAVINGS, ProductType.Family.CONTRIBUTION

# code, name, family, currency, transactional, annual interest
TYPES = {
    "cooprogreso": [
        ("AHO", "CUENTA DE AHORROS", SAVINGS, "USD", True, "0.015"),
        ("CER", "CERTIFICADOS DE APORTACIÓN", CONTRIBUTION, "USD", False, "0"),
        ("CPC", "CUENTA PROGRESAR CLIENTES", SAVINGS, "USD", True, "0.02"),
    ],
    "progreso-bo": [
        ("CAB", "CAJA DE AHORROS", SAVINGS, "BOB", True, "0.02"),
        ("CAU", "CAJA DE AHORROS EN DÓLARES", SAVINGS, "USD", True, "0.01"),
    ],
    "cooprofesionales-pa": [
        ("APO", "APORTACIONES", CONTRIBUTION, "USD", False, "0"),
        ("CEX", "CAPITAL EXTERNO", SAVINGS, "USD", True, "0.0175"),
        ("FIT", "FONDO DE INCAPACIDAD TEMPORAL", CONTRIBUTION, "USD", False, "0"),
    ],
}

# code, name, currency, annual rate, desgravamen a year, late surcharge (fraction of rate)
LOAN_TYPES = {
    "cooprogreso": [
        ("CAG", "CONSUMO AGIL", "USD", "0.156", "0.018432", "0.1"),
        ("CPP", "CONSUMO PRIORITARIO PREFERENCIAL", "USD", "0.1650", "0.018432", "0.1"),
        ("CRP", "CONSUMO PRIORITARIO ROL DE PAGOS", "USD", "0.1606", "0.018432", "0.1"),
    ],
    "progreso-bo": [
        ("CBO", "CRÉDITO DE CONSUMO", "BOB", "0.135", "0.0084", "0.1"),
    ],
    "cooprofesionales-pa": [
        ("PPE", "PRÉSTAMO PERSONAL", "USD", "0.12", "0.006", "0.1"),
    ],
}

# code, name, currency, day basis
TERM_DEPOSIT_TYPES = {
    "cooprogreso": [("DPF", "DEPÓSITO A PLAZO FIJO", "USD", 360)],
    "progreso-bo": [("DPB", "DEPÓSITO A PLAZO FIJO", "BOB", 360)],
    "cooprofesionales-pa": [("CDP", "CERTIFICADO DE DEPÓSITO A PLAZO", "USD", 365)],
}


def product_types_load(*, cooperative_slug: str) -> int:
    """Creates the cooperative's missing account, loan and investment types (never
    overwrites one staff edited); returns how many account types exist."""
    for code, name, family, currency, transactional, rate in TYPES.get(cooperative_slug, []):
        ProductType.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "family": family,
                "currency": currency,
                "transactional": transactional,
                "interest_rate": Decimal(rate),
            },
        )
    for code, name, currency, rate, insurance, late in LOAN_TYPES.get(cooperative_slug, []):
        LoanType.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "currency": currency,
                "annual_rate": Decimal(rate),
                "insurance_rate": Decimal(insurance),
                "late_surcharge": Decimal(late),
            },
        )
    for code, name, currency, basis in TERM_DEPOSIT_TYPES.get(cooperative_slug, []):
        TermDepositType.objects.get_or_create(
            code=code, defaults={"name": name, "currency": currency, "day_basis": basis}
        )
    return ProductType.objects.count()

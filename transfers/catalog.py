"""Each manual's cooperative's interbank institutions and transfer limits, loaded with its
profile. Staff edit both in the admin; loading again never overwrites an edit."""

from decimal import Decimal

from products.institutions import InstitutionRef
from transfers.models import Institution, TransferKind, TransferLimit

# code in the network, name, acreditación inmediata
INSTITUTIONS = {
    "cooprogreso": [
        ("0010", "BANCO PICHINCHA", True),
        ("0017", "BANCO GUAYAQUIL", True),
        ("0030", "BANCO DEL PACIFICO", True),
        ("0036", "PRODUBANCO", True),
        ("0037", "BANCO BOLIVARIANO", False),
        ("0032", "BANCO INTERNACIONAL", False),
        ("0001", "BANRECUADOR B.P.", False),
        ("0059", "BANCO DEL INSTITUTO ECUATORIANO DE SEGURIDAD SOCIAL", False),
        ("0166", "CORPORACION FINANCIERA NACIONAL", False),
        ("4066", "COOPERATIVA DE AHORRO Y CREDITO JUVENTUD ECUATORIANA PROGRESISTA", True),
        ("4121", "COOPERATIVA DE AHORRO Y CREDITO SUMAK SISA", False),
        ("4243", "COOP DE A.Y.C. WARMIKUINAPAK RINCHARI LTDA.", False),
        ("4302", "COOP DE A.Y.C. REY DAVID LTDA.", False),
        ("4339", "COAC KULLKI WASI LTDA.", False),
        ("4355", "COOP DE A.Y.C SANTA LUCIA LTDA.", False),
    ],
    "progreso-bo": [
        ("1001", "BANCO NACIONAL DE BOLIVIA", True),
        ("1003", "BANCO MERCANTIL SANTA CRUZ", True),
        ("1009", "BANCO DE CREDITO DE BOLIVIA", True),
        ("1016", "BANCO UNION", False),
        ("1031", "BANCO BISA", False),
    ],
    "cooprofesionales-pa": [
        ("0071", "BANCO GENERAL", True),
        ("0013", "BANCO NACIONAL DE PANAMA", True),
        ("0022", "CAJA DE AHORROS", False),
        ("0026", "BANISTMO", True),
        ("0045", "GLOBAL BANK", False),
    ],
}

# kind: (daily, weekly, monthly), in the profile's main currency
LIMITS = {
    TransferKind.OWN: ("10000.00", "30000.00", "60000.00"),
    TransferKind.INTERNAL: ("3000.00", "10000.00", "20000.00"),
    TransferKind.INTERBANK: ("2000.00", "5000.00", "10000.00"),
}


def transfer_catalog_load(*, cooperative_slug: str) -> int:
    """Creates the missing institutions and limits; returns how many institutions exist."""
    for code, name, immediate in INSTITUTIONS.get(cooperative_slug, []):
        Institution.objects.get_or_create(
            code=code, defaults={"name": name, "immediate": immediate}
        )
    for kind, (daily, weekly, monthly) in LIMITS.items():
        TransferLimit.objects.get_or_create(
            kind=kind,
            defaults={
                "daily": Decimal(daily),
                "weekly": Decimal(weekly),
                "monthly": Decimal(monthly),
            },
        )
    return Institution.objects.count()


def institutions_active() -> list[InstitutionRef]:
    """The active institutions of the network, as ``products.institutions`` hands them to
    the apps that cannot import this one (registered in ``TransfersConfig.ready``)."""
    return [
        InstitutionRef(code=code, name=name)
        for code, name in Institution.objects.filter(is_active=True).values_list("code", "name")
    ]

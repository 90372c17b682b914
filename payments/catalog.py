"""Each manual's cooperative's categories and billers, and the bill-payment tariff, loaded
with its profile. Staff edit all of them in the admin; loading again creates only what is
missing and never overwrites an edit.

The catalogs live in ``payments/data/<catalog>.json``: Cooprogreso's (the manuals'
Ecuadorian billers), which the Bolivian profile shares, and Cooprofesionales' (the
Panamanian billers its manual names). Amounts in them (a top-up's range, a commission)
are in the cooperative's main currency, the one its members' accounts pay billers in.
A biller says only what differs from the model's defaults (a bill to look up, a
"CONTRATO/CÉDULA/RUC" of 4 to 20 characters, collections credited to BILLER_PAYABLE).
"""

import json
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path

from django.db import transaction

from core.models import Cooperative
from ledger.models import Tariff
from payments.models import Biller, ServiceCategory

DATA = Path(__file__).resolve().parent / "data"

# profile slug -> its catalog's file
CATALOGS = {
    "cooprogreso": "ecuador.json",
    "progreso-bo": "ecuador.json",
    "cooprofesionales-pa": "panama.json",
}

# Every tariff row here starts on the day IVA became 15 % in Ecuador, like the others.
TARIFF_FROM = date(2024, 4, 1)
COMMISSION_DESCRIPTION = "COMISIÓN PAGO DE SERVICIOS"
IVA_DESCRIPTION = "IVA PAGO DE SERVICIOS"
# The general bill-payment tariff, for a biller without its own row: the manual's top-up
# shows "Comisión: $ 0.00". A biller's row (its code as the subject) prevails; the manual's
# water bill charges $0.31 and totals amount + commission ($7.13 + $0.31 = $7.44), so its
# rows carry the whole charge as commission, with no IVA on top.
GENERAL_TARIFF = {"subject": "", "commission": "0.00", "iva_rate": "0.15"}

BILLER_FIELDS = (
    "name",
    "mode",
    "reference_label",
    "reference_min_length",
    "reference_max_length",
    "reference_pattern",
    "reference_message",
    "min_amount",
    "max_amount",
    "payable_book",
)
AMOUNTS = ("min_amount", "max_amount")


@cache
def catalog_data(name: str) -> dict:
    """The parsed catalog file ``name`` (``ecuador.json``)."""
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def payment_catalog_load(*, cooperative_slug: str) -> int:
    """Creates the cooperative's missing categories, billers and bill-payment tariffs
    (never overwrites one staff edited); returns how many billers the cooperative has."""
    cooperative = Cooperative.objects.filter(slug=cooperative_slug).first()
    name = CATALOGS.get(cooperative_slug)
    if cooperative is None or name is None:
        return 0
    data = catalog_data(name)
    with transaction.atomic():
        for position, entry in enumerate(data["categories"], start=1):
            category, _ = ServiceCategory.objects.get_or_create(
                cooperative=cooperative, name=entry["name"], defaults={"position": position}
            )
            for spec in entry["billers"]:
                _biller_load(category, spec)
        for spec in [GENERAL_TARIFF, *data["tariffs"]]:
            Tariff.objects.get_or_create(
                code=Tariff.Code.BILL_PAYMENT,
                subject=spec["subject"],
                valid_from=TARIFF_FROM,
                defaults={
                    "commission": Decimal(spec["commission"]),
                    "iva_rate": Decimal(spec["iva_rate"]),
                    "commission_description": COMMISSION_DESCRIPTION,
                    "iva_description": IVA_DESCRIPTION,
                },
            )
    return Biller.objects.filter(category__cooperative=cooperative).count()


def _biller_load(category: ServiceCategory, spec: dict) -> None:
    if Biller.objects.filter(category=category, code=spec["code"]).exists():
        return
    fields = {key: value for key, value in spec.items() if key != "code"}
    unknown = set(fields) - set(BILLER_FIELDS)
    if unknown:
        raise ValueError(f"{spec['code']}: unknown biller fields {sorted(unknown)}")
    for key in AMOUNTS:
        if key in fields:
            fields[key] = Decimal(fields[key])
    biller = Biller(category=category, code=spec["code"], **fields)
    biller.full_clean()
    biller.save()

"""The demo's Pago de Servicios: the active profile's categories, billers and tariffs."""

from core.demo import Demo
from core.profile import cooperative_current
from payments.catalog import payment_catalog_load


def catalog_load(demo: Demo) -> None:
    """The profile's catalog of billers, as staff would find it in the admin."""
    demo.billers = payment_catalog_load(cooperative_slug=cooperative_current().slug)

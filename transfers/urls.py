from django.urls import path

from transfers.views import transfers as views

app_name = "transfers"

urlpatterns = [
    path("transferencias/", views.index, name="index"),
    path("transferencias/mis-cuentas/", views.transfer_own, name="own"),
    path("transferencias/cooprogreso/", views.transfer_internal, name="internal"),
    path("transferencias/interbancarias/", views.transfer_interbank, name="interbank"),
    # --- Administración de Beneficiarios and Personalización de cupos ---
]

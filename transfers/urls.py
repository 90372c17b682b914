from django.urls import path

from transfers.views import beneficiaries, limits
from transfers.views import transfers as views

app_name = "transfers"

urlpatterns = [
    path("transferencias/", views.index, name="index"),
    path("transferencias/mis-cuentas/", views.transfer_own, name="own"),
    path("transferencias/cooprogreso/", views.transfer_internal, name="internal"),
    path("transferencias/interbancarias/", views.transfer_interbank, name="interbank"),
    path("beneficiarios/", beneficiaries.beneficiaries, name="beneficiaries"),
    path("beneficiarios/validar/", beneficiaries.validate, name="beneficiary_validate"),
    path(
        "beneficiarios/nuevo/cooprogreso/",
        beneficiaries.beneficiary_add_internal_view,
        name="beneficiary_add_internal",
    ),
    path(
        "beneficiarios/nuevo/otros-bancos/",
        beneficiaries.beneficiary_add_external_view,
        name="beneficiary_add_external",
    ),
    path(
        "beneficiarios/<uuid:public_id>/editar/",
        beneficiaries.beneficiary_edit,
        name="beneficiary_edit",
    ),
    path(
        "beneficiarios/<uuid:public_id>/eliminar/",
        beneficiaries.beneficiary_delete_view,
        name="beneficiary_delete",
    ),
    path("cupos/", limits.limits_change, name="limits"),
]

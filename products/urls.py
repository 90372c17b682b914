from django.urls import path

from products import views

app_name = "products"

urlpatterns = [
    path("posicion-consolidada/", views.position, name="position"),
    path("posicion-consolidada/ocultar-montos/", views.amounts_toggle, name="amounts_toggle"),
    path("cuentas/<uuid:public_id>/", views.account_detail, name="account"),
    path("cuentas/<uuid:public_id>/descargar/", views.account_download, name="account_download"),
    path(
        "cuentas/<uuid:public_id>/movimientos/<int:posting_id>/comprobante/",
        views.receipt,
        name="receipt",
    ),
    path("creditos/<uuid:public_id>/", views.loan_detail, name="loan"),
    path("creditos/<uuid:public_id>/tabla/", views.loan_schedule, name="loan_schedule"),
    path(
        "creditos/<uuid:public_id>/tabla/descargar/",
        views.loan_schedule_download,
        name="loan_schedule_download",
    ),
    path("creditos/<uuid:public_id>/pagar/", views.loan_pay, name="loan_pay"),
    path("inversiones/<uuid:public_id>/", views.term_deposit_detail, name="term_deposit"),
    path("servicios/", views.services, name="services"),
    path("estado-de-cuenta/", views.statement, name="statement"),
    path("documentos/<uuid:public_id>/", views.document_job, name="document_job"),
    path(
        "documentos/<uuid:public_id>/descargar/",
        views.document_job_download,
        name="document_job_download",
    ),
    path("solicita-tus-productos/", views.product_request, name="requests"),
    path("contacto/", views.contact, name="contact"),
    path("verificar/<code:code>/", views.verify, name="verify"),
]

"""The pages of "Pago de tarjetas", included by ``cards/urls.py`` (app ``cards``)."""

from django.urls import path

from cards import views_payments

urlpatterns = [
    path("pago-tarjetas/", views_payments.payments, name="payments"),
    path("pago-tarjetas/pagar/", views_payments.payment_new, name="payment_new"),
    path("pago-tarjetas/nueva/", views_payments.payee_add, name="payee_add"),
    path(
        "pago-tarjetas/<uuid:public_id>/eliminar/",
        views_payments.payee_delete,
        name="payee_delete",
    ),
]

""" "Pagos frecuentes", included by the payments app's URLs (namespace ``payments``)."""

from django.urls import path

from payments import views_frequent

urlpatterns = [
    path("pagos/frecuentes/", views_frequent.frequent, name="frequent"),
    path(
        "pagos/frecuentes/<uuid:public_id>/eliminar/",
        views_frequent.frequent_delete,
        name="frequent_delete",
    ),
]

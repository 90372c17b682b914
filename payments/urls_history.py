""" "Historial de pagos", included by the payments app's URLs (namespace ``payments``)."""

from django.urls import path

from payments import views_history

urlpatterns = [
    path("pagos/historial/", views_history.history, name="history"),
    path("pagos/historial/descargar/", views_history.history_download, name="history_download"),
]

""" "Diferir consumos", included by the cards app's URLs (namespace ``cards``)."""

from django.urls import path

from cards import views_defer

urlpatterns = [
    path("tarjetas/diferir/", views_defer.defer, name="defer"),
    path("tarjetas/<uuid:public_id>/diferir/", views_defer.defer_card, name="defer_card"),
]

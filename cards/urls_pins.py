"""The PIN pages of a card, included by ``cards/urls.py`` (app ``cards``)."""

from django.urls import path

from cards import views_pins

urlpatterns = [
    path("tarjetas/<uuid:public_id>/cambiar-clave/", views_pins.pin_change, name="pin_change"),
    path("tarjetas/<uuid:public_id>/recuperar-clave/", views_pins.pin_recover, name="pin_recover"),
]

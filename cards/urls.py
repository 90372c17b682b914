from django.urls import include, path

from cards import views

app_name = "cards"

urlpatterns = [
    path("", include("cards.urls_pins")),
    path("", include("cards.urls_defer")),
    path("", include("cards.urls_payments")),
    path("tarjetas/", views.index, name="index"),
    path("tarjetas/<uuid:public_id>/", views.detail, name="detail"),
    path("tarjetas/<uuid:public_id>/bloqueo-temporal/", views.lock, name="lock"),
    path("tarjetas/<uuid:public_id>/desbloquear/", views.unlock, name="unlock"),
    path(
        "tarjetas/<uuid:public_id>/extractos/<uuid:statement_id>/",
        views.statement_download,
        name="statement",
    ),
]

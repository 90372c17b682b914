from django.urls import include, path

from payments import views

app_name = "payments"

urlpatterns = [
    path("pagos/", views.index, name="index"),
    path("pagos/nuevo/", views.pay, name="new"),
    path("", include("payments.urls_frequent")),
    path("", include("payments.urls_scheduled")),
    path("", include("payments.urls_history")),
]

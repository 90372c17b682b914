from django.urls import include, path

app_name = "payments"

urlpatterns = [
    path("", include("payments.urls_frequent")),
    path("", include("payments.urls_history")),
]

from django.urls import include, path

app_name = "cards"

urlpatterns = [
    path("", include("cards.urls_defer")),
]

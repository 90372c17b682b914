from django.urls import path

from products import views

app_name = "products"

urlpatterns = [
    path("posicion-consolidada/", views.position, name="position"),
    path("cuentas/<uuid:public_id>/", views.account_detail, name="account"),
    path("cuentas/<uuid:public_id>/descargar/", views.account_download, name="account_download"),
    path("verificar/<str:code>/", views.verify, name="verify"),
]

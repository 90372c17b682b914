from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("ingresar/", views.login_username, name="login"),
    path("ingresar/clave/", views.login_password, name="login_password"),
    path("ingresar/dispositivo/", views.login_device, name="login_device"),
    path("ingresar/verificacion/", views.login_challenge, name="login_challenge"),
    path("ingresar/verificacion/reenviar/", views.login_resend, name="login_resend"),
    path("ingresar/cancelar/", views.login_cancel, name="login_cancel"),
    path("ingresar/personalizar/", views.personalize, name="personalize"),
    path("ingresar/personalizar/reenviar/", views.personalize_resend, name="personalize_resend"),
    path("salir/", views.logout, name="logout"),
    path("sesion/extender/", views.keepalive, name="keepalive"),
]

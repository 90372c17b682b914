from django.urls import path

from accounts.views import login as views
from accounts.views import recovery

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
    path("ingresar/olvide-usuario/", recovery.forgot_username, name="forgot_username"),
    path("ingresar/desbloquear/", recovery.unlock, name="unlock"),
    path("ingresar/olvide-contrasena/", recovery.forgot_password, name="forgot_password"),
    path("ingresar/recuperar/imagen/", recovery.recovery_image, name="recovery_image"),
    path(
        "ingresar/recuperar/verificacion/", recovery.recovery_challenge, name="recovery_challenge"
    ),
    path("ingresar/recuperar/reenviar/", recovery.recovery_resend, name="recovery_resend"),
    path(
        "ingresar/recuperar/nueva-contrasena/", recovery.recovery_password, name="recovery_password"
    ),
    path("salir/", views.logout, name="logout"),
    path("sesion/extender/", views.keepalive, name="keepalive"),
]

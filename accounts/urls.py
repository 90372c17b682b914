from django.urls import path

from accounts.views import enrollment, passkeys, profile, recovery, staff
from accounts.views import login as views

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
    path("registro/", enrollment.enroll, name="enroll"),
    path("registro/documento/<int:index>/", enrollment.enroll_document, name="enroll_document"),
    path("registro/verificacion/", enrollment.enroll_code, name="enroll_code"),
    path("registro/verificacion/reenviar/", enrollment.enroll_resend, name="enroll_resend"),
    path("perfil/", profile.profile, name="profile"),
    path("perfil/contrasena/", profile.password_change, name="password_change"),
    path("perfil/usuario/", profile.username_change, name="username_change"),
    path("perfil/pin/", profile.pin_change, name="pin_change"),
    path("perfil/autenticador/", profile.authenticator_add, name="authenticator_add"),
    path(
        "perfil/autenticador/desactivar/",
        profile.authenticator_remove_view,
        name="authenticator_remove",
    ),
    path("perfil/preguntas/", profile.questions_change, name="questions_change"),
    path("perfil/imagen/", profile.image_change, name="image_change"),
    path("perfil/datos/", profile.personal_data_change, name="personal_data"),
    path("perfil/dispositivos/", profile.devices, name="devices"),
    path("perfil/passkeys/", passkeys.passkeys, name="passkeys"),
    path("perfil/passkeys/nueva/", passkeys.passkey_authorize, name="passkey_add"),
    path("perfil/passkeys/opciones/", passkeys.register_options, name="passkey_options"),
    path("perfil/passkeys/registrar/", passkeys.register, name="passkey_register"),
    path(
        "perfil/passkeys/<uuid:public_id>/eliminar/",
        passkeys.passkey_remove_view,
        name="passkey_remove",
    ),
    path("ingresar/passkey/opciones/", passkeys.login_options, name="passkey_login_options"),
    path("ingresar/passkey/", passkeys.login, name="passkey_login"),
    path(
        "perfil/dispositivos/<uuid:public_id>/eliminar/",
        profile.device_remove,
        name="device_remove",
    ),
    path("perfil/notificaciones/", profile.subscriptions, name="subscriptions"),
    path("perfil/tema/", profile.theme, name="theme"),
    path("perfil/actividad/", profile.activity, name="activity"),
    path("perfil/soporte/", profile.support, name="support"),
    path("perfil/terminos/", profile.terms, name="terms"),
    path("perfil/soporte/reclamo/", profile.complaint, name="complaint"),
    path("preguntas-frecuentes/", profile.faq, name="faq"),
    path(
        "agencia/reclamos/<int:pk>/adjunto/",
        staff.complaint_attachment,
        name="complaint_attachment",
    ),
    path("salir/", views.logout, name="logout"),
    path("sesion/extender/", views.keepalive, name="keepalive"),
]

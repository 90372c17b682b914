from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.urls import include, path, reverse
from django.views.generic import RedirectView

from cooprogreso import views

admin.site.site_header = "Cooprogreso · Agencia"
# Staff sign in through the portal's own steps: password, then the factor de seguridad.
admin.site.login = lambda request, extra_context=None: redirect_to_login(
    request.GET.get("next") or reverse("admin:index"), login_url=reverse("accounts:login")
)
admin.site.site_title = "Cooprogreso · Agencia"
admin.site.index_title = "Administración de la cooperativa"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="products:position"), name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("offline/", views.offline, name="offline"),
    path("tema.css", views.brand_stylesheet, name="brand_stylesheet"),
    path("logo", views.logo, name="logo"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("sw.js", views.service_worker, name="service_worker"),
    path("admin/", admin.site.urls),
    path("dev/outbox/", views.dev_outbox, name="dev_outbox"),
    path("", include("accounts.urls")),
    path("", include("products.urls")),
    path("", include("transfers.urls")),
    path("", include("payments.urls")),
    path("", include("cards.urls")),
]

# Spanish error pages in the portal's shell (cooprogreso/views.py).
handler400 = "cooprogreso.views.bad_request"
handler403 = "cooprogreso.views.permission_denied"
handler404 = "cooprogreso.views.page_not_found"
handler500 = "cooprogreso.views.server_error"

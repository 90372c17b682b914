"""The site's URLs and, while the payments app routes none of its own, "Pagos frecuentes"
under the payments namespace, so its pages are tested as members reach them."""

from importlib.util import find_spec

from django.urls import include, path

from cooprogreso import urls as site

urlpatterns = list(site.urlpatterns)
if find_spec("payments.urls") is None:
    urlpatterns.append(path("", include(("payments.urls_frequent", "payments"))))

handler400 = site.handler400
handler403 = site.handler403
handler404 = site.handler404
handler500 = site.handler500

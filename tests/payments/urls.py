"""The site's URLs and, while the site routes no payments page yet, the payments app's
under its namespace, so its pages are tested as members reach them."""

from django.urls import URLResolver, include, path

from cooprogreso import urls as site

urlpatterns = list(site.urlpatterns)
if not any(isinstance(p, URLResolver) and p.namespace == "payments" for p in urlpatterns):
    urlpatterns.append(path("", include("payments.urls")))

handler400 = site.handler400
handler403 = site.handler403
handler404 = site.handler404
handler500 = site.handler500

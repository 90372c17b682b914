""" "Pagos programados", included by the payments app's URLs (namespace ``payments``)."""

from django.urls import path

from payments import views_scheduled

urlpatterns = [
    path("pagos/programados/", views_scheduled.scheduled, name="scheduled"),
    path("pagos/programados/nuevo/", views_scheduled.schedule_new, name="schedule_new"),
    path(
        "pagos/programados/<uuid:public_id>/editar/",
        views_scheduled.schedule_edit,
        name="schedule_edit",
    ),
    path(
        "pagos/programados/<uuid:public_id>/eliminar/",
        views_scheduled.schedule_delete,
        name="schedule_delete",
    ),
]

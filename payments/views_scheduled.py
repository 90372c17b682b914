""" "Pagos programados": the member's schedules (Servicio, Categoría, Referencia, Fecha de
finalización, Monto máximo, Editar, Eliminar), «Programar nuevo pago» — the service
chosen as in "Nuevo Pago", then its dialog — and the dialogs that change or remove one.

Every schedule in a URL is looked up among the member's own (404 otherwise).
"""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from accounts.confirm import operation_view
from accounts.owners import request_member
from core.money import format_money
from payments import operations
from payments.forms import billers_schedulable
from payments.schedules import member_schedules
from payments.views import catalog_context

schedule_add_dialog = operation_view(operations.schedule_add)
schedule_edit = operation_view(operations.schedule_edit)
schedule_delete = operation_view(operations.schedule_remove)


@login_required
@require_safe
def scheduled(request):
    member = request_member(request)
    rows = [
        {
            "schedule": s,
            "max_amount": format_money(s.max_amount, s.biller.currency),
            "edit_url": reverse("payments:schedule_edit", args=[s.public_id]),
            "delete_url": reverse("payments:schedule_delete", args=[s.public_id]),
        }
        for s in member_schedules(member=member).select_related("biller__category__cooperative")
    ]
    return render(
        request,
        "payments/scheduled.html",
        {"rows": rows, "new_url": reverse("payments:schedule_new")},
    )


@login_required
@require_http_methods(["GET", "POST"])
def schedule_new(request):
    """«Programar nuevo pago»: the services whose bills can be scheduled, chosen by
    category or searched; with ``?servicio=``, its dialog."""
    if request.method == "GET" and not request.GET.get("servicio"):
        request_member(request)  # a signed-in user who acts for no owner: 404
        return render(
            request,
            "payments/schedule_choose.html",
            {
                **catalog_context(request, billers_schedulable()),
                "catalog_url": reverse("payments:schedule_new"),
                "choose_url": reverse("payments:schedule_new"),
                "choose_label": "Programar",
            },
        )
    return schedule_add_dialog(request)

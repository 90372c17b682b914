""" "Pagos frecuentes": the member's saved services, filtered by category and service,
each paid with one click in the "Nuevo Pago" dialog, or removed.

Every saved service in a URL is looked up among the member's own (404 otherwise).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from accounts.owners import request_actor, request_member
from payments.frequent import member_saved_services, saved_service_remove
from payments.models import Biller, ServiceCategory
from payments.selectors import service_categories

# The "Nuevo Pago" dialog; ``?frecuente=<id>`` opens it with a saved service filled in.
NEW_PAYMENT_PATH = "/pagos/nuevo/"


def pay_url(public_id) -> str:
    return f"{NEW_PAYMENT_PATH}?frecuente={public_id}"


def _chosen_filters(request, categories: list[ServiceCategory]):
    """The category and service the filters name, each None for a value that names none
    (the list then shows everything that filter would), and the categories whose
    services the "Servicio" filter offers: the chosen one, else all of them."""
    wanted = request.GET.get("categoria", "")
    category = next((c for c in categories if str(c.pk) == wanted), None)
    offered = [category] if category else categories
    wanted = request.GET.get("servicio", "")
    billers = (b for c in offered for b in c.active_billers)
    biller: Biller | None = next((b for b in billers if str(b.public_id) == wanted), None)
    return category, biller, offered


@login_required
@require_safe
def frequent(request):
    member = request_member(request)
    categories = service_categories()
    category, biller, offered = _chosen_filters(request, categories)
    rows = [
        {"saved": saved, "pay_url": pay_url(saved.public_id)}
        for saved in member_saved_services(member=member, category=category, biller=biller)
    ]
    return render(
        request,
        "payments/frequent.html",
        {
            "categories": categories,
            "category": category,
            "service_groups": offered,
            "biller": biller,
            "filtered": category is not None or biller is not None,
            "rows": rows,
            "new_payment_url": NEW_PAYMENT_PATH,
        },
    )


@login_required
@require_POST
def frequent_delete(request, public_id):
    actor = request_actor(request)
    saved = saved_service_remove(member=actor.owner, public_id=public_id, by=actor)
    name = saved.alias or saved.biller.name
    messages.success(request, f"Eliminaste «{name}» de tus pagos frecuentes.")
    return redirect("payments:frequent")

"""Pago de Servicios: the categories and services to choose from ("Buscar servicio"),
and the payment dialog of the chosen service (``payments.operations.BillPay``)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_http_methods, require_safe

from accounts.confirm import operation_view
from accounts.owners import request_member
from payments import operations
from payments.forms import billers_offered
from payments.models import ServiceCategory

pay_dialog = operation_view(operations.bill_payment)

SHORTCUTS = (
    ("payments:frequent", "Pagos frecuentes"),
    ("payments:scheduled", "Pagos programados"),
    ("payments:history", "Historial de pagos"),
)


def _shortcuts() -> list[tuple[str, str]]:
    links = []
    for name, label in SHORTCUTS:
        try:
            links.append((reverse(name), label))
        except NoReverseMatch:  # a section not built in this version
            continue
    return links


def catalog_context(request, offered) -> dict:
    """The categories with a service among ``offered`` (a queryset of billers), the one
    chosen (``?categoria=``) and its services, or those matching ``?q=``."""
    categories = list(
        ServiceCategory.objects.filter(is_active=True, billers__in=offered)
        .distinct()
        .order_by("position", "name")
    )
    search = " ".join(request.GET.get("q", "").split())[:60]
    chosen = next((c for c in categories if str(c.pk) == request.GET.get("categoria")), None)
    billers = offered.order_by("category__position", "name")
    if search:
        from payments.selectors import billers_search

        wanted = set(offered.values_list("pk", flat=True))
        billers = [b for b in billers_search(text=search, category=chosen) if b.pk in wanted]
    elif chosen is not None:
        billers = billers.filter(category=chosen)
    else:
        billers = billers.none()
    return {"categories": categories, "chosen": chosen, "search": search, "billers": billers}


@login_required
@require_safe
def index(request):
    """Busca por categoría y, al seleccionarla, explora o busca un servicio: the
    services of the chosen category (or matching the search), each with «Pagar»."""
    request_member(request)  # a signed-in user who acts for no owner: 404
    return render(
        request,
        "payments/index.html",
        {
            **catalog_context(request, billers_offered()),
            "catalog_url": reverse("payments:index"),
            "choose_url": reverse("payments:new"),
            "choose_label": "Pagar",
            "shortcuts": _shortcuts(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def pay(request):
    """«Pagar» on a service: its payment dialog; without a service, the list to choose
    one from."""
    if request.method == "GET" and not (
        request.GET.get("servicio") or request.GET.get("frecuente")
    ):
        return index(request)
    return pay_dialog(request)

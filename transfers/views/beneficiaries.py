"""Administración de Beneficiarios: the list with its tabs and search, and registering,
editing and removing a beneficiary — each confirmed with the security code.

Every beneficiary id in a URL is looked up among the member's own (404 otherwise); the
"Validar" button shows the holder's name only masked, and is rate-limited so it cannot
be used to walk the coop's account numbers.
"""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_POST, require_safe

from accounts.confirm import operation_view
from accounts.owners import request_member
from core.masking import mask_number
from core.profile import cooperative_current
from products.beneficiary_tabs import beneficiary_tab, beneficiary_tab_section
from transfers import operations
from transfers.beneficiaries import (
    beneficiary_check_new,
    internal_holder,
    member_beneficiaries,
)
from transfers.exceptions import BeneficiaryError
from transfers.forms import InternalBeneficiaryForm
from transfers.operations import TABS, TOO_MANY, lookup_limited, transfer_url


@login_required
@require_safe
def beneficiaries(request):
    """The three tabs — Beneficiario {coop} / Beneficiario Otros Bancos / Pago Tarjetas —
    each searchable by name, alias, identification, account or institution."""
    member = request_member(request)
    tab = request.GET.get("tab", "cooprogreso")
    kinds = dict(TABS)
    if tab not in kinds:
        tab = "cooprogreso"
    search = request.GET.get("q", "").strip()[:60]
    rows = []
    if kinds[tab] is not None:
        rows = [
            {
                "b": b,
                "account": mask_number(b.account_number),
                "transfer_url": transfer_url(b),
            }
            for b in member_beneficiaries(member=member, kind=kinds[tab], search=search)
        ]
    # "Pago Tarjetas" lists what the cards app registered for it (products.beneficiary_tabs).
    registered = beneficiary_tab(tab) if kinds[tab] is None else None
    coop = cooperative_current()
    return render(
        request,
        "transfers/beneficiaries/list.html",
        {
            "tab": tab,
            "tabs": [
                ("cooprogreso", f"Beneficiario {coop.short_name}"),
                ("otros-bancos", "Beneficiario Otros Bancos"),
                ("tarjetas", "Pago Tarjetas"),
            ],
            "search": search,
            "rows": rows,
            "registered_tab": registered,
            "section": beneficiary_tab_section(tab, member=member, search=search)
            if registered
            else None,
        },
    )


@login_required
@require_POST
def validate(request):
    """The "Validar" button of "Registrar cuenta interna": the holder's masked name, or
    why the number cannot be registered (an HTMX fragment)."""
    member = request_member(request)
    form = InternalBeneficiaryForm(request.POST)
    form.is_valid()
    context = {}
    if lookup_limited(request, member):
        context["error"] = TOO_MANY
    elif "numero_cuenta" in form.errors:
        context["error"] = form.errors["numero_cuenta"][0]
    else:
        try:
            holder = internal_holder(
                member=member, account_number=form.cleaned_data["numero_cuenta"]
            )
            context["holder"] = holder.masked_name
            beneficiary_check_new(member=member, account=holder.account)
        except BeneficiaryError as exc:
            context["error"] = exc.message
    return render(request, "transfers/beneficiaries/holder.html", context)


beneficiary_add_internal_view = operation_view(operations.beneficiary_add_internal_kind)
beneficiary_add_external_view = operation_view(operations.beneficiary_add_external_kind)
beneficiary_edit = operation_view(operations.beneficiary_edit)
beneficiary_delete_view = operation_view(operations.beneficiary_delete_kind)

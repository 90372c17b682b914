from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_safe

from products.selectors import member_deposit_accounts


@login_required
@require_safe
def position(request):
    """Posición consolidada: the member's products, one query per product family."""
    member = getattr(request.user, "member", None)
    accounts = member_deposit_accounts(member=member) if member else []
    return render(request, "products/position.html", {"accounts": accounts})

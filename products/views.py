from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_safe


@login_required
@require_safe
def position(request):
    """Posición consolidada: the member's products (filled in by the products section)."""
    return render(request, "products/position.html")

from datetime import datetime

from accounts.middleware import idle_limit
from cooprogreso.navigation import menu_for, menu_html, support_links
from core.profile import NoActiveCooperative, cooperative_current


def portal(request) -> dict:
    """What every page's shell needs: the cooperative, the menu and the CSP nonce."""
    try:
        cooperative = cooperative_current()
    except NoActiveCooperative:
        cooperative = None
    context = {"coop": cooperative, "csp_nonce": getattr(request, "csp_nonce", "")}
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        context["support_links"] = support_links()
    else:
        context["menu"] = menu = menu_for(user.portal_audience, request.path)
        context["menu_html"] = menu_html(tuple(menu))
        context["idle_seconds"] = idle_limit(request)
        context["previous_login"] = _previous_login(request.session.get("previous_login"))
    return context


def _previous_login(stored: dict | None) -> dict | None:
    """The sign-in before this one, as the header's "Última conexión" shows it."""
    if not stored or not stored.get("at"):
        return None
    return {"at": datetime.fromisoformat(stored["at"]), "device": stored.get("device", "")}

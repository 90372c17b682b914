"""Human descriptions of the browser a member signs in from."""

from ua_parser import parse


def describe_device(user_agent: str) -> str:
    """``Chrome 142 · Windows`` — what the header's "Última conexión" shows."""
    result = parse(user_agent or "")
    browser = result.user_agent
    system = result.os
    parts = []
    if browser and browser.family != "Other":
        parts.append(f"{browser.family} {browser.major}" if browser.major else browser.family)
    if system and system.family != "Other":
        parts.append(system.family)
    return " · ".join(parts)[:120] or "Navegador desconocido"

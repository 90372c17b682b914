"""Human descriptions of the browser a member signs in from."""

from dataclasses import dataclass

from ua_parser import parse


@dataclass(frozen=True)
class DeviceInfo:
    browser: str
    system: str
    version: str

    def describe(self) -> str:
        """``Chrome 142 · Windows`` — what the header's "Última conexión" shows."""
        browser = f"{self.browser} {self.version}".strip() if self.browser else ""
        return " · ".join(p for p in (browser, self.system) if p)[:120] or "Navegador desconocido"


def parse_device(user_agent: str) -> DeviceInfo:
    result = parse(user_agent or "")
    browser = result.user_agent
    system = result.os
    return DeviceInfo(
        browser=browser.family if browser and browser.family != "Other" else "",
        system=system.family if system and system.family != "Other" else "",
        version=(browser.major or "") if browser else "",
    )


def describe_device(user_agent: str) -> str:
    return parse_device(user_agent).describe()

"""System checks for production configuration the framework does not know about."""

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def sms_gateway_configured(app_configs, **kwargs):
    if settings.SMS_BACKEND.endswith("HttpSmsBackend") and not settings.SMS_GATEWAY_URL:
        return [
            Error(
                "SMS_GATEWAY_URL no está configurada: los códigos OTP por SMS no se enviarían.",
                hint="Defina SMS_GATEWAY_URL y SMS_GATEWAY_TOKEN, o SMS_BACKEND.",
                id="cooprogreso.E001",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def development_backends_off(app_configs, **kwargs):
    dev_backends = ("Outbox", "Console", "Locmem")
    errors = []
    for name, backend in (
        ("EMAIL_BACKEND", settings.EMAIL_BACKEND),
        ("SMS_BACKEND", settings.SMS_BACKEND),
    ):
        if any(marker in backend for marker in dev_backends) and not settings.DEBUG:
            errors.append(
                Error(
                    f"{name} usa un backend de desarrollo ({backend}) en producción.",
                    id="cooprogreso.E002",
                )
            )
    return errors


@register(Tags.caches, deploy=True)
def cache_shared_between_processes(app_configs, **kwargs):
    """The catalogs' generation stamp (``core.cached``) and the rate limits live in
    the cache; a cache each process keeps for itself would hide a staff edit of a tariff or
    a limit from the other workers, and multiply every rate limit by their number."""
    backend = settings.CACHES["default"]["BACKEND"]
    if backend.endswith(("LocMemCache", "DummyCache")) and not settings.DEBUG:
        return [
            Error(
                f"La caché ({backend}) no se comparte entre procesos.",
                hint="Usa Redis (REDIS_URL o CACHE_URL) o, en una sola máquina, la caché en "
                "archivos.",
                id="cooprogreso.E003",
            )
        ]
    return []

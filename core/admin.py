from django.contrib import admin, messages

from core.models import Cooperative
from core.profile import cooperative_activate


@admin.register(Cooperative)
class CooperativeAdmin(admin.ModelAdmin):
    list_display = ("short_name", "channel_name", "currency", "holiday_country", "is_active")
    readonly_fields = ("is_active", "updated_at")
    actions = ["activate"]
    fieldsets = (
        (None, {"fields": ("slug", "name", "short_name", "channel_name", "tax_id", "is_active")}),
        ("Imagen", {"fields": ("logo", "primary_color", "accent_color")}),
        (
            "Moneda y calendario",
            {"fields": ("currency", "other_currencies", "holiday_country", "cutoff_time")},
        ),
        (
            "Atención al socio",
            {"fields": ("call_center_phone", "complaints_email", "complaints_address", "website")},
        ),
        (
            "Reglas del canal",
            {
                "fields": (
                    "registration_mode",
                    "self_service_unlock",
                    "confirmation_method",
                    "funds_origin_threshold",
                    "funds_origin_window_days",
                    "usd_exchange_rate",
                )
            },
        ),
        (
            "Transferencias",
            {
                "fields": (
                    "new_beneficiary_hours",
                    "new_beneficiary_limit",
                    "refund_fee_on_rejection",
                )
            },
        ),
        ("Inversiones", {"fields": ("deposit_withholding_rate", "withholding_exempt_days")}),
        (None, {"fields": ("updated_at",)}),
    )

    @admin.action(description="Activar el perfil seleccionado")
    def activate(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Selecciona exactamente un perfil.", messages.ERROR)
            return
        cooperative = cooperative_activate(cooperative=queryset.get())
        self.message_user(request, f"«{cooperative}» es ahora el perfil activo del portal.")

    def has_delete_permission(self, request, obj=None):
        return obj is None or not obj.is_active

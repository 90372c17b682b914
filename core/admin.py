from django.contrib import admin, messages

from core.models import Cooperative, Notification
from core.notifications import notification_retry
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

    @admin.action(description="Activar el perfil seleccionado", permissions=["change"])
    def activate(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Selecciona exactamente un perfil.", messages.ERROR)
            return
        cooperative = cooperative_activate(cooperative=queryset.get())
        self.message_user(request, f"«{cooperative}» es ahora el perfil activo del portal.")

    def has_delete_permission(self, request, obj=None):
        return obj is None or not obj.is_active


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """The outgoing SMS and e-mails, read only: what, where to (masked) and how it went —
    never the text nor the full recipient. Staff with the permission to retry send a
    failed one again ("Reintentar")."""

    list_display = (
        "created_at",
        "kind",
        "channel",
        "recipient_masked",
        "status",
        "attempts",
        "last_error",
        "sent_at",
    )
    list_filter = ("status", "channel", "kind")
    fields = (
        "public_id",
        "created_at",
        "kind",
        "channel",
        "recipient_masked",
        "subject",
        "status",
        "attempts",
        "last_error",
        "next_attempt_at",
        "sent_at",
        "secret",
    )
    readonly_fields = fields
    date_hierarchy = "created_at"
    actions = ["retry"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_retry_permission(self, request):
        return request.user.has_perm("core.retry_notification")

    @admin.action(description="Reintentar", permissions=["retry"])
    def retry(self, request, queryset):
        retried = refused = 0
        for notification in queryset:
            if notification_retry(notification=notification):
                retried += 1
                self.log_change(request, notification, "Reintentar")
            else:
                refused += 1
        if retried:
            self.message_user(request, f"Se reintentará el envío de {retried} notificación(es).")
        if refused:
            self.message_user(
                request,
                f"{refused} notificación(es) no se reintentan: solo las fallidas con su texto "
                "guardado. Las que contenían credenciales temporales se borran al fallar: "
                "emite credenciales nuevas.",
                messages.WARNING,
            )

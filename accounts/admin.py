from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from accounts.models import AuditEvent, Device, Member, SecurityImage, SecurityQuestion, User


@admin.register(User)
class PortalUserAdmin(UserAdmin):
    list_display = (
        "username",
        "first_name",
        "last_name",
        "is_active",
        "is_staff",
        "locked_at",
        "last_login",
    )
    list_filter = ("is_staff", "is_active", "must_personalize")
    readonly_fields = (
        "last_login",
        "last_login_device",
        "date_joined",
        "failed_login_count",
        "locked_at",
        "password_changed_at",
        "must_personalize",
        "credentials_expire_at",
    )
    exclude = ("transaction_pin",)
    fieldsets = (
        *UserAdmin.fieldsets,
        (
            "Seguridad del canal",
            {
                "fields": (
                    "security_image",
                    "security_image_name",
                    "must_personalize",
                    "credentials_expire_at",
                    "failed_login_count",
                    "locked_at",
                    "password_changed_at",
                    "last_login_device",
                )
            },
        ),
    )


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = ("member_number", "last_names", "first_names", "id_type", "id_number", "user")
    search_fields = ("member_number", "id_number", "last_names", "first_names", "email")
    list_filter = ("id_type",)
    raw_id_fields = ("user",)


@admin.register(SecurityImage)
class SecurityImageAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "position")


@admin.register(SecurityQuestion)
class SecurityQuestionAdmin(admin.ModelAdmin):
    list_display = ("text", "is_active")
    list_filter = ("is_active",)


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    list_display = ("alias", "user", "browser", "system", "last_seen_at", "removed_at")
    search_fields = ("user__username", "alias")
    readonly_fields = [f.name for f in Device._meta.fields if f.name != "token_hash"]
    exclude = ("token_hash",)

    def has_add_permission(self, request):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The security log, for reading: nobody adds, edits or deletes an entry."""

    list_display = ("seq", "created_at", "event", "user", "actor", "ip")
    list_filter = ("event",)
    search_fields = ("user__username", "ip", "request_id")
    date_hierarchy = "created_at"
    list_select_related = ("user", "actor")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

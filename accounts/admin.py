from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from accounts.models import Member, User


@admin.register(User)
class PortalUserAdmin(UserAdmin):
    list_display = ("username", "first_name", "last_name", "is_active", "is_staff", "last_login")
    readonly_fields = ("last_login", "last_login_device", "date_joined")


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = ("member_number", "last_names", "first_names", "id_type", "id_number", "user")
    search_fields = ("member_number", "id_number", "last_names", "first_names", "email")
    list_filter = ("id_type",)
    raw_id_fields = ("user",)

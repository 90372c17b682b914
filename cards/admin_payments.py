"""Staff's view of "Pago de tarjetas": the cards members registered to pay, read-only and
masked — the admin never shows a registered card's number, its digest or its ciphertext.
Imported by ``cards/admin.py`` so that the admin finds it."""

from django.contrib import admin

from cards.models import CardPayee


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CardPayee)
class CardPayeeAdmin(ReadOnlyAdmin):
    list_display = ("name", "masked_number", "institution_name", "member", "created_at")
    list_filter = ("institution_name",)
    list_select_related = ("member",)
    search_fields = ("name", "alias", "last4", "member__member_number", "member__id_number")
    fields = (
        "member",
        "institution_name",
        "institution_code",
        "masked_number",
        "name",
        "id_type",
        "id_number",
        "alias",
        "email",
        "created_at",
        "deleted_at",
    )
    readonly_fields = fields

    @admin.display(description="número de tarjeta")
    def masked_number(self, obj):
        return obj.masked_number

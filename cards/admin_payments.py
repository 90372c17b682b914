"""Staff's view of "Pago de tarjetas": the cards members registered to pay and the payments
made, read-only and masked — the admin never shows a registered card's number, its digest
or its ciphertext. Money moves only through ``cards.payments`` and settlement. Imported by
``cards/admin.py`` so that the admin finds it."""

from django.contrib import admin

from cards.models import CardPayee, CardPayment


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


@admin.register(CardPayment)
class CardPaymentAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "member", "card_paid", "amount", "currency", "status")
    list_filter = ("status", "value_date")
    list_select_related = ("member", "card", "payee")
    search_fields = ("member__member_number", "member__id_number", "network_reference")
    date_hierarchy = "created_at"
    fields = (
        "created_at",
        "member",
        "card_paid",
        "amount",
        "commission",
        "iva",
        "currency",
        "motive",
        "status",
        "value_date",
        "batch_number",
        "network_reference",
        "rejection_reason",
        "journal_reference",
    )
    readonly_fields = fields

    @admin.display(description="tarjeta")
    def card_paid(self, obj):
        payee = obj.payee
        if payee is not None:
            return f"{payee.institution_name} {payee.masked_number}"
        return obj.card.masked_number

    @admin.display(description="comprobante")
    def journal_reference(self, obj):
        return obj.journal.reference

"""Staff's view of bill payments: a record, read-only (money only moves through
``payments.services``). Filtered by state, it lists the payments still *por confirmar*
— those a day of asking the biller did not settle need a person."""

from django.contrib import admin

from payments.models import BillPayment


@admin.register(BillPayment)
class BillPaymentAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "member",
        "biller",
        "reference",
        "bill_number",
        "total",
        "currency",
        "state",
        "checks",
        "channel",
    )
    list_filter = ("state", "channel", "biller__category")
    list_select_related = ("member", "biller")
    search_fields = (
        "reference",
        "bill_number",
        "network_reference",
        "member__member_number",
        "member__id_number",
    )
    date_hierarchy = "created_at"
    exclude = ("journal", "hold", "origin", "key")
    readonly_fields = ("journal_reference", "hold_status")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="comprobante")
    def journal_reference(self, obj):
        return obj.journal.reference if obj.journal_id else "—"

    @admin.display(description="retención")
    def hold_status(self, obj):
        return obj.hold.get_status_display() if obj.hold_id else "—"

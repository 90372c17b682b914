"""Staff's view of transfers: the institutions catalog and the cooperative's limits are
edited here; beneficiaries, transfers and settlement batches are records, read-only
(money only moves through ``transfers.services`` and ``transfers.settlement``)."""

from django.contrib import admin

from transfers.models import Beneficiary, Institution, SettlementBatch, Transfer, TransferLimit


@admin.register(Institution)
class InstitutionAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "immediate", "is_active")
    list_filter = ("immediate", "is_active")
    search_fields = ("code", "name")

    def has_delete_permission(self, request, obj=None):
        return False  # beneficiaries and transfers point to it: deactivate instead


@admin.register(TransferLimit)
class TransferLimitAdmin(admin.ModelAdmin):
    list_display = ("kind", "daily", "weekly", "monthly")

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Beneficiary)
class BeneficiaryAdmin(ReadOnlyAdmin):
    list_display = ("name", "member", "kind", "institution", "account_number", "created_at")
    list_filter = ("kind",)
    list_select_related = ("member", "institution")
    search_fields = ("name", "account_number", "member__member_number", "member__id_number")
    exclude = ("account",)


@admin.register(Transfer)
class TransferAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "member", "kind", "amount", "currency", "status", "value_date")
    list_filter = ("kind", "status", "value_date")
    list_select_related = ("member",)
    search_fields = ("member__member_number", "member__id_number", "network_reference")
    date_hierarchy = "created_at"
    exclude = ("journal", "refund_journal", "origin", "destination", "beneficiary")
    readonly_fields = ("journal_reference",)

    @admin.display(description="comprobante")
    def journal_reference(self, obj):
        return obj.journal.reference


@admin.register(SettlementBatch)
class SettlementBatchAdmin(ReadOnlyAdmin):
    list_display = ("number", "business_date", "status", "created_at", "sent_at", "done_at")
    list_filter = ("status",)

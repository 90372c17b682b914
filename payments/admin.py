"""Staff keep each cooperative's catalog of billers here: its categories in menu order,
and each biller's reference rule, top-up range and payable book. A member's saved
services and bill payments are records, read-only (money only moves through
``payments.services``); filtered by state, the payments still *por confirmar* — those a
day of asking the biller did not settle — need a person."""

from django import forms
from django.contrib import admin

from ledger.books import BOOKS
from payments.models import Biller, BillPayment, SavedService, ServiceCategory


class BillerForm(forms.ModelForm):
    payable_book = forms.ChoiceField(
        label="cuenta por pagar (libro)",
        choices=[(code, f"{code} · {book.name}") for code, book in BOOKS.items()],
        initial="BILLER_PAYABLE",
        help_text="El libro contable que acredita lo recaudado para esta empresa.",
    )

    class Meta:
        model = Biller
        fields = (
            "category",
            "code",
            "name",
            "mode",
            "is_active",
            "reference_label",
            "reference_min_length",
            "reference_max_length",
            "reference_pattern",
            "reference_message",
            "min_amount",
            "max_amount",
            "payable_book",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "category" in self.fields:  # each cooperative has its AGUA: say whose
            field = self.fields["category"]
            field.queryset = field.queryset.select_related("cooperative")
            field.label_from_instance = lambda c: f"{c.name} · {c.cooperative.short_name}"

    def clean(self):
        data = super().clean()
        low, high = data.get("reference_min_length"), data.get("reference_max_length")
        if low is not None and high is not None and low > high:
            self.add_error(
                "reference_max_length", "El largo máximo no puede ser menor que el mínimo."
            )
        return data


class BillerInline(admin.TabularInline):
    model = Biller
    form = BillerForm
    fields = ("code", "name", "mode", "min_amount", "max_amount", "is_active")
    extra = 0
    show_change_link = True


@admin.register(ServiceCategory)
class ServiceCategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "cooperative", "position", "is_active")
    list_display_links = ("name",)
    list_editable = ("position", "is_active")
    list_filter = ("cooperative", "is_active")
    list_select_related = ("cooperative",)
    search_fields = ("name",)
    ordering = ("cooperative", "position", "name")
    inlines = [BillerInline]


@admin.register(Biller)
class BillerAdmin(admin.ModelAdmin):
    form = BillerForm
    list_display = ("name", "code", "category", "cooperative", "mode", "is_active")
    list_filter = ("category__cooperative", "category", "mode", "is_active")
    list_select_related = ("category__cooperative",)
    search_fields = ("name", "code")
    ordering = ("category__cooperative", "category__position", "name")
    fieldsets = (
        (None, {"fields": ("category", "code", "name", "mode", "is_active")}),
        (
            "Referencia",
            {
                "fields": (
                    "reference_label",
                    "reference_min_length",
                    "reference_max_length",
                    "reference_pattern",
                    "reference_message",
                )
            },
        ),
        ("Monto a elección (recargas)", {"fields": ("min_amount", "max_amount")}),
        ("Contabilidad", {"fields": ("payable_book",)}),
    )

    @admin.display(description="cooperativa", ordering="category__cooperative")
    def cooperative(self, obj):
        return obj.category.cooperative.short_name

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("category__cooperative")


@admin.register(SavedService)
class SavedServiceAdmin(admin.ModelAdmin):
    list_display = ("alias", "biller", "reference", "member", "created_at")
    list_select_related = ("biller", "member")
    search_fields = ("member__member_number", "member__id_number", "reference", "alias")
    fields = ("member", "biller", "reference", "alias", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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

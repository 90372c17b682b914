"""The ledger in the admin: read-only, except the tariff table and the calendar, which
staff maintain, and account status (block, close, reactivate) through the service."""

from django.contrib import admin, messages

from ledger.models import Account, CalendarDay, Hold, Journal, Posting, Tariff
from ledger.services import account_set_status


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PostingInline(admin.TabularInline):
    model = Posting
    fields = ("id", "account", "description", "amount_minor", "balance_after_minor")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Journal)
class JournalAdmin(ReadOnlyAdmin):
    list_display = ("id", "created_at", "kind", "channel", "motive", "actor")
    list_filter = ("kind", "channel")
    search_fields = ("=id", "idempotency_key", "motive")
    date_hierarchy = "created_at"
    inlines = [PostingInline]
    list_select_related = ("actor",)


@admin.register(Posting)
class PostingAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "journal",
        "account",
        "description",
        "amount",
        "balance_after",
        "created_at",
    )
    search_fields = ("=journal__id", "account__code")
    list_select_related = ("journal", "account")
    raw_id_fields = ("journal", "account")

    @admin.display(description="monto")
    def amount(self, obj):
        from core.money import from_minor

        return from_minor(obj.amount_minor)

    @admin.display(description="saldo")
    def balance_after(self, obj):
        from core.money import from_minor

        return from_minor(obj.balance_after_minor)


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "currency", "balance", "held", "available", "status")
    list_filter = ("kind", "currency", "status")
    search_fields = ("code", "name")
    actions = ["block", "reactivate", "close"]

    def _set(self, request, queryset, status, done):
        for account in queryset:
            try:
                account_set_status(account=account, status=status)
            except Exception as exc:  # a DomainError: shown to the employee
                self.message_user(request, f"{account.code}: {exc}", messages.ERROR)
        self.message_user(request, done)

    @admin.action(description="Bloquear las cuentas seleccionadas", permissions=["change"])
    def block(self, request, queryset):
        self._set(request, queryset, Account.Status.BLOCKED, "Cuentas bloqueadas.")

    @admin.action(description="Reactivar las cuentas seleccionadas", permissions=["change"])
    def reactivate(self, request, queryset):
        self._set(request, queryset, Account.Status.ACTIVE, "Cuentas reactivadas.")

    @admin.action(
        description="Cerrar las cuentas seleccionadas (sin saldo)", permissions=["change"]
    )
    def close(self, request, queryset):
        self._set(request, queryset, Account.Status.CLOSED, "Proceso terminado.")

    def has_change_permission(self, request, obj=None):
        # The list's actions need it; the change form itself shows no editable field.
        return obj is None and request.user.has_perm("ledger.change_account")

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]


@admin.register(Hold)
class HoldAdmin(ReadOnlyAdmin):
    list_display = ("id", "account", "description", "amount", "status", "expires_at", "journal")
    list_filter = ("status",)
    list_select_related = ("account",)
    raw_id_fields = ("account", "journal")


@admin.register(Tariff)
class TariffAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "subject",
        "valid_from",
        "commission",
        "iva_rate",
        "commission_description",
    )
    list_filter = ("code",)
    search_fields = ("subject", "commission_description")
    fields = (
        "code",
        "subject",
        "valid_from",
        "commission",
        "iva_rate",
        "commission_description",
        "iva_description",
    )


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ("date", "country", "kind", "name")
    list_filter = ("country", "kind")

import uuid
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils import timezone

from core.errors import DomainError
from products.investments import InvestmentError, term_deposit_check, term_deposit_open
from products.loans import LoanTermsInvalid, loan_grant, loan_terms_check
from products.models import (
    DepositAccount,
    Installment,
    Loan,
    LoanType,
    ProductRequest,
    ProductType,
    StatementDelivery,
    TermDeposit,
    TermDepositType,
)
from products.services import cash_deposit, cash_withdrawal, deposit_account_open


@admin.register(ProductType)
class ProductTypeAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "family",
        "currency",
        "transactional",
        "interest_rate",
        "is_active",
    )


class OpenAccountForm(forms.ModelForm):
    reason = forms.CharField(label="Motivo", max_length=200)

    class Meta:
        model = DepositAccount
        fields = ["member", "product_type", "signature"]


class CashForm(forms.Form):
    amount = forms.DecimalField(
        label="Monto", min_value=Decimal("0.01"), max_digits=18, decimal_places=2
    )
    reference = forms.CharField(
        widget=forms.HiddenInput, initial=lambda: uuid.uuid4().hex, max_length=32
    )


def _cash_action(description: str, post):
    """A teller's deposit or withdrawal on the one selected account: the amount asked,
    then posted by the service. Offered only to staff who may change accounts."""

    def action(modeladmin, request, queryset):
        if queryset.count() != 1:
            modeladmin.message_user(request, "Selecciona una sola cuenta.", messages.ERROR)
            return None
        account = queryset.get()
        form = CashForm(request.POST if "amount" in request.POST else None)
        if form.is_valid():
            try:
                posted = post(
                    account=account,
                    amount=form.cleaned_data["amount"],
                    key=f"branch:{form.cleaned_data['reference']}",
                    actor=request.user,
                )
            except DomainError as exc:
                modeladmin.message_user(request, exc.message, messages.ERROR)
                return None
            modeladmin.message_user(
                request, f"{description} registrado: Comprobante N.º {posted.journal_id}."
            )
            return None
        return TemplateResponse(
            request,
            "admin/products/cash.html",
            {
                **modeladmin.admin_site.each_context(request),
                "title": f"{description} · {account}",
                "form": form,
                "account": account,
                "action": action.__name__,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
                "opts": modeladmin.model._meta,
            },
        )

    action.__name__ = post.__name__
    return admin.action(description=description, permissions=["change"])(action)


@admin.register(DepositAccount)
class DepositAccountAdmin(admin.ModelAdmin):
    list_display = ("number", "product_type", "member", "status", "signature", "balance")
    list_filter = ("product_type", "status", "signature")
    search_fields = ("number", "member__id_number", "member__last_names", "member__business_name")
    list_select_related = ("product_type", "member", "ledger_account")
    raw_id_fields = ("member",)
    actions = [
        _cash_action("Depósito en ventanilla", cash_deposit),
        _cash_action("Retiro en ventanilla", cash_withdrawal),
    ]

    @admin.display(description="saldo disponible")
    def balance(self, obj):
        return obj.ledger_account.available

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = OpenAccountForm
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return ("member", "product_type", "number", "ledger_account", "opened_at")

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        opened = deposit_account_open(
            member=form.cleaned_data["member"],
            product_type=form.cleaned_data["product_type"],
            signature=form.cleaned_data["signature"],
            actor=request.user,
            reason=form.cleaned_data["reason"],
        )
        obj.pk = opened.pk
        obj.number = opened.number
        obj._state.adding = False

    def has_delete_permission(self, request, obj=None):
        return False


# --- Créditos ----------------------------------------------------------------------------


@admin.register(LoanType)
class LoanTypeAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "currency", "annual_rate", "insurance_rate", "is_active")


class GrantLoanForm(forms.ModelForm):
    """Staff grant a loan: the terms, the account it is disbursed into, and why."""

    disbursement_account = forms.ModelChoiceField(
        label="Cuenta de desembolso",
        queryset=DepositAccount.objects.filter(status=DepositAccount.Status.ACTIVE),
        widget=forms.TextInput,
        to_field_name="number",
        help_text="Número de una cuenta activa del mismo socio.",
    )
    principal = forms.DecimalField(
        label="Monto", min_value=Decimal("1.00"), max_digits=14, decimal_places=2
    )
    installments = forms.IntegerField(label="Número de cuotas", min_value=1, max_value=360)
    granted_on = forms.DateField(label="Fecha de crédito", initial=timezone.localdate)
    first_due = forms.DateField(
        label="Fecha de la primera cuota", help_text="Entre 15 y 45 días después del crédito."
    )
    reason = forms.CharField(label="Motivo", max_length=200)

    class Meta:
        model = Loan
        fields = ["member", "loan_type"]

    def clean(self):
        data = super().clean()
        needed = (
            "member",
            "loan_type",
            "principal",
            "installments",
            "disbursement_account",
            "granted_on",
            "first_due",
        )
        if all(data.get(name) is not None for name in needed):
            try:
                loan_terms_check(**{name: data[name] for name in needed})
            except LoanTermsInvalid as exc:
                raise forms.ValidationError(exc.message) from exc
        return data


class InstallmentInline(admin.TabularInline):
    model = Installment
    fields = ("number", "due_date", "balance", "capital", "interest", "insurance", "state")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Loan)
class LoanAdmin(admin.ModelAdmin):
    list_display = ("number", "loan_type", "member", "principal", "balance", "status")
    list_filter = ("loan_type", "status")
    search_fields = ("number", "member__id_number", "member__last_names", "member__business_name")
    list_select_related = ("loan_type", "member", "ledger_account")
    raw_id_fields = ("member",)

    @admin.display(description="saldo del crédito")
    def balance(self, obj):
        return obj.ledger_account.balance

    def get_inlines(self, request, obj):
        return [InstallmentInline] if obj else []

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = GrantLoanForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return (
                "member",
                "loan_type",
                "principal",
                "installments",
                "disbursement_account",
                "granted_on",
                "first_due",
                "reason",
            )
        return super().get_fields(request, obj)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return [f.name for f in Loan._meta.fields]

    def save_model(self, request, obj, form, change):
        if change:
            return None
        data = form.cleaned_data
        loan = loan_grant(
            member=data["member"],
            loan_type=data["loan_type"],
            principal=data["principal"],
            installments=data["installments"],
            disbursement_account=data["disbursement_account"],
            granted_on=data["granted_on"],
            first_due=data["first_due"],
            actor=request.user,
            reason=data["reason"],
        )
        obj.pk, obj.number = loan.pk, loan.number
        obj._state.adding = False
        return None

    def save_related(self, request, form, formsets, change):
        if change:
            super().save_related(request, form, formsets, change)

    def has_delete_permission(self, request, obj=None):
        return False


# --- Inversiones ---------------------------------------------------------------------------


@admin.register(TermDepositType)
class TermDepositTypeAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "currency", "day_basis", "is_active")


class OpenTermDepositForm(forms.ModelForm):
    account = forms.ModelChoiceField(
        label="Cuenta",
        queryset=DepositAccount.objects.filter(status=DepositAccount.Status.ACTIVE),
        widget=forms.TextInput,
        to_field_name="number",
        help_text="Se debita el capital y se acredita el capital más el interés al vencimiento.",
    )
    capital = forms.DecimalField(
        label="Capital", min_value=Decimal("1.00"), max_digits=14, decimal_places=2
    )
    term_days = forms.IntegerField(label="Plazo (días)", min_value=1)
    annual_rate = forms.DecimalField(
        label="Tasa anual", max_digits=7, decimal_places=6, help_text="0.079 = 7.9 %"
    )
    reason = forms.CharField(label="Motivo", max_length=200)
    reference = forms.CharField(
        widget=forms.HiddenInput, initial=lambda: uuid.uuid4().hex, max_length=32
    )

    class Meta:
        model = TermDeposit
        fields = ["member", "deposit_type"]

    def clean(self):
        data = super().clean()
        needed = ("member", "deposit_type", "account", "capital", "term_days", "annual_rate")
        if all(data.get(name) is not None for name in needed):
            try:
                term_deposit_check(**{name: data[name] for name in needed})
            except InvestmentError as exc:
                raise forms.ValidationError(exc.message) from exc
        return data


@admin.register(TermDeposit)
class TermDepositAdmin(admin.ModelAdmin):
    list_display = ("number", "deposit_type", "member", "capital", "matures_on", "status")
    list_filter = ("deposit_type", "status")
    search_fields = ("number", "member__id_number", "member__last_names", "member__business_name")
    list_select_related = ("deposit_type", "member")
    raw_id_fields = ("member",)

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = OpenTermDepositForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return (
                "member",
                "deposit_type",
                "account",
                "capital",
                "term_days",
                "annual_rate",
                "reason",
                "reference",
            )
        return super().get_fields(request, obj)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return [f.name for f in TermDeposit._meta.fields]

    def save_model(self, request, obj, form, change):
        if change:
            return None
        data = form.cleaned_data
        deposit = term_deposit_open(
            member=data["member"],
            deposit_type=data["deposit_type"],
            account=data["account"],
            capital=data["capital"],
            term_days=data["term_days"],
            annual_rate=data["annual_rate"],
            key=f"branch:term_deposit:{data['reference']}",
            actor=request.user,
            reason=data["reason"],
        )
        obj.pk, obj.number = deposit.pk, deposit.number
        obj._state.adding = False
        return None

    def has_delete_permission(self, request, obj=None):
        return False


# --- Solicitudes -----------------------------------------------------------------------------


@admin.register(ProductRequest)
class ProductRequestAdmin(admin.ModelAdmin):
    list_display = ("created_at", "kind", "member", "amount", "term", "status")
    list_filter = ("status", "kind")
    search_fields = ("member__id_number", "member__last_names", "member__business_name")
    list_select_related = ("member",)
    fields = ("member", "kind", "amount", "term", "comment", "created_at", "status", "staff_note")
    readonly_fields = ("member", "kind", "amount", "term", "comment", "created_at")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StatementDelivery)
class StatementDeliveryAdmin(admin.ModelAdmin):
    """The monthly statement e-mails: read only. A row without "enviado" is retried by the
    next run of the beat (days 1–3)."""

    list_display = ("year", "month", "account", "email", "sent_at", "attempts", "document")
    list_filter = ("year", "month")
    search_fields = ("account__number", "account__member__id_number")
    list_select_related = ("account__product_type", "document")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

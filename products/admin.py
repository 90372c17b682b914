import uuid
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse

from cooprogreso.errors import DomainError
from products.models import DepositAccount, ProductType
from products.services import cash_deposit, cash_withdrawal, deposit_account_open


@admin.register(ProductType)
class ProductTypeAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "family", "currency", "transactional", "is_active")


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
    return admin.action(description=description)(action)


@admin.register(DepositAccount)
class DepositAccountAdmin(admin.ModelAdmin):
    list_display = ("number", "product_type", "member", "status", "signature", "balance")
    list_filter = ("product_type", "status", "signature")
    search_fields = ("number", "member__id_number", "member__last_names")
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

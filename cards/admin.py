"""Branch staff register cards and block, reactivate or cancel them, each with a reason
that goes to the audit log. Staff see a card's masked number only: the full number is
typed once, when the card is registered, and never shown back."""

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables

from cards import admin_payments  # noqa: F401  (registers "Pago de tarjetas")
from cards.exceptions import BrandMismatch, CardAlreadyIssued, CardError, InvalidCardNumber
from cards.models import Card, CardPurchase
from cards.services import (
    card_issue_credit,
    card_issue_debit,
    card_set_status,
    card_terms_check,
)
from core.errors import DomainError
from products.models import DepositAccount


class WriteOnlyInput(forms.TextInput):
    """A text box that never renders its value: a form shown again after an error does
    not put the card number back into the page."""

    def format_value(self, value):
        return None


class IssueCardForm(forms.ModelForm):
    """Staff register a card: a debit card on one of the member's accounts, or a credit
    card with its limit."""

    pan = forms.CharField(
        label="Número de tarjeta",
        max_length=23,
        widget=WriteOnlyInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
        help_text="16 dígitos. No se guarda: solo los seis primeros, los cuatro últimos y "
        "una huella cifrada.",
    )
    brand = forms.ChoiceField(label="Marca", choices=Card.Brand.choices)
    account = forms.ModelChoiceField(
        label="Cuenta vinculada",
        queryset=DepositAccount.objects.filter(status=DepositAccount.Status.ACTIVE),
        widget=forms.TextInput,
        to_field_name="number",
        required=False,
        help_text="Tarjeta de débito: número de una cuenta activa del mismo socio.",
    )
    credit_limit = forms.DecimalField(
        label="Cupo",
        min_value=Decimal("1.00"),
        max_digits=14,
        decimal_places=2,
        required=False,
        help_text="Tarjeta de crédito.",
    )
    annual_rate = forms.DecimalField(
        label="Tasa nominal anual",
        min_value=Decimal("0"),
        max_value=Decimal("0.999999"),
        max_digits=7,
        decimal_places=6,
        required=False,
        help_text="Tarjeta de crédito, para diferir consumos. Vacío: 0.156 (15.6 %).",
    )
    expiry_month = forms.IntegerField(
        label="Mes de vencimiento", min_value=1, max_value=12, required=False
    )
    expiry_year = forms.IntegerField(
        label="Año de vencimiento",
        min_value=2000,
        max_value=2100,
        required=False,
        help_text="Vacíos: cinco años desde hoy.",
    )
    holder_name = forms.CharField(
        label="Titular", max_length=80, required=False, help_text="Vacío: el nombre del socio."
    )
    reason = forms.CharField(label="Motivo", max_length=200)

    class Meta:
        model = Card
        fields = ["member", "kind"]

    @sensitive_variables("data")
    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind == Card.Kind.DEBIT and data.get("account") is None:
            self.add_error("account", "Indica la cuenta de la tarjeta de débito.")
        elif kind == Card.Kind.CREDIT and data.get("credit_limit") is None:
            self.add_error("credit_limit", "Indica el cupo de la tarjeta de crédito.")
        needed = ("member", "kind", "brand", "pan")
        if self.errors or any(not data.get(name) for name in needed):
            return data
        try:
            card_terms_check(
                **{name: data[name] for name in needed},
                account=data.get("account") if kind == Card.Kind.DEBIT else None,
                credit_limit=data.get("credit_limit"),
                annual_rate=data.get("annual_rate"),
                expiry_month=data.get("expiry_month"),
                expiry_year=data.get("expiry_year"),
            )
        except (InvalidCardNumber, BrandMismatch, CardAlreadyIssued) as exc:
            self.add_error("pan", exc.message)
        except CardError as exc:
            raise forms.ValidationError(exc.message) from exc
        return data


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="Motivo", max_length=200, widget=forms.Textarea(attrs={"rows": 3})
    )


def _status_action(description: str, status: str, name: str):
    """An admin action that first asks the employee for the reason, then changes the
    status of each selected card through the service (which audits it). Offered only to
    staff who may change cards: viewing the list is not enough."""

    def action(modeladmin, request, queryset):
        form = ReasonForm(request.POST if "reason" in request.POST else None)
        if form.is_valid():
            done = 0
            for card in queryset:
                try:
                    card_set_status(
                        card=card,
                        status=status,
                        actor=request.user,
                        reason=form.cleaned_data["reason"],
                        request=request,
                    )
                    done += 1
                except DomainError as exc:
                    modeladmin.message_user(
                        request, f"{card.masked_number}: {exc.message}", messages.ERROR
                    )
            if done:
                modeladmin.message_user(
                    request, f"{description}: {done} tarjeta(s).", messages.SUCCESS
                )
            return None
        return TemplateResponse(
            request,
            "admin/cards/reason.html",
            {
                **modeladmin.admin_site.each_context(request),
                "title": description,
                "form": form,
                "queryset": queryset,
                "action": name,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
                "opts": modeladmin.model._meta,
            },
        )

    action.__name__ = name
    return admin.action(description=description, permissions=["change"])(action)


class CardPurchaseInline(admin.TabularInline):
    model = CardPurchase
    fields = ("purchased_at", "description", "amount", "journal_id")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("-purchased_at", "-pk")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Card)
class CardAdmin(admin.ModelAdmin):
    list_display = (
        "masked_number",
        "kind",
        "brand",
        "member",
        "status",
        "expiry",
        "credit_limit",
        "available",
    )
    list_filter = ("kind", "brand", "status")
    search_fields = (
        "last4",
        "member__id_number",
        "member__last_names",
        "member__business_name",
        "member__member_number",
    )
    list_select_related = ("member", "revolving_account", "deferred_account")
    raw_id_fields = ("member",)
    actions = [
        _status_action("Bloquear tarjeta", Card.Status.BLOCKED, "block"),
        _status_action("Activar tarjeta", Card.Status.ACTIVE, "activate"),
        _status_action("Cancelar tarjeta", Card.Status.CANCELLED, "cancel"),
    ]
    # Never the digest: staff see no hashes of card numbers.
    readonly = (
        "masked_number",
        "kind",
        "brand",
        "member",
        "holder_name",
        "expiry",
        "status",
        "locked_by_member_at",
        "account",
        "credit_limit",
        "annual_rate",
        "used",
        "available",
        "statement_day",
        "statement_date",
        "minimum_payment",
        "payment_due",
        "issued_at",
    )

    @admin.display(description="número")
    def masked_number(self, obj):
        return obj.masked_number

    @admin.display(description="válida hasta")
    def expiry(self, obj):
        return obj.expiry

    @admin.display(description="utilizado rotativo / diferido")
    def used(self, obj):
        if not obj.is_credit:
            return "—"
        return f"{obj.revolving_used} / {obj.deferred_used}"

    @admin.display(description="cupo disponible")
    def available(self, obj):
        return obj.available_limit if obj.is_credit else "—"

    @method_decorator(sensitive_post_parameters("pan"))
    def add_view(self, request, form_url="", extra_context=None):
        return super().add_view(request, form_url, extra_context)

    def get_inlines(self, request, obj):
        return [CardPurchaseInline] if obj is not None and obj.is_credit else []

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = IssueCardForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return (
                "member",
                "kind",
                "brand",
                "pan",
                "account",
                "credit_limit",
                "annual_rate",
                "expiry_month",
                "expiry_year",
                "holder_name",
                "reason",
            )
        return self.readonly

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly

    @sensitive_variables("data", "common")
    def save_model(self, request, obj, form, change):
        if change:
            return None
        data = form.cleaned_data
        common = {
            "brand": data["brand"],
            "pan": data["pan"],
            "expiry_month": data.get("expiry_month"),
            "expiry_year": data.get("expiry_year"),
            "holder_name": data.get("holder_name") or "",
            "actor": request.user,
            "reason": data["reason"],
        }
        if data["kind"] == Card.Kind.DEBIT:
            card = card_issue_debit(account=data["account"], **common)
        else:
            card = card_issue_credit(
                member=data["member"],
                credit_limit=data["credit_limit"],
                annual_rate=data.get("annual_rate"),
                **common,
            )
        obj.pk, obj.bin, obj.last4, obj.brand = card.pk, card.bin, card.last4, card.brand
        obj._state.adding = False
        return None

    def save_related(self, request, form, formsets, change):
        if change:
            super().save_related(request, form, formsets, change)

    def has_delete_permission(self, request, obj=None):
        return False

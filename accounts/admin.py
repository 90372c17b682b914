from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import ReadOnlyPasswordHashWidget, UserChangeForm
from django.db.models.functions import Concat
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from accounts.enrollment import enrollment_decide
from accounts.models import (
    AuditEvent,
    Complaint,
    Device,
    Enrollment,
    FaqEntry,
    Member,
    Operation,
    OperationApproval,
    SecurityImage,
    SecurityQuestion,
    TermsAcceptance,
    TermsDocument,
    User,
)
from accounts.services import member_issue_credentials, staff_unlock, user_set_active
from core.errors import DomainError


class PasswordSummaryWidget(ReadOnlyPasswordHashWidget):
    """Django's summary of the password's hash, without the ``disabled`` its read-only
    field adds: the summary is a ``<div>``, which takes no such attribute (valid HTML)."""

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"].pop("disabled", None)
        return context


class PortalUserChangeForm(UserChangeForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "password" in self.fields:
            self.fields["password"].widget = PasswordSummaryWidget()


@admin.register(User)
class PortalUserAdmin(UserAdmin):
    form = PortalUserChangeForm
    list_display = (
        "username",
        "first_name",
        "last_name",
        "is_active",
        "is_staff",
        "locked_at",
        "last_login",
    )
    list_filter = ("is_staff", "is_active", "must_personalize")
    readonly_fields = (
        "last_login",
        "last_login_device",
        "date_joined",
        "failed_login_count",
        "locked_at",
        "password_changed_at",
        "must_personalize",
        "credentials_expire_at",
    )
    exclude = ("transaction_pin",)
    fieldsets = (
        *UserAdmin.fieldsets,
        (
            "Seguridad del canal",
            {
                "fields": (
                    "security_image",
                    "security_image_name",
                    "must_personalize",
                    "credentials_expire_at",
                    "failed_login_count",
                    "locked_at",
                    "password_changed_at",
                    "last_login_device",
                )
            },
        ),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="Motivo", max_length=200, widget=forms.Textarea(attrs={"rows": 3})
    )


def with_reason(description: str):
    """An admin action that first asks the employee for the reason, then records it.
    Offered only to staff who may change the model: viewing the list is not enough."""

    def decorator(apply):
        def action(modeladmin, request, queryset):
            form = ReasonForm(request.POST if "reason" in request.POST else None)
            if form.is_valid():
                done = 0
                for obj in queryset:
                    try:
                        apply(obj, request=request, reason=form.cleaned_data["reason"])
                    except DomainError as exc:
                        # This one refused (a company has no member user); the rest go on.
                        modeladmin.message_user(request, f"{obj}: {exc.message}", messages.ERROR)
                        continue
                    done += 1
                modeladmin.message_user(
                    request, f"{description}: {done} socio(s).", messages.SUCCESS
                )
                return None
            return TemplateResponse(
                request,
                "admin/accounts/reason.html",
                {
                    **modeladmin.admin_site.each_context(request),
                    "title": description,
                    "form": form,
                    "queryset": queryset,
                    "action": action.__name__,
                    "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
                    "opts": modeladmin.model._meta,
                },
            )

        action.__name__ = apply.__name__
        return admin.action(description=description, permissions=["change"])(action)

    return decorator


@with_reason("Habilitar acceso web (envía credenciales temporales)")
def issue_credentials(member, *, request, reason):
    member_issue_credentials(member=member, actor=request.user, reason=reason, request=request)


@with_reason("Restablecer contraseña (envía credenciales temporales)")
def reset_credentials(member, *, request, reason):
    member_issue_credentials(member=member, actor=request.user, reason=reason, request=request)


@with_reason("Desbloquear usuario")
def unlock(member, *, request, reason):
    if member.user:
        staff_unlock(user=member.user, actor=request.user, reason=reason, request=request)


@with_reason("Bloquear usuario")
def block(member, *, request, reason):
    if member.user:
        user_set_active(
            user=member.user, active=False, actor=request.user, reason=reason, request=request
        )


@with_reason("Activar usuario")
def activate(member, *, request, reason):
    if member.user:
        user_set_active(
            user=member.user, active=True, actor=request.user, reason=reason, request=request
        )


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    """Socios: natural persons and companies (personas jurídicas, by RUC and razón social).
    A company has no member user, so the access actions refuse it."""

    list_display = ("member_number", "name", "kind", "id_type", "id_number", "user")
    search_fields = (
        "member_number",
        "id_number",
        "business_name",
        "last_names",
        "first_names",
        "email",
    )
    list_filter = ("kind", "id_type")
    readonly_fields = ("user", "created_at")
    fieldsets = (
        (None, {"fields": ("kind", "member_number", "id_type", "id_number")}),
        ("Persona natural", {"fields": ("first_names", "last_names", "birth_date")}),
        (
            "Persona jurídica",
            {
                "fields": ("business_name",),
                "description": "Se identifica con el RUC de la sociedad o entidad.",
            },
        ),
        ("Contacto", {"fields": ("email", "mobile_phone", "address")}),
        ("Acceso web", {"fields": ("user", "created_at")}),
    )
    actions = [issue_credentials, reset_credentials, unlock, block, activate]

    @admin.display(
        description="nombre o razón social",
        ordering=Concat("business_name", "last_names", "first_names"),
    )
    def name(self, obj):
        return obj.full_name


@admin.register(SecurityImage)
class SecurityImageAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "position")


@admin.register(SecurityQuestion)
class SecurityQuestionAdmin(admin.ModelAdmin):
    list_display = ("text", "is_active")
    list_filter = ("is_active",)


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    list_display = ("alias", "user", "browser", "system", "last_seen_at", "removed_at")
    search_fields = ("user__username", "alias")
    readonly_fields = [f.name for f in Device._meta.fields if f.name != "token_hash"]
    exclude = ("token_hash",)

    def has_add_permission(self, request):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The security log, for reading: nobody adds, edits or deletes an entry."""

    list_display = ("seq", "created_at", "event", "user", "actor", "ip")
    list_filter = ("event",)
    search_fields = ("user__username", "ip", "request_id")
    date_hierarchy = "created_at"
    list_select_related = ("user", "actor")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class OperationApprovalInline(admin.TabularInline):
    model = OperationApproval
    fields = ("user", "level", "created_at", "digest")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Operation)
class OperationAdmin(admin.ModelAdmin):
    """What members and company users asked for, and where each one is — for reading:
    an operation moves only through its services. An *En ejecución* row that stays so is
    one whose service kept failing after retries: check its journal before anything."""

    list_display = ("created_at", "purpose", "summary", "owner", "created_by", "state")
    list_filter = ("state", "purpose", "channel")
    search_fields = ("public_id", "key", "owner__member_number", "created_by__username")
    date_hierarchy = "created_at"
    list_select_related = ("owner", "created_by")
    fields = (
        "public_id",
        "purpose",
        "summary",
        "owner",
        "created_by",
        "channel",
        "state",
        "error",
        "attempts",
        "signatures_required",
        "review",
        "notes",
        "key",
        "digest",
        "created_at",
        "expires_at",
        "executed_at",
    )
    readonly_fields = fields
    inlines = [OperationApprovalInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@with_reason("Aprobar afiliación (envía credenciales temporales)")
def approve(enrollment, *, request, reason):
    enrollment_decide(
        enrollment=enrollment, approve=True, actor=request.user, reason=reason, request=request
    )


@with_reason("Rechazar afiliación")
def reject(enrollment, *, request, reason):
    enrollment_decide(
        enrollment=enrollment, approve=False, actor=request.user, reason=reason, request=request
    )


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = ("member", "status", "created_at", "decided_by", "decided_at")
    list_filter = ("status",)
    search_fields = ("member__id_number", "member__last_names", "member__member_number")
    readonly_fields = ("member", "status", "created_at", "decided_at", "decided_by", "reason")
    actions = [approve, reject]

    def has_add_permission(self, request):
        return False


@admin.register(TermsDocument)
class TermsDocumentAdmin(admin.ModelAdmin):
    """Staff publish a new version; members accept the newest of each kind."""

    list_display = ("kind", "version", "title", "published_at")
    list_filter = ("kind",)

    def get_readonly_fields(self, request, obj=None):
        # A published text others accepted is never edited: publish a new version.
        return ("kind", "version", "title", "body", "published_at") if obj else ()


@admin.register(TermsAcceptance)
class TermsAcceptanceAdmin(admin.ModelAdmin):
    list_display = ("member", "document", "accepted_at", "ip")
    list_select_related = ("member", "document")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Complaint)
class ComplaintAdmin(admin.ModelAdmin):
    list_display = ("pk", "created_at", "full_name", "product", "claim_amount", "status")
    list_filter = ("status", "product")
    search_fields = ("full_name", "id_number", "email")
    fields = (
        "status",
        "member",
        "product",
        "product_number",
        "full_name",
        "id_number",
        "phone",
        "email",
        "detail",
        "claim_amount",
        "returned_amount",
        "data_consent",
        "download",
        "created_at",
    )
    readonly_fields = tuple(f for f in fields if f != "status")

    @admin.display(description="adjunto")
    def download(self, obj):
        if not obj.attachment:
            return "—"
        url = reverse("accounts:complaint_attachment", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.attachment_name or "Descargar")

    def has_add_permission(self, request):
        return False


@admin.register(FaqEntry)
class FaqEntryAdmin(admin.ModelAdmin):
    list_display = ("question", "position", "is_active")
    list_editable = ("position", "is_active")

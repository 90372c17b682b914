""" "Mi perfil": the member's own credentials, devices, data and preferences.

Everything that changes how the member signs in or is reached is an operation kind of
``accounts.profile``, driven by the confirmation dialog (``accounts.confirm``): form →
factor de seguridad → done. The views here read and render; what they save themselves
(preferences, «Quejas y reclamos») needs no code.
"""

import re

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_safe

from accounts import profile as kinds
from accounts.audit import EVENTS
from accounts.complaints import complaint_file, sniff_attachment
from accounts.confirm import operation_view
from accounts.models import AuditEvent, Device, FaqEntry, TermsAcceptance, User
from accounts.owners import request_member, request_owner


@login_required
@require_safe
def profile(request):
    return render(request, "accounts/profile/index.html")


# --- Dispositivos -------------------------------------------------------------------


@login_required
@require_safe
def devices(request):
    items = Device.objects.filter(user=request.user, removed_at__isnull=True)
    return render(request, "accounts/profile/devices.html", {"devices": items})


# --- Notificaciones, tema, actividad -----------------------------------------------------


class SubscriptionsForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["subscribed_news", "subscribed_statement", "subscribed_card_statement"]
        labels = {
            "subscribed_news": _(
                "Publicidad de la Cooperativa: información de interés y promociones"
            ),
            "subscribed_statement": _(
                "Estado de Cuenta Cooperativa: recibirá un correo los primeros días del mes"
            ),
            "subscribed_card_statement": _(
                "Estado de Cuenta Tarjeta de Crédito: recibirá un correo posterior a la "
                "fecha de corte"
            ),
        }


@login_required
@require_http_methods(["GET", "POST"])
def subscriptions(request):
    form = SubscriptionsForm(
        request.POST if request.method == "POST" else None, instance=request.user
    )
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "El proceso se realizó correctamente.")
        return redirect("accounts:profile")
    return render(request, "accounts/profile/subscriptions.html", {"form": form})


@login_required
@require_http_methods(["POST"])
def theme(request):
    choice = request.POST.get("theme")
    if choice in User.Theme.values:
        User.objects.filter(pk=request.user.pk).update(theme=choice)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("accounts:profile")
    return redirect(target)


@login_required
@require_safe
def activity(request):
    events = AuditEvent.objects.filter(user=request.user).order_by("-seq")[:30]
    rows = [(e, EVENTS.get(e.event, e.event)) for e in events]
    return render(request, "accounts/profile/activity.html", {"rows": rows})


@login_required
@require_safe
def terms(request):
    """The contract texts the member accepted, with version and date."""
    member = request_owner(request)
    acceptances = (
        TermsAcceptance.objects.filter(member=member).select_related("document") if member else []
    )
    return render(request, "accounts/profile/terms.html", {"acceptances": acceptances})


@login_required
@require_safe
def support(request):
    return render(request, "accounts/profile/support.html")


class ComplaintForm(forms.Form):
    product = forms.ChoiceField(
        label=_("Producto (*)"),
        choices=[
            ("", _("Elige")),
            ("Cuenta de ahorros", _("Cuenta de ahorros")),
            ("Certificado de aportación", _("Certificado de aportación")),
            ("Crédito", _("Crédito")),
            ("Inversión", _("Inversión")),
            ("Tarjeta de débito", _("Tarjeta de débito")),
            ("Tarjeta de crédito", _("Tarjeta de crédito")),
            ("Banca en línea", _("Banca en línea")),
        ],
    )
    product_number = forms.CharField(
        label=_("Número de cuenta o tarjeta"), max_length=30, required=False
    )
    full_name = forms.CharField(label=_("Nombre y Apellido (*)"), max_length=120)
    id_number = forms.CharField(label=_("Número de cédula o Pasaporte (*)"), max_length=20)
    phone = forms.CharField(label=_("Celular (*)"), max_length=20)
    email = forms.EmailField(label=_("Correo (*)"))
    detail = forms.CharField(
        label=_("Detalle del reclamo (*)"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    claim_amount = forms.DecimalField(
        label=_("Monto del Reclamo (*)"), min_value=0, max_digits=18, decimal_places=2
    )
    returned_amount = forms.DecimalField(
        label=_("Monto Devuelto (*)"), min_value=0, max_digits=18, decimal_places=2
    )
    attachment = forms.FileField(label=_("¿Deseas adjuntar un archivo? (Opcional)"), required=False)
    data_consent = forms.BooleanField(
        label=_("Acepto las condiciones para el tratamiento de mis datos")
    )

    def clean_product_number(self):
        number = self.cleaned_data["product_number"]
        if re.search(r"\d{13,19}", number):
            raise forms.ValidationError(_("Escribe solo los últimos cuatro dígitos de la tarjeta."))
        return number

    def clean_attachment(self):
        upload = self.cleaned_data.get("attachment")
        if upload:
            sniff_attachment(upload)
        return upload


@login_required
@require_http_methods(["GET", "POST"])
def complaint(request):
    member = request_member(request)
    initial = {
        "full_name": member.full_name,
        "id_number": member.id_number,
        "phone": member.mobile_phone,
        "email": member.email,
    }
    form = ComplaintForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "attachment"}
        filed = complaint_file(
            member=member, data=data, attachment=form.cleaned_data.get("attachment")
        )
        messages.success(
            request, f"Recibimos tu reclamo N.º {filed.pk}. Te enviamos la constancia a tu correo."
        )
        return redirect("accounts:support")
    return render(request, "accounts/profile/complaint.html", {"form": form})


@require_safe
def faq(request):
    return render(
        request, "accounts/faq.html", {"entries": FaqEntry.objects.filter(is_active=True)}
    )


password_change = operation_view(kinds.password_change, owner_required=False)
pin_change = operation_view(kinds.pin_change, owner_required=False)
authenticator_add = operation_view(kinds.authenticator_add, owner_required=False)
authenticator_remove_view = operation_view(kinds.authenticator_remove, owner_required=False)
username_change = operation_view(kinds.username_change, owner_required=False)
questions_change = operation_view(kinds.questions_change, owner_required=False)
image_change = operation_view(kinds.image_change, owner_required=False)
personal_data_change = operation_view(kinds.personal_data_change)
device_remove = operation_view(kinds.device_remove, owner_required=False)

"""Activation codes: bulk generation (downloaded as CSV), search as the app reads a
code, and deletion of unused codes only."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .. import permissions
from ..errors import LicenseError
from ..models import PAID_TYPES, ActivationCode, LicenseType, Product
from ..services import activation_codes_generate, normalize_code
from ..views import csv_response

CODE_CSV_HEADER = ("code", "product", "license_type", "duration_days", "expires_at", "notes")


def codes_csv(codes, filename: str) -> HttpResponse:
    rows = (
        (
            c.code,
            c.product.slug,
            c.license_type,
            c.duration_days if c.duration_days is not None else "",
            timezone.localtime(c.expires_at).isoformat() if c.expires_at else "",
            c.notes,
        )
        for c in codes
    )
    return csv_response(filename, CODE_CSV_HEADER, rows)


class CodeUsedFilter(admin.SimpleListFilter):
    title = _("utilisation")
    parameter_name = "used"

    def lookups(self, request, model_admin):
        return [("no", _("Non utilisé")), ("yes", _("Utilisé")), ("expired", _("Non utilisé, expiré"))]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "yes":
            return queryset.filter(used_at__isnull=False)
        if value == "no":
            return queryset.filter(used_at__isnull=True)
        if value == "expired":
            return queryset.filter(used_at__isnull=True, expires_at__lte=timezone.now())
        return queryset


class GenerateCodesForm(forms.Form):
    product = forms.ModelChoiceField(label=_("Produit"), queryset=Product.objects.filter(is_active=True))
    license_type = forms.ChoiceField(label=_("Type de licence"), choices=[(t.value, t.label) for t in PAID_TYPES])
    duration_days = forms.IntegerField(
        label=_("Durée (jours)"),
        min_value=1,
        max_value=36500,
        required=False,
        help_text=_("Jours ajoutés à la licence. Ignoré pour une licence à vie."),
    )
    count = forms.IntegerField(label=_("Nombre de codes"), min_value=1, max_value=1000, initial=10)
    expires_at = forms.DateTimeField(
        label=_("Le code expire le"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Facultatif : date après laquelle le code ne peut plus être activé."),
    )
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("Par exemple : commande, revendeur, campagne."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.fields["product"].queryset.count() == 1:
            self.fields["product"].initial = self.fields["product"].queryset.first()

    def clean(self):
        data = super().clean()
        license_type = data.get("license_type")
        if license_type == LicenseType.LIFETIME:
            data["duration_days"] = None
        elif license_type and not data.get("duration_days") and "duration_days" not in self.errors:
            self.add_error("duration_days", _("Indiquez la durée, sauf pour une licence à vie."))
        expires_at = data.get("expires_at")
        if expires_at and expires_at <= timezone.now():
            self.add_error("expires_at", _("La date doit être dans le futur."))
        return data


@admin.register(ActivationCode)
class ActivationCodeAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "product",
        "license_type",
        "duration_days",
        "used_at",
        "used_by_link",
        "expires_at",
        "created_at",
        "created_by",
    )
    list_filter = ("product", "license_type", CodeUsedFilter)
    search_fields = ("code", "notes")
    list_select_related = ("product", "used_by", "used_by__product", "created_by")
    date_hierarchy = "created_at"
    actions = ("download_csv",)
    # Only the notes and the code's own expiry can change; the rest is the sale itself.
    fields = (
        "code",
        "product",
        "license_type",
        "duration_days",
        "expires_at",
        "used_at",
        "used_by_link",
        "created_at",
        "created_by",
        "notes",
    )
    readonly_fields = (
        "code",
        "product",
        "license_type",
        "duration_days",
        "used_at",
        "used_by_link",
        "created_at",
        "created_by",
    )

    def has_add_permission(self, request):
        # Codes come from the "Générer des codes" page (random, unique, in batches).
        return False

    def has_generate_permission(self, request) -> bool:
        return request.user.has_perm(permissions.GENERATE_CODES)

    def has_view_permission(self, request, obj=None):
        # Whoever generates codes may see them (they download them anyway).
        return super().has_view_permission(request, obj) or self.has_generate_permission(request)

    def has_delete_permission(self, request, obj=None):
        # A used code is the record of a sale: only unused codes can go.
        if obj is not None and obj.used_at is not None:
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        # Bulk deletion would not spare the used codes.
        actions.pop("delete_selected", None)
        return actions

    def get_search_results(self, request, queryset, search_term):
        # "abcd efgh ijkl mnop", "ABCDEFGHIJKLMNOP"... find the code as the app would read it.
        code = normalize_code(search_term)
        if code:
            return queryset.filter(code=code), False
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description=_("Licence"), ordering="used_by")
    def used_by_link(self, obj):
        if obj.used_by_id is None:
            return "-"
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:licenses_license_change", args=[obj.used_by_id]), obj.used_by
        )

    @admin.action(description=_("Télécharger en CSV"))
    def download_csv(self, request, queryset):
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        return codes_csv(queryset.select_related("product").order_by("created_at", "pk"), f"codes-{stamp}.csv")

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_generate": self.has_generate_permission(request)}
        return super().changelist_view(request, extra_context)

    def get_urls(self):
        return [
            path(
                "generer/",
                self.admin_site.admin_view(self.generate_view),
                name="licenses_activationcode_generate",
            ),
            *super().get_urls(),
        ]

    def generate_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_generate_permission(request):
            raise PermissionDenied
        form = GenerateCodesForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                codes = activation_codes_generate(
                    product=data["product"],
                    license_type=data["license_type"],
                    duration_days=data["duration_days"],
                    count=data["count"],
                    expires_at=data["expires_at"],
                    notes=data["notes"],
                    created_by=request.user,
                )
            except LicenseError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(
                    request,
                    ngettext(
                        "%(count)d code généré et téléchargé.", "%(count)d codes générés et téléchargés.", len(codes)
                    )
                    % {"count": len(codes)},
                    messages.SUCCESS,
                )
                stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
                return codes_csv(codes, f"codes-{data['product'].slug}-{data['license_type']}-{stamp}.csv")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Générer des codes d'activation"),
            "form": form,
        }
        status = 400 if request.method == "POST" else 200
        return TemplateResponse(request, "admin/licenses/activationcode/generate.html", context, status=status)

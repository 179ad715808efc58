"""Django admin of the license server.

Every change to a license goes through `licenses.services` (revoke, reinstate, extend),
so that the signed key is re-issued and the activity log gets its row. Licenses are
never added or deleted here: a license row is the "one trial per machine, ever" record.
"""

from __future__ import annotations

import json
import secrets
from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.admin import ReadOnlyAdmin
from core.origin import Origin

from .errors import LicenseError
from .models import (
    PAID_TYPES,
    ActivationCode,
    License,
    LicenseEvent,
    LicenseType,
    Product,
    WebhookDelivery,
    WebhookEndpoint,
)
from .selectors import STATUS_LABELS, status_q
from .services import (
    activation_codes_generate,
    license_extend,
    license_reinstate,
    license_revoke,
    normalize_code,
)
from .views import STATS_PERMISSION, csv_response

# Typed URLs without a scheme are taken as https (Django 6's default).
URL_OVERRIDES = {models.URLField: {"assume_scheme": "https"}}
DEFAULT_REVOKE_REASON = _("Révoquée depuis l'admin")
ACTIVITY_ROWS = 50
STATUS_COLORS = {"active": "#127a43", "expired": "#8a6d00", "revoked": "#b42318"}


def _when(value) -> str:
    return date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT") if value else "-"


# --- products ----------------------------------------------------------------------


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "is_active", "trial_days", "license_count", "created_at")
    list_filter = ("is_active",)
    search_fields = ("slug", "name")
    prepopulated_fields = {"slug": ("name",)}
    formfield_overrides = URL_OVERRIDES
    readonly_fields = ("created_at",)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(license_count=Count("licenses"))

    def get_readonly_fields(self, request, obj=None):
        # The slug is in every signed key already issued: it cannot change afterwards.
        return (*self.readonly_fields, "slug") if obj else self.readonly_fields

    def get_prepopulated_fields(self, request, obj=None):
        return {} if obj else self.prepopulated_fields

    @admin.display(description=_("Licences"), ordering="license_count")
    def license_count(self, obj):
        return obj.license_count


# --- licenses ----------------------------------------------------------------------


class LicenseStatusFilter(admin.SimpleListFilter):
    title = _("statut")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return list(STATUS_LABELS.items())

    def queryset(self, request, queryset):
        if self.value() in STATUS_LABELS:
            return queryset.filter(status_q(self.value()))
        return queryset


class LicenseExpiryFilter(admin.SimpleListFilter):
    title = _("expiration")
    parameter_name = "expiry"

    def lookups(self, request, model_admin):
        return [
            ("expired", _("Expirée")),
            ("7d", _("Expire dans 7 jours")),
            ("30d", _("Expire dans 30 jours")),
            ("lifetime", _("À vie")),
        ]

    def queryset(self, request, queryset):
        now = timezone.now()
        value = self.value()
        if value == "expired":
            return queryset.filter(expires_at__lte=now)
        if value in ("7d", "30d"):
            days = 7 if value == "7d" else 30
            return queryset.filter(expires_at__gt=now, expires_at__lte=now + timedelta(days=days))
        if value == "lifetime":
            return queryset.filter(expires_at__isnull=True)
        return queryset


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label=_("Motif de révocation"),
        max_length=500,
        initial=DEFAULT_REVOKE_REASON,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("Enregistré sur la licence et dans le journal d'activité."),
    )


def status_badge(status: str):
    return format_html(
        '<span style="display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;background:{};'
        'font-size:.8rem;font-weight:600">{}</span>',
        STATUS_COLORS[status],
        STATUS_LABELS[status],
    )


@admin.register(License)
class LicenseAdmin(admin.ModelAdmin):
    list_display = (
        "machine_id",
        "product",
        "email",
        "license_type",
        "status_display",
        "expires_at",
        "last_validated_at",
        "last_heartbeat_at",
        "app_version",
    )
    list_display_links = ("machine_id",)
    list_filter = ("license_type", "product", LicenseStatusFilter, LicenseExpiryFilter)
    search_fields = ("machine_id", "email")
    list_select_related = ("product",)
    date_hierarchy = "created_at"
    actions = ("revoke_selected", "reinstate_selected", "extend_30_days", "extend_365_days")
    # Only the e-mail is plain data: type, expiry and revocation are in the signed key or
    # the activity log, and change through the actions above.
    fieldsets = (
        (
            _("Licence"),
            {"fields": ("product", "machine_id", "email", "license_type", "status_display", "expires_at")},
        ),
        (_("Clé signée"), {"fields": ("key_id", "license_key_display")}),
        (
            _("Dates"),
            {
                "fields": (
                    "created_at",
                    "trial_started_at",
                    "activated_at",
                    "last_validated_at",
                    "last_heartbeat_at",
                )
            },
        ),
        (_("Révocation"), {"fields": ("is_revoked", "revoked_at", "revoked_reason")}),
        (_("Poste client"), {"fields": ("app_version", "os_info", "ip_address", "user_agent")}),
        (_("Activité"), {"fields": ("codes_display", "activity_table")}),
    )
    readonly_fields = (
        "product",
        "machine_id",
        "license_type",
        "status_display",
        "expires_at",
        "key_id",
        "license_key_display",
        "created_at",
        "trial_started_at",
        "activated_at",
        "last_validated_at",
        "last_heartbeat_at",
        "is_revoked",
        "revoked_at",
        "revoked_reason",
        "app_version",
        "os_info",
        "ip_address",
        "user_agent",
        "codes_display",
        "activity_table",
    )

    def has_add_permission(self, request):
        # Licenses are created by the desktop app (trial) or by activating a code.
        return False

    def has_delete_permission(self, request, obj=None):
        # The row is what makes a trial "once per machine, ever": revoke instead.
        return False

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_see_stats": request.user.has_perm(STATS_PERMISSION)}
        return super().changelist_view(request, extra_context)

    # --- columns ---

    @admin.display(description=_("Statut"))
    def status_display(self, obj):
        return status_badge(obj.status)

    @admin.display(description=_("Clé de licence"))
    def license_key_display(self, obj):
        return format_html('<code style="word-break:break-all;white-space:normal">{}</code>', obj.license_key)

    @admin.display(description=_("Codes utilisés"))
    def codes_display(self, obj):
        codes = list(obj.codes_used.order_by("used_at"))
        if not codes:
            return "-"
        return format_html_join(
            format_html("<br>"),
            '<a href="{}">{}</a> · {} · {}',
            (
                (
                    reverse("admin:licenses_activationcode_change", args=[c.pk]),
                    c.code,
                    c.get_license_type_display(),
                    _when(c.used_at),
                )
                for c in codes
            ),
        )

    @admin.display(description=_("Journal d'activité"))
    def activity_table(self, obj):
        events = list(obj.events.select_related("actor").order_by("-created_at", "-pk")[: ACTIVITY_ROWS + 1])
        if not events:
            return "-"
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    _when(e.created_at),
                    e.get_action_display(),
                    e.actor or "",
                    e.ip_address or "",
                    e.app_version,
                    Truncator(e.os_info or e.user_agent).chars(60),
                    json.dumps(e.details, ensure_ascii=False) if e.details else "",
                )
                for e in events[:ACTIVITY_ROWS]
            ),
        )
        more = ""
        if len(events) > ACTIVITY_ROWS:
            more = format_html(
                '<p><a href="{}?license__id__exact={}">{}</a></p>',
                reverse("admin:licenses_licenseevent_changelist"),
                obj.pk,
                _("Voir tout le journal de cette licence"),
            )
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th>"
            "</tr></thead><tbody>{}</tbody></table>{}",
            _("Date"),
            _("Action"),
            _("Par"),
            _("IP"),
            _("Version"),
            _("Système / client"),
            _("Détails"),
            rows,
            more,
        )

    # --- actions ---

    @admin.action(description=_("Révoquer les licences sélectionnées"), permissions=["change"])
    def revoke_selected(self, request, queryset):
        form = RevokeForm(request.POST if "post" in request.POST else None)
        if form.is_bound and form.is_valid():
            origin = Origin.from_request(request)
            done = 0
            for lic in queryset.filter(is_revoked=False):
                license_revoke(license=lic, reason=form.cleaned_data["reason"], origin=origin)
                done += 1
            self.message_user(
                request,
                ngettext("%(count)d licence révoquée.", "%(count)d licences révoquées.", done) % {"count": done},
                messages.SUCCESS if done else messages.WARNING,
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Révoquer des licences"),
            "opts": self.model._meta,
            "licenses": queryset.select_related("product"),
            "form": form,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "action": "revoke_selected",
        }
        return TemplateResponse(request, "admin/licenses/license/revoke_confirmation.html", context)

    @admin.action(description=_("Rétablir les licences sélectionnées"), permissions=["change"])
    def reinstate_selected(self, request, queryset):
        origin = Origin.from_request(request)
        done = 0
        for lic in queryset.filter(is_revoked=True):
            license_reinstate(license=lic, origin=origin)
            done += 1
        self.message_user(
            request,
            ngettext("%(count)d licence rétablie.", "%(count)d licences rétablies.", done) % {"count": done},
            messages.SUCCESS if done else messages.WARNING,
        )

    def _extend(self, request, queryset, days: int) -> None:
        origin = Origin.from_request(request)
        done = 0
        for lic in queryset.filter(expires_at__isnull=False):
            license_extend(license=lic, days=days, origin=origin)
            done += 1
        skipped = queryset.filter(expires_at__isnull=True).count()
        message = ngettext(
            "%(count)d licence prolongée de %(days)d jours.", "%(count)d licences prolongées de %(days)d jours.", done
        ) % {"count": done, "days": days}
        if skipped:
            message += " " + ngettext(
                "%(count)d licence à vie ignorée.", "%(count)d licences à vie ignorées.", skipped
            ) % {"count": skipped}
        self.message_user(request, message, messages.SUCCESS if done else messages.WARNING)

    @admin.action(description=_("Prolonger de 30 jours"), permissions=["change"])
    def extend_30_days(self, request, queryset):
        self._extend(request, queryset, 30)

    @admin.action(description=_("Prolonger de 365 jours"), permissions=["change"])
    def extend_365_days(self, request, queryset):
        self._extend(request, queryset, 365)


# --- activation codes --------------------------------------------------------------


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
        help_text=_("Facultatif : date après laquelle le code ne peut plus être activé."),
    )
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("Par exemple : commande, revendeur, campagne."),
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
        return request.user.has_perm("licenses.add_activationcode")

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


# --- activity log ------------------------------------------------------------------


@admin.register(LicenseEvent)
class LicenseEventAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "license",
        "action",
        "ip_address",
        "user_agent_short",
        "app_version",
        "os_info",
        "actor",
    )
    list_filter = ("action", "created_at")
    search_fields = ("license__machine_id", "license__email", "ip_address")
    list_select_related = ("license", "license__product", "actor")
    date_hierarchy = "created_at"
    # The log grows with every validation: skip the COUNT(*) over the whole table.
    show_full_result_count = False
    fields = (
        "created_at",
        "license_link",
        "action",
        "actor",
        "ip_address",
        "user_agent",
        "app_version",
        "os_info",
        "details_display",
    )
    readonly_fields = fields

    @admin.display(description=_("Client"), ordering="user_agent")
    def user_agent_short(self, obj):
        return Truncator(obj.user_agent).chars(50)

    @admin.display(description=_("Licence"))
    def license_link(self, obj):
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:licenses_license_change", args=[obj.license_id]), obj.license
        )

    @admin.display(description=_("Détails"))
    def details_display(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.details, ensure_ascii=False, indent=2))


# --- webhooks ----------------------------------------------------------------------


class WebhookEndpointForm(forms.ModelForm):
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        label=_("Événements"),
        choices=WebhookEndpoint.Event.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Aucun coché = tous les événements."),
    )

    class Meta:
        model = WebhookEndpoint
        fields = ("url", "events", "secret", "is_active")
        widgets = {"secret": forms.TextInput(attrs={"size": 70, "autocomplete": "off"})}
        help_texts = {"secret": _("Clé partagée de la signature HMAC-SHA256 (en-tête X-EF-Signature).")}


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = WebhookEndpointForm
    formfield_overrides = URL_OVERRIDES
    list_display = ("url", "events_display", "is_active", "created_at")
    list_filter = ("is_active",)
    search_fields = ("url",)

    def get_changeform_initial_data(self, request):
        return {"secret": secrets.token_urlsafe(32), **super().get_changeform_initial_data(request)}

    @admin.display(description=_("Événements"))
    def events_display(self, obj):
        return ", ".join(obj.events) if obj.events else _("tous")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = (
        "event",
        "endpoint",
        "status",
        "attempts",
        "last_status_code",
        "last_error_short",
        "created_at",
        "delivered_at",
    )
    list_filter = ("status", "event")
    search_fields = ("endpoint__url",)
    list_select_related = ("endpoint",)
    date_hierarchy = "created_at"
    fields = (
        "event",
        "event_id",
        "endpoint",
        "status",
        "attempts",
        "last_status_code",
        "last_error",
        "created_at",
        "delivered_at",
        "next_attempt_at",
        "payload_display",
    )
    readonly_fields = fields

    @admin.display(description=_("Dernière erreur"))
    def last_error_short(self, obj):
        return Truncator(obj.last_error).chars(80)

    @admin.display(description=_("Contenu envoyé"))
    def payload_display(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.payload, ensure_ascii=False, indent=2))

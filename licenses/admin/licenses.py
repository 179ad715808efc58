"""Licenses: list filters, the signed key, the activity table, and the admin actions
(revoke, reinstate, extend), each of which calls its service."""

from __future__ import annotations

import json
from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.admin import EditThroughServiceMixin
from core.origin import Origin

from .. import permissions
from ..models import License
from ..selectors import STATUS_LABELS, status_q
from ..services import license_extend, license_reinstate, license_revoke, license_update
from .common import RefuseForbiddenActions, local_times, when

DEFAULT_REVOKE_REASON = _("Révoquée depuis l'admin")
ACTIVITY_ROWS = 50
STATUS_COLORS = {"active": "#127a43", "expired": "#8a6d00", "revoked": "#b42318"}


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
class LicenseAdmin(EditThroughServiceMixin, RefuseForbiddenActions, admin.ModelAdmin):
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
    # Only the e-mail is plain data (services.LICENSE_EDITABLE): type, expiry and revocation
    # are in the signed key or the activity log, and change through the actions above.
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

    def has_view_permission(self, request, obj=None):
        # Whoever may revoke, reinstate or extend a license must be able to find it.
        return super().has_view_permission(request, obj) or permissions.has_any(
            request.user, permissions.ACTS_ON_LICENSES
        )

    # The actions' permissions (@admin.action(permissions=["revoke"]) asks has_revoke_permission):
    # the same ones as the admin API's endpoints.

    def has_revoke_permission(self, request):
        return request.user.has_perm(permissions.REVOKE)

    def has_reinstate_permission(self, request):
        return request.user.has_perm(permissions.REINSTATE)

    def has_extend_permission(self, request):
        return request.user.has_perm(permissions.EXTEND)

    def fields_update(self, request, obj, changes: dict) -> None:
        # Locked, audited in the activity log and attributed by the service.
        license_update(license=obj, changes=changes, origin=Origin.from_request(request))

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_see_stats": request.user.has_perm(permissions.VIEW_STATS)}
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
                    when(c.used_at),
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
            '<tr><td class="nowrap">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>',
            (
                (
                    when(e.created_at),
                    e.get_action_display(),
                    e.actor or "",
                    e.ip_address or "",
                    e.app_version,
                    Truncator(e.os_info or e.user_agent).chars(60),
                    json.dumps(local_times(e.details), ensure_ascii=False) if e.details else "",
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

    @admin.action(description=_("Révoquer les licences sélectionnées"), permissions=["revoke"])
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

    @admin.action(description=_("Rétablir les licences sélectionnées"), permissions=["reinstate"])
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

    @admin.action(description=_("Prolonger de 30 jours"), permissions=["extend"])
    def extend_30_days(self, request, queryset):
        self._extend(request, queryset, 30)

    @admin.action(description=_("Prolonger de 365 jours"), permissions=["extend"])
    def extend_365_days(self, request, queryset):
        self._extend(request, queryset, 365)

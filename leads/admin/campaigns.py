"""Campaigns: filters, and pause / resume through the merchant's own services (a
campaign paused for a depleted deposit resumes only once the deposit allows it).
Name and description are edited through campaign_update; the status never by hand."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.admin import EditThroughServiceMixin

from .. import services
from ..models import Campaign, Lead
from .common import badge, moment, run_each, two_lines

STATUS_COLORS = {Campaign.Status.ACTIVE: "#127a43", Campaign.Status.PAUSED: "#8a6d00"}


@admin.register(Campaign)
class CampaignAdmin(EditThroughServiceMixin, admin.ModelAdmin):
    list_display = ("name", "merchant", "status_reason", "leads", "created")
    list_filter = ("status", "paused_for_deposit", "merchant")
    search_fields = ("name", "merchant__company_name")
    list_select_related = ("merchant",)
    actions = ("pause", "resume")
    fields = ("merchant", "name", "description", "status_display", "paused_for_deposit", "created_at", "updated_at")
    readonly_fields = ("merchant", "status_display", "paused_for_deposit", "created_at", "updated_at")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                lead_count=Count("leads"), pending_count=Count("leads", filter=Q(leads__status=Lead.Status.PENDING))
            )
        )

    def has_add_permission(self, request):
        # A campaign is its merchant's (created from the merchant dashboard or the API).
        return False

    def has_delete_permission(self, request, obj=None):
        # Its leads keep it (PROTECT): a campaign is paused instead.
        return False

    def fields_update(self, request, obj, changes):
        services.campaign_update(merchant=obj.merchant, campaign_id=obj.pk, name=obj.name, description=obj.description)

    @admin.display(description=_("statut"), ordering="status")
    def status_display(self, obj):
        return badge(obj.get_status_display(), STATUS_COLORS[Campaign.Status(obj.status)])

    @admin.display(description=_("statut"), ordering="status")
    def status_reason(self, obj):
        if obj.paused_for_deposit:
            return two_lines(self.status_display(obj), _("faute de dépôt"))
        return self.status_display(obj)

    @admin.display(description=_("leads"), ordering="lead_count")
    def leads(self, obj):
        return two_lines(obj.lead_count, obj.pending_count)

    @admin.display(description=_("créée le"), ordering="created_at")
    def created(self, obj):
        return moment(obj.created_at, "SHORT_DATE_FORMAT")

    @admin.action(description=_("Mettre en pause"), permissions=["change"])
    def pause(self, request, queryset):
        run_each(
            self,
            request,
            list(queryset.order_by("pk")),
            lambda c: services.campaign_pause(merchant=c.merchant, campaign_id=c.pk),
            done_message=lambda n: (
                ngettext("%(count)d campagne en pause.", "%(count)d campagnes en pause.", n) % {"count": n}
            ),
        )

    @admin.action(description=_("Reprendre"), permissions=["change"])
    def resume(self, request, queryset):
        run_each(
            self,
            request,
            list(queryset.order_by("pk")),
            lambda c: services.campaign_resume(merchant=c.merchant, campaign_id=c.pk),
            done_message=lambda n: (
                ngettext("%(count)d campagne reprise.", "%(count)d campagnes reprises.", n) % {"count": n}
            ),
        )

"""Leads: filters (status, campaign, merchant, influencer, source, age), the status
history, and staff's decisions (Valider, Rejeter, Valider en arbitrage), each run
through the service a merchant's own decision uses, lead by lead. Nothing of a lead
is edited by hand: its money and status move only through those services."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import admin
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy

from core.money import format_money

from .. import services
from ..models import Campaign, Lead, LeadEvent
from ..selectors import lead_age_hours
from .common import amount, badge, form_action, moment, two_lines

STATUS_COLORS = {
    Lead.Status.PENDING: "#8a6d00",
    Lead.Status.VALIDATED: "#127a43",
    Lead.Status.REJECTED: "#b42318",
    Lead.Status.EXPIRED: "#5f6f6b",
}


def status_badge(status: str):
    return badge(Lead.Status(status).label, STATUS_COLORS[Lead.Status(status)])


class AgeFilter(admin.SimpleListFilter):
    """How long ago the lead came in: the reminder goes at 48 h, expiry at 72 h."""

    title = _("âge")
    parameter_name = "age"
    # (value, label, newer than N hours ago, older than M hours ago)
    BANDS = (
        ("lt24", _("Moins de 24 h"), None, 24),
        ("24-48", _("24 à 48 h"), 24, 48),
        ("48-72", _("48 à 72 h"), 48, 72),
        ("gt72", _("Plus de 72 h"), 72, None),
    )

    def lookups(self, request, model_admin):
        return [(value, label) for value, label, _older, _newer in self.BANDS]

    def queryset(self, request, queryset):
        now = timezone.now()
        for value, _label, older_than, newer_than in self.BANDS:
            if self.value() == value:
                if older_than is not None:
                    queryset = queryset.filter(created_at__lte=now - timedelta(hours=older_than))
                if newer_than is not None:
                    queryset = queryset.filter(created_at__gt=now - timedelta(hours=newer_than))
        return queryset


class CampaignFilter(admin.RelatedFieldListFilter):
    """Campaigns named with their merchant: two merchants' "Marketing digital" differ."""

    def field_choices(self, field, request, model_admin):
        campaigns = Campaign.objects.select_related("merchant").order_by("merchant__company_name", "name")
        return [(c.pk, f"{c.name} · {c.merchant}") for c in campaigns]


class LeadEventInline(admin.TabularInline):
    model = LeadEvent
    fields = ("created_at", "from_label", "to_label", "actor", "note")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = _("Historique")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        # Whoever may see the lead sees its history (the rows are written by the services).
        return request.user.has_perm("leads.view_lead") or request.user.has_perm("leads.change_lead")

    @admin.display(description=_("de"))
    def from_label(self, obj):
        return Lead.Status(obj.from_status).label if obj.from_status else "-"

    @admin.display(description=_("vers"))
    def to_label(self, obj):
        return Lead.Status(obj.to_status).label


class RatingField(forms.IntegerField):
    def __init__(self, **kwargs):
        super().__init__(label=_("Note (1 à 10)"), min_value=1, max_value=10, **kwargs)


class ValidateForm(forms.Form):
    rating = RatingField()
    feedback = forms.CharField(
        label=pgettext_lazy("merchant feedback", "Retour"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("Motif du rejet"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class DisputeForm(forms.Form):
    rating = RatingField()
    reason = forms.CharField(
        label=_("Motif de la décision"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Pourquoi le litige est tranché en faveur de l'influenceur ; visible dans l'historique du lead."),
    )


@admin.register(Lead)
class LeadAdmin(admin.ModelAdmin):
    # Five columns, related facts sharing a cell, so that the list fits at 1280 px.
    list_display = ("created", "client", "campaign_people", "amounts", "status_age")
    list_filter = ("status", AgeFilter, "source", ("campaign", CampaignFilter), "merchant", "influencer")
    search_fields = ("client_name", "client_email", "client_phone", "company")
    list_select_related = ("campaign", "merchant", "influencer")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-pk")
    actions = ("validate_selected", "reject_selected", "dispute_validate_selected")
    inlines = (LeadEventInline,)
    fieldsets = (
        (
            _("Lead"),
            {"fields": ("campaign", "merchant", "influencer", "status_display", "source", "created_at", "resolved_at")},
        ),
        (_("Client"), {"fields": ("client_name", "client_email", "client_phone", "company", "notes")}),
        (
            _("Commission"),
            {
                "fields": (
                    "value",
                    "commission_display",
                    "influencer_share_display",
                    "platform_share_display",
                    "reserved_display",
                )
            },
        ),
        (_("Décision"), {"fields": ("rating", "feedback", "reason", "reminded_at")}),
    )
    readonly_fields = (
        "campaign",
        "merchant",
        "influencer",
        "status_display",
        "source",
        "created_at",
        "resolved_at",
        "client_name",
        "client_email",
        "client_phone",
        "company",
        "notes",
        "value",
        "commission_display",
        "influencer_share_display",
        "platform_share_display",
        "reserved_display",
        "rating",
        "feedback",
        "reason",
        "reminded_at",
    )

    def has_add_permission(self, request):
        # Leads come from influencers (lead_create: duplicate check, reservation).
        return False

    def has_delete_permission(self, request, obj=None):
        # A lead is the record of a reservation and its outcome: never deleted.
        return False

    def has_change_permission(self, request, obj=None):
        # The change permission runs the actions; a lead's own page is read-only.
        return obj is None and super().has_change_permission(request)

    def get_urls(self):
        return [
            path("en-attente/", self.admin_site.admin_view(self.pending_view), name="leads_lead_pending"),
            *super().get_urls(),
        ]

    def pending_view(self, request):
        # The admin home's dashboard link: the changelist filtered on pending leads.
        return redirect(reverse("admin:leads_lead_changelist") + f"?status__exact={Lead.Status.PENDING}")

    # --- columns ---

    @admin.display(description=_("créé le"), ordering="created_at")
    def created(self, obj):
        return moment(obj.created_at)

    @admin.display(description=_("client"), ordering="client_name")
    def client(self, obj):
        contact = obj.client_email or obj.client_phone
        return two_lines(
            obj.client_name, format_html('<span title="{}">{}</span>', contact, Truncator(contact).chars(22))
        )

    @admin.display(description=_("campagne"), ordering="campaign__name")
    def campaign_people(self, obj):
        return two_lines(obj.campaign, format_html("{}<br>{}", obj.merchant, obj.influencer))

    @admin.display(description=_("montants"), ordering="estimated_value")
    def amounts(self, obj):
        return two_lines(amount(obj.estimated_value, obj.currency), amount(obj.commission, obj.currency))

    @admin.display(description=_("statut"), ordering="status")
    def status_age(self, obj):
        return two_lines(status_badge(obj.status), self.age(obj))

    @admin.display(description=_("valeur estimée"), ordering="estimated_value")
    def value(self, obj):
        return amount(obj.estimated_value, obj.currency)

    @admin.display(description=_("commission réservée"), boolean=True)
    def reserved_display(self, obj):
        return obj.reserved

    @admin.display(description=_("commission"), ordering="commission")
    def commission_display(self, obj):
        return amount(obj.commission, obj.currency)

    @admin.display(description=_("part de l'influenceur"))
    def influencer_share_display(self, obj):
        return amount(obj.influencer_share, obj.currency)

    @admin.display(description=_("part de la plateforme"))
    def platform_share_display(self, obj):
        return amount(obj.platform_share, obj.currency)

    @admin.display(description=_("statut"), ordering="status")
    def status_display(self, obj):
        return status_badge(obj.status)

    @admin.display(description=_("âge"), ordering="-created_at")
    def age(self, obj):
        hours = lead_age_hours(obj)
        if hours < 48:
            return format_html('<span class="nowrap">{} h</span>', hours)
        return format_html('<span class="nowrap">{} j</span>', hours // 24)

    # --- actions ---

    def _rows(self, queryset):
        return [
            f"{lead.client_name} · {lead.campaign} · {lead.merchant} · "
            f"{format_money(lead.commission, lead.currency)} · {lead.get_status_display()}"
            for lead in queryset.order_by("pk")
        ]

    @admin.action(description=_("Valider (avec une note)"), permissions=["change"])
    def validate_selected(self, request, queryset):
        return form_action(
            self,
            request,
            queryset,
            form_class=ValidateForm,
            call=lambda lead, data: services.lead_validate(
                lead_id=lead.pk, merchant=None, rating=data["rating"], feedback=data["feedback"], actor=request.user
            ),
            done_message=lambda n: ngettext("%(count)d lead validé.", "%(count)d leads validés.", n) % {"count": n},
            action="validate_selected",
            title=_("Valider des leads"),
            intro=_(
                "La commission de chaque lead est déduite du dépôt de son marchand et la part de "
                "l'influenceur lui est créditée. Un lead déjà traité est ignoré."
            ),
            submit=_("Valider"),
            rows=self._rows(queryset),
        )

    @admin.action(description=_("Rejeter (avec un motif)"), permissions=["change"])
    def reject_selected(self, request, queryset):
        return form_action(
            self,
            request,
            queryset,
            form_class=RejectForm,
            call=lambda lead, data: services.lead_reject(
                lead_id=lead.pk, merchant=None, reason=data["reason"], actor=request.user
            ),
            done_message=lambda n: ngettext("%(count)d lead rejeté.", "%(count)d leads rejetés.", n) % {"count": n},
            action="reject_selected",
            title=_("Rejeter des leads"),
            intro=_("La réservation de chaque lead est libérée, sans déduction. Un lead déjà traité est ignoré."),
            submit=_("Rejeter"),
            rows=self._rows(queryset),
        )

    @admin.action(description=_("Valider en arbitrage (leads expirés)"), permissions=["change"])
    def dispute_validate_selected(self, request, queryset):
        return form_action(
            self,
            request,
            queryset,
            form_class=DisputeForm,
            call=lambda lead, data: services.lead_dispute_validate(
                lead_id=lead.pk, rating=data["rating"], reason=data["reason"], actor=request.user
            ),
            done_message=lambda n: (
                ngettext("%(count)d lead validé en arbitrage.", "%(count)d leads validés en arbitrage.", n)
                % {"count": n}
            ),
            action="dispute_validate_selected",
            title=_("Valider en arbitrage"),
            intro=_(
                "Un lead expiré depuis moins de %(days)s jours est validé en faveur de l'influenceur : "
                "sa commission est réservée puis déduite maintenant, si le dépôt du marchand le permet."
            )
            % {"days": settings.LEADS_DISPUTE_DAYS},
            submit=_("Valider en arbitrage"),
            rows=self._rows(queryset),
        )

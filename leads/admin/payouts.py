"""Influencers' payout requests: staff pay them by bank transfer, then mark them paid
with the transfer's reference, or refuse them with a reason (the amount goes back to
the earnings); each through its service, which resolves a request once."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.money import format_money

from ..models import Payout
from ..payouts import payout_mark_paid, payout_refuse
from .common import amount, badge, form_action, moment, two_lines

STATUS_COLORS = {Payout.Status.REQUESTED: "#8a6d00", Payout.Status.PAID: "#127a43", Payout.Status.REFUSED: "#b42318"}


class MarkPaidForm(forms.Form):
    transfer_reference = forms.CharField(
        label=_("Référence du virement"),
        max_length=100,
        help_text=_("Celle de votre banque ; enregistrée sur chaque demande sélectionnée."),
    )


class RefuseForm(forms.Form):
    reason = forms.CharField(
        label=_("Motif du refus"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Communiqué à l'influenceur ; le montant revient à ses gains disponibles."),
    )


@admin.register(Payout)
class PayoutAdmin(admin.ModelAdmin):
    # Four columns (the bank account under the name, the outcome under the status) to fit at 1280 px.
    list_display = ("created", "influencer_bank", "amount_display", "status_outcome")
    list_filter = ("status", "created_at")
    search_fields = ("influencer__display_name", "bank_holder", "bank_rib", "transfer_reference")
    list_select_related = ("influencer",)
    date_hierarchy = "created_at"
    actions = ("mark_paid", "refuse")
    fields = (
        "influencer",
        "amount_display",
        "status_display",
        "bank_holder",
        "bank_rib",
        "created_at",
        "transfer_reference",
        "reason",
        "resolved_at",
        "resolved_by",
    )
    readonly_fields = fields

    def has_add_permission(self, request):
        # Requested by the influencer (payout_request: minimum, earnings taken at once).
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        # The change permission runs the actions; a request's own page is read-only.
        return obj is None and super().has_change_permission(request)

    @admin.display(description=_("demandé le"), ordering="created_at")
    def created(self, obj):
        return moment(obj.created_at)

    @admin.display(description=_("montant"), ordering="amount")
    def amount_display(self, obj):
        return amount(obj.amount, obj.currency)

    @admin.display(description=_("statut"), ordering="status")
    def status_display(self, obj):
        return badge(obj.get_status_display(), STATUS_COLORS[Payout.Status(obj.status)])

    @admin.display(description=_("influenceur"), ordering="influencer__display_name")
    def influencer_bank(self, obj):
        return two_lines(obj.influencer, format_html("{}<br>{}", obj.bank_holder, obj.bank_rib))

    @admin.display(description=_("statut"), ordering="status")
    def status_outcome(self, obj):
        if obj.status == Payout.Status.REQUESTED:
            return self.status_display(obj)
        outcome = obj.transfer_reference or Truncator(obj.reason).chars(40)
        return two_lines(self.status_display(obj), format_html("{}<br>{}", outcome, self.resolved(obj)))

    @admin.display(description=_("traité le"), ordering="resolved_at")
    def resolved(self, obj):
        return moment(obj.resolved_at)

    def _rows(self, queryset):
        return [
            f"{p.influencer} · {format_money(p.amount, p.currency)} · {p.bank_holder} · {p.bank_rib} · "
            f"{p.get_status_display()}"
            for p in queryset.order_by("pk")
        ]

    @admin.action(description=_("Marquer payé (référence du virement)"), permissions=["change"])
    def mark_paid(self, request, queryset):
        return form_action(
            self,
            request,
            queryset,
            form_class=MarkPaidForm,
            call=lambda payout, data: payout_mark_paid(
                payout_id=payout.pk, transfer_reference=data["transfer_reference"], actor=request.user
            ),
            done_message=lambda n: (
                ngettext("%(count)d demande marquée payée.", "%(count)d demandes marquées payées.", n) % {"count": n}
            ),
            action="mark_paid",
            title=_("Marquer des paiements comme effectués"),
            intro=_("Après avoir fait le virement : une demande déjà traitée est ignorée."),
            submit=_("Marquer payé"),
            rows=self._rows(queryset),
        )

    @admin.action(description=_("Refuser (avec un motif)"), permissions=["change"])
    def refuse(self, request, queryset):
        return form_action(
            self,
            request,
            queryset,
            form_class=RefuseForm,
            call=lambda payout, data: payout_refuse(payout_id=payout.pk, reason=data["reason"], actor=request.user),
            done_message=lambda n: (
                ngettext("%(count)d demande refusée.", "%(count)d demandes refusées.", n) % {"count": n}
            ),
            action="refuse",
            title=_("Refuser des demandes de paiement"),
            intro=_(
                "Le montant de chaque demande revient aux gains de l'influenceur. Une demande déjà traitée est ignorée."
            ),
            submit=_("Refuser"),
            rows=self._rows(queryset),
        )

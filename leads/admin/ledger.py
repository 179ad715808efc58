"""The ledger: every movement of money, read-only for everyone (superusers included:
a correction is a new row, written by a service), filtered, searched, and exported as
CSV (the selected rows, or the whole filtered list from the button above it)."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.http import StreamingHttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdmin

from ..models import LedgerEntry
from ..selectors import ledger_csv
from .common import amount, moment, two_lines


def ledger_csv_response(entries) -> StreamingHttpResponse:
    """The rows in the order they were written, streamed: a ledger can be long."""
    rows = entries.select_related("recharge").order_by("created_at", "pk").iterator(chunk_size=2000)
    response = StreamingHttpResponse(ledger_csv(rows), content_type="text/csv; charset=utf-8")
    stamp = timezone.localdate().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="grand-livre-{stamp}.csv"'
    return response


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    # Four columns (the movement's non-zero figures one per line) to fit at 1280 px.
    list_display = ("created", "kind_account", "movement", "reason_actor")
    list_filter = ("kind", "created_at", "merchant", "influencer")
    search_fields = ("key", "reason")
    list_select_related = ("merchant", "influencer", "actor")
    date_hierarchy = "created_at"
    # The ledger only grows: no COUNT(*) over the whole table on every page.
    show_full_result_count = False
    actions = ("export_csv",)
    fields = (
        "created_at",
        "key",
        "kind",
        "merchant",
        "influencer",
        "balance_delta",
        "reserved_delta",
        "earnings_delta",
        "currency",
        "lead",
        "recharge",
        "payout",
        "reason",
        "actor",
    )
    readonly_fields = fields

    def get_urls(self):
        return [
            path("export/", self.admin_site.admin_view(self.export_view), name="leads_ledgerentry_export"),
            *super().get_urls(),
        ]

    @admin.display(description=_("le"), ordering="created_at")
    def created(self, obj):
        return moment(obj.created_at)

    @admin.display(description=_("type · compte"), ordering="kind")
    def kind_account(self, obj):
        return two_lines(obj.get_kind_display(), obj.merchant or obj.influencer)

    @admin.display(description=_("mouvement"))
    def movement(self, obj):
        lines = [
            format_html("{} : {}", label, amount(value, obj.currency))
            for label, value in (
                (_("solde"), obj.balance_delta),
                (_("réservé"), obj.reserved_delta),
                (_("gains"), obj.earnings_delta),
            )
            if value
        ]
        return format_html_join(mark_safe("<br>"), "{}", ((line,) for line in lines)) if lines else "-"

    @admin.display(description=_("motif · par"))
    def reason_actor(self, obj):
        reason = format_html('<span title="{}">{}</span>', obj.reason, Truncator(obj.reason).chars(40))
        return two_lines(reason or "-", obj.actor or "")

    @admin.display(description=_("solde"), ordering="balance_delta")
    def balance(self, obj):
        return amount(obj.balance_delta, obj.currency) if obj.balance_delta else "-"

    @admin.display(description=_("réservé"), ordering="reserved_delta")
    def reserved(self, obj):
        return amount(obj.reserved_delta, obj.currency) if obj.reserved_delta else "-"

    @admin.display(description=_("gains"), ordering="earnings_delta")
    def earnings(self, obj):
        return amount(obj.earnings_delta, obj.currency) if obj.earnings_delta else "-"

    @admin.display(description=_("motif"))
    def reason_short(self, obj):
        return format_html('<span title="{}">{}</span>', obj.reason, Truncator(obj.reason).chars(40))

    @admin.action(description=_("Exporter en CSV"), permissions=["view"])
    def export_csv(self, request, queryset):
        return ledger_csv_response(queryset)

    def export_view(self, request):
        """The button above the list: the list as filtered and searched, every page of it."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            return redirect(reverse("admin:leads_ledgerentry_changelist") + "?e=1")
        return ledger_csv_response(changelist.get_queryset(request))

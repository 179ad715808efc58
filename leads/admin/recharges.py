"""Recharges and receipts: read-only (written by the payment webhook and the bank
transfer form), with each receipt's PDF served through the admin."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdmin

from ..models import Receipt, Recharge
from ..receipts import receipt_pdf_response
from .common import amount, badge, moment, two_lines

RECHARGE_COLORS = {
    Recharge.Status.CREATED: "#5f6f6b",
    Recharge.Status.PENDING: "#8a6d00",
    Recharge.Status.PAID: "#127a43",
    Recharge.Status.FAILED: "#b42318",
    Recharge.Status.EXPIRED: "#5f6f6b",
}


@admin.register(Recharge)
class RechargeAdmin(ReadOnlyAdmin):
    # Five columns (method under the merchant, what was paid under the amount) to fit at 1280 px.
    list_display = ("created", "merchant_method", "status_display", "amounts", "session")
    list_filter = ("status", "method", "merchant")
    search_fields = ("session_id", "external_reference", "merchant__company_name")
    list_select_related = ("merchant", "receipt")
    date_hierarchy = "created_at"
    exclude = ("checkout_url",)

    @admin.display(description=_("créée le"), ordering="created_at")
    def created(self, obj):
        return moment(obj.created_at)

    @admin.display(description=_("marchand"), ordering="merchant__company_name")
    def merchant_method(self, obj):
        return two_lines(obj.merchant, obj.get_method_display())

    @admin.display(description=_("montant"), ordering="amount")
    def amounts(self, obj):
        paid = self.paid(obj)
        if obj.refunded_amount:
            paid = format_html("{}<br>{} {}", paid, _("remboursé"), amount(obj.refunded_amount, obj.currency))
        return two_lines(amount(obj.amount, obj.currency), paid)

    @admin.display(description=_("statut"), ordering="status")
    def status_display(self, obj):
        return badge(obj.get_status_display(), RECHARGE_COLORS[Recharge.Status(obj.status)])

    @admin.display(description=_("payé"), ordering="paid_amount")
    def paid(self, obj):
        receipt = getattr(obj, "receipt", None)
        if receipt is None:
            return amount(obj.paid_amount, obj.currency)
        return format_html(
            '{}<br><a href="{}">{}</a>',
            amount(obj.paid_amount, obj.currency),
            reverse("admin:leads_receipt_pdf", args=[receipt.pk]),
            receipt.number,
        )

    @admin.display(description=_("session / référence"))
    def session(self, obj):
        text = obj.session_id or obj.external_reference or "-"
        return format_html('<span class="nowrap" title="{}">{}</span>', text, Truncator(text).chars(24))


@admin.register(Receipt)
class ReceiptAdmin(ReadOnlyAdmin):
    list_display = ("number", "merchant", "amount_display", "issued", "pdf_link")
    list_filter = ("merchant",)
    search_fields = ("number", "merchant__company_name")
    list_select_related = ("merchant",)
    date_hierarchy = "issued_at"
    fields = ("number", "merchant", "recharge", "amount_display", "issued_at", "pdf_link")
    readonly_fields = fields

    def get_urls(self):
        return [
            path("<int:object_id>/pdf/", self.admin_site.admin_view(self.pdf_view), name="leads_receipt_pdf"),
            *super().get_urls(),
        ]

    @admin.display(description=_("montant"), ordering="amount")
    def amount_display(self, obj):
        return amount(obj.amount, obj.currency)

    @admin.display(description=_("émis le"), ordering="issued_at")
    def issued(self, obj):
        return moment(obj.issued_at)

    @admin.display(description=_("PDF"))
    def pdf_link(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("admin:leads_receipt_pdf", args=[obj.pk]), _("Télécharger"))

    def pdf_view(self, request, object_id: int):
        if not self.has_view_permission(request):
            raise PermissionDenied
        receipt = Receipt.objects.select_related("merchant", "recharge").filter(pk=object_id).first()
        if receipt is None:
            raise Http404
        return receipt_pdf_response(receipt)

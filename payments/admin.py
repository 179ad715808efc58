import json

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdmin
from core.money import format_money

from .models import Checkout, PaymentEvent


def _pretty_json(value) -> str:
    return format_html('<pre style="white-space: pre-wrap">{}</pre>', json.dumps(value, indent=2, ensure_ascii=False))


class ProcessedFilter(admin.SimpleListFilter):
    title = _("traité")
    parameter_name = "processed"

    def lookups(self, request, model_admin):
        return (("yes", _("Oui")), ("no", _("Non (en erreur ou en attente)")))

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(processed_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(processed_at__isnull=True)
        return queryset


class EventInline(admin.TabularInline):
    model = PaymentEvent
    fields = ("received_at", "type", "event_id", "processed_at", "outcome", "error")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Checkout)
class CheckoutAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "domain", "reference", "amount_display", "status", "provider", "session_id")
    list_filter = ("provider", "status", "domain", "currency")
    search_fields = ("session_id", "payment_reference", "reference")
    date_hierarchy = "created_at"
    inlines = [EventInline]
    fields = (
        "provider",
        "domain",
        "reference",
        "description",
        "amount",
        "currency",
        "status",
        "amount_paid",
        "refunded_amount",
        "disputed_amount",
        "session_id",
        "payment_reference",
        "checkout_url",
        "expires_at",
        "metadata_pretty",
        "last_error",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields

    @admin.display(description=_("montant"), ordering="amount")
    def amount_display(self, obj):
        return format_money(obj.amount, obj.currency)

    @admin.display(description=_("métadonnées"))
    def metadata_pretty(self, obj):
        return _pretty_json(obj.metadata)


@admin.register(PaymentEvent)
class PaymentEventAdmin(ReadOnlyAdmin):
    list_display = ("received_at", "type", "event_id", "processed_at", "outcome", "checkout")
    list_filter = ("provider", "type", "kind", ProcessedFilter)
    list_select_related = ("checkout",)
    search_fields = ("event_id", "checkout__session_id", "checkout__payment_reference", "outcome")
    date_hierarchy = "received_at"
    fields = (
        "provider",
        "event_id",
        "type",
        "kind",
        "checkout",
        "received_at",
        "processed_at",
        "attempts",
        "outcome",
        "error",
        "payload_pretty",
    )
    readonly_fields = fields

    @admin.display(description=_("contenu"))
    def payload_pretty(self, obj):
        return _pretty_json(obj.payload)

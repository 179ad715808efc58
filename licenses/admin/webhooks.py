"""Outgoing webhooks: the endpoints staff configure, and the deliveries (read-only, with
a "retry now" action)."""

from __future__ import annotations

import json
import secrets

from django import forms
from django.contrib import admin
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from core.admin import ReadOnlyAdmin, RetryNowMixin

from ..models import WebhookDelivery, WebhookEndpoint
from ..webhooks import webhooks_retry_now
from .common import URL_OVERRIDES


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
class WebhookDeliveryAdmin(RetryNowMixin, ReadOnlyAdmin):
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
    actions = ["retry_now"]

    retry_permission = "licenses.change_webhookdelivery"
    retry_done = ngettext_lazy(
        "%(count)d livraison remise en file d'envoi.", "%(count)d livraisons remises en file d'envoi.", "count"
    )
    retry_skipped = ngettext_lazy(
        "%(count)d livraison ignorée (déjà envoyée ou en cours d'envoi).",
        "%(count)d livraisons ignorées (déjà envoyées ou en cours d'envoi).",
        "count",
    )

    def retry(self, ids: list[int]) -> list[int]:
        return webhooks_retry_now(delivery_ids=ids)

    @admin.display(description=_("Dernière erreur"))
    def last_error_short(self, obj):
        return Truncator(obj.last_error).chars(80)

    @admin.display(description=_("Contenu envoyé"))
    def payload_display(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.payload, ensure_ascii=False, indent=2))

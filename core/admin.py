from django.contrib import admin, messages
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from . import services
from .models import OutboundMessage


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written by the system: staff can look, nobody edits or deletes."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class EditThroughServiceMixin:
    """An admin whose change form writes through the domain's service (locked, audited):
    only the fields the form really changed are handed to `fields_update()`, which the
    admin defines by calling its service. Rows are created elsewhere (no add page)."""

    def save_model(self, request, obj, form, change):
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        if changes:
            self.fields_update(request, obj, changes)

    def fields_update(self, request: HttpRequest, obj, changes: dict) -> None:
        raise ImproperlyConfigured(f"{type(self).__name__} must define fields_update() calling its service")


class RetryNowMixin:
    """The "Réessayer maintenant" action of a core.delivery model (outbox messages,
    webhook deliveries): rows are read-only, retrying is its own permission (the model's
    "change"), each reset row gets an admin history entry (who asked, when).

    A subclass sets `retry_permission`, `retry_done` and `retry_skipped` (ngettext_lazy
    with a "count" number), and `retry(ids)` calling its service (the ids it reset)."""

    retry_permission: str
    retry_done: str
    retry_skipped: str

    def has_retry_permission(self, request):
        return request.user.has_perm(self.retry_permission)

    @admin.action(description=_("Réessayer maintenant"), permissions=["retry"])
    def retry_now(self, request, queryset):
        reset = self.retry(list(queryset.values_list("pk", flat=True)))
        for row in queryset.model.objects.filter(pk__in=reset):
            self.log_change(request, row, "Réessayer maintenant")
        skipped = queryset.count() - len(reset)
        if reset:
            self.message_user(request, self.retry_done % {"count": len(reset)}, messages.SUCCESS)
        if skipped:
            self.message_user(request, self.retry_skipped % {"count": skipped}, messages.WARNING)


@admin.register(OutboundMessage)
class OutboundMessageAdmin(RetryNowMixin, admin.ModelAdmin):
    # Status and attempts first: beside the admin's menu and filters, the later columns
    # need a horizontal scroll, and a failed message must be seen without one.
    list_display = (
        "created_at",
        "status",
        "attempts",
        "channel",
        "to",
        "subject",
        "last_error_short",
        "next_attempt_at",
        "sent_at",
        "backend",
    )
    list_filter = ("status", "channel", "backend")
    search_fields = ("to", "subject", "body", "key")
    date_hierarchy = "created_at"
    fields = (
        "channel",
        "to",
        "subject",
        "body",
        "key",
        "status",
        "attempts",
        "next_attempt_at",
        "lease_until",
        "last_error",
        "created_at",
        "sent_at",
        "backend",
        "provider_id",
    )
    readonly_fields = fields
    actions = ["retry_now"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    retry_permission = "core.change_outboundmessage"
    retry_done = ngettext_lazy(
        "%(count)d message remis en file d'envoi.", "%(count)d messages remis en file d'envoi.", "count"
    )
    retry_skipped = ngettext_lazy(
        "%(count)d message ignoré (déjà envoyé ou en cours d'envoi).",
        "%(count)d messages ignorés (déjà envoyés ou en cours d'envoi).",
        "count",
    )

    def retry(self, ids: list[int]) -> list[int]:
        return services.messages_retry_now(message_ids=ids)

    @admin.display(description=_("Dernière erreur"))
    def last_error_short(self, obj):
        return Truncator(obj.last_error).chars(60)

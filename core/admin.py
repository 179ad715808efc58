from django.contrib import admin, messages
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

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


@admin.register(OutboundMessage)
class OutboundMessageAdmin(admin.ModelAdmin):
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

    # Rows are read-only; retrying one is its own permission (the model's "change").
    def has_retry_permission(self, request):
        return request.user.has_perm("core.change_outboundmessage")

    @admin.display(description=_("Dernière erreur"))
    def last_error_short(self, obj):
        return Truncator(obj.last_error).chars(60)

    @admin.action(description=_("Réessayer maintenant"), permissions=["retry"])
    def retry_now(self, request, queryset):
        reset = services.messages_retry_now(message_ids=list(queryset.values_list("pk", flat=True)))
        # Django's admin history is the audit row: who asked for the retry, and when.
        for message in OutboundMessage.objects.filter(pk__in=reset):
            self.log_change(request, message, "Réessayer maintenant")
        skipped = queryset.count() - len(reset)
        if reset:
            self.message_user(
                request,
                ngettext(
                    "%(count)d message remis en file d'envoi.",
                    "%(count)d messages remis en file d'envoi.",
                    len(reset),
                )
                % {"count": len(reset)},
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d message ignoré (déjà envoyé ou en cours d'envoi).",
                    "%(count)d messages ignorés (déjà envoyés ou en cours d'envoi).",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )

from django.contrib import admin

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
    list_display = ("created_at", "channel", "to", "subject", "status", "attempts", "sent_at", "backend")
    list_filter = ("channel", "status", "backend")
    search_fields = ("to", "subject", "body", "key")
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in OutboundMessage._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

from django.contrib import admin

from core.admin import ReadOnlyAdmin

from .models import StaffRefreshToken


@admin.register(StaffRefreshToken)
class StaffRefreshTokenAdmin(ReadOnlyAdmin):
    """The staff API sessions, for looking; a session is revoked by its holder
    (POST /api/v1/admin/token/revoke), by deactivating the user or changing their password."""

    list_display = ("user", "family", "issued_at", "expires_at", "used_at", "revoked_at", "revoked_reason")
    list_filter = ("revoked_reason",)
    list_select_related = ("user",)
    search_fields = ("user__username",)
    date_hierarchy = "issued_at"

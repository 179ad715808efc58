from django.contrib import admin

from core.admin import ReadOnlyAdmin

from .models import StaffRefreshToken


@admin.register(StaffRefreshToken)
class StaffRefreshTokenAdmin(ReadOnlyAdmin):
    """The staff API sessions, for looking; a session is revoked by its holder
    (POST /api/v1/admin/token/revoke), by deactivating the user or changing their password."""

    # Whether and why a session was revoked first: beside the admin's menu and filters,
    # the last columns need a horizontal scroll (the family id is long and wraps).
    list_display = ("user", "issued_at", "revoked_reason", "revoked_at", "used_at", "expires_at", "family")
    list_filter = ("revoked_reason",)
    list_select_related = ("user",)
    search_fields = ("user__username",)
    date_hierarchy = "issued_at"

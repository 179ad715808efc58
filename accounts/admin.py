from django.contrib import admin
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdmin

from .models import CustomerProfile, StaffRefreshToken


def _moment(value, short_format: str = "SHORT_DATETIME_FORMAT"):
    """A time in the site's time zone, short ("02/12/2026 07:25"), in full on hover."""
    if value is None:
        return "-"
    local = timezone.localtime(value)
    full, short = date_format(local, "DATETIME_FORMAT"), date_format(local, short_format)
    return format_html('<span class="nowrap" title="{}">{}</span>', full, short)


@admin.register(StaffRefreshToken)
class StaffRefreshTokenAdmin(ReadOnlyAdmin):
    """The staff API sessions, for looking; a session is revoked by its holder
    (POST /api/v1/admin/token/revoke), by deactivating the user or changing their password."""

    # Whether and why a session was revoked first, with short dates and the session id cut:
    # with one long date per column the table needed a horizontal scroll beside the admin's
    # menu and filters.
    list_display = ("holder", "issued", "revocation", "used", "expires", "session")
    list_filter = ("revoked_reason",)
    list_select_related = ("user",)
    search_fields = ("user__username",)
    date_hierarchy = "issued_at"

    @admin.display(description=_("membre"), ordering="user__username")
    def holder(self, obj):
        return obj.user

    @admin.display(description=_("émis le"), ordering="issued_at")
    def issued(self, obj):
        return _moment(obj.issued_at)

    @admin.display(description=_("révocation"), ordering="revoked_at")
    def revocation(self, obj):
        if obj.revoked_at is None:
            return "-"
        reason = obj.get_revoked_reason_display()
        return format_html('{}<br><span class="quiet">{}</span>', reason, _moment(obj.revoked_at))

    @admin.display(description=_("utilisé le"), ordering="used_at")
    def used(self, obj):
        return _moment(obj.used_at)

    @admin.display(description=_("expire le"), ordering="expires_at")
    def expires(self, obj):
        # The day is enough to read in a list; the time is on hover.
        return _moment(obj.expires_at, "SHORT_DATE_FORMAT")

    @admin.display(description=_("session"), ordering="family")
    def session(self, obj):
        # The first group identifies a session at a glance; the whole id is on hover and
        # on the detail page.
        return format_html('<span class="nowrap" title="{}">{}</span>', obj.family, str(obj.family)[:8])


@admin.register(CustomerProfile)
class CustomerProfileAdmin(ReadOnlyAdmin):
    """Customer accounts, for looking: an e-mail is verified only by its owner's click on
    the link sent to it (accounts.customers), never by hand."""

    list_display = ("holder", "email", "verified_email", "verified", "created")
    list_select_related = ("user",)
    search_fields = ("user__email", "user__first_name", "verified_email")
    date_hierarchy = "created_at"

    @admin.display(description=_("client"), ordering="user__first_name")
    def holder(self, obj):
        return obj.user.get_full_name() or obj.user.get_username()

    @admin.display(description=_("e-mail du compte"), ordering="user__email")
    def email(self, obj):
        return obj.user.email

    @admin.display(description=_("e-mail vérifié le"), ordering="email_verified_at")
    def verified(self, obj):
        return _moment(obj.email_verified_at)

    @admin.display(description=_("créé le"), ordering="created_at")
    def created(self, obj):
        return _moment(obj.created_at)

"""The activity log: read-only, written by the services."""

from __future__ import annotations

import json

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdmin

from ..models import LicenseEvent
from .common import local_times


@admin.register(LicenseEvent)
class LicenseEventAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "license",
        "action",
        "ip_address",
        "user_agent_short",
        "app_version",
        "os_info",
        "actor",
    )
    list_filter = ("action", "created_at")
    search_fields = ("license__machine_id", "license__email", "ip_address")
    list_select_related = ("license", "license__product", "actor")
    date_hierarchy = "created_at"
    # The log grows with every validation: skip the COUNT(*) over the whole table.
    show_full_result_count = False
    fields = (
        "created_at",
        "license_link",
        "action",
        "actor",
        "ip_address",
        "user_agent",
        "app_version",
        "os_info",
        "details_display",
    )
    readonly_fields = fields

    @admin.display(description=_("Client"), ordering="user_agent")
    def user_agent_short(self, obj):
        return Truncator(obj.user_agent).chars(50)

    @admin.display(description=_("Licence"))
    def license_link(self, obj):
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:licenses_license_change", args=[obj.license_id]), obj.license
        )

    @admin.display(description=_("Détails"))
    def details_display(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(local_times(obj.details), ensure_ascii=False, indent=2))

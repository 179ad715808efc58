"""What several admin modules share."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format

# Typed URLs without a scheme are taken as https (Django 6's default).
URL_OVERRIDES = {models.URLField: {"assume_scheme": "https"}}


class RefuseForbiddenActions:
    """Django leaves out an action the user may not run, and a forged POST of it only gets
    "no action selected". Here it is refused with a 403, as the admin API refuses it."""

    def changelist_view(self, request, extra_context=None):
        if request.method == "POST":
            name = request.POST.get("action")
            declared = {action if isinstance(action, str) else action.__name__ for action in self.actions or ()}
            if name in declared and name not in self.get_actions(request):
                raise PermissionDenied
        return super().changelist_view(request, extra_context)


def when(value) -> str:
    return date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT") if value else "-"


def local_times(value):
    """Event details as stored (times in ISO 8601, UTC: an expiry...) with those times in
    the site's time zone, like every other date of the admin; the rest unchanged."""
    if isinstance(value, dict):
        return {key: local_times(item) for key, item in value.items()}
    if isinstance(value, list):
        return [local_times(item) for item in value]
    if isinstance(value, str):
        try:
            moment = parse_datetime(value)
        except ValueError:
            moment = None
        if moment is not None and timezone.is_aware(moment):
            return when(moment)
    return value

"""What several admin modules share."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils import timezone
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

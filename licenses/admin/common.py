"""What several admin modules share."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.formats import date_format

# Typed URLs without a scheme are taken as https (Django 6's default).
URL_OVERRIDES = {models.URLField: {"assume_scheme": "https"}}


def when(value) -> str:
    return date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT") if value else "-"

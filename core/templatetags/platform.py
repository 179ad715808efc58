from datetime import date, datetime
from typing import NamedTuple

from django import template
from django.apps import apps
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import pgettext_lazy

register = template.Library()


@register.filter
def thousands(value) -> str:
    """45000 -> '45 000' (French grouping with a narrow no-break space)."""
    try:
        return f"{int(value):,}".replace(",", "\u202f")
    except (TypeError, ValueError):
        return value


@register.filter
def nowrap(value) -> str:
    """Keeps a short value on one line inside a sentence ('150 000 FCFA' must not
    break before the currency on a phone)."""
    return format_html('<span class="nowrap">{}</span>', value)


# Short dates as French writes them ("24 oct.", "jeu. 24 oct."), the CLDR abbreviations.
# Django's "M"/"D" give "Oct"/"jeu" (capitals, no dot) and its "N" the AP style ("March",
# "Sept."); these are translated for English like any other string.
MONTHS_ABBR = (
    pgettext_lazy("abbreviated month", "janv."),
    pgettext_lazy("abbreviated month", "févr."),
    pgettext_lazy("abbreviated month", "mars"),
    pgettext_lazy("abbreviated month", "avr."),
    pgettext_lazy("abbreviated month", "mai"),
    pgettext_lazy("abbreviated month", "juin"),
    pgettext_lazy("abbreviated month", "juil."),
    pgettext_lazy("abbreviated month", "août"),
    pgettext_lazy("abbreviated month", "sept."),
    pgettext_lazy("abbreviated month", "oct."),
    pgettext_lazy("abbreviated month", "nov."),
    pgettext_lazy("abbreviated month", "déc."),
)
WEEKDAYS_ABBR = (
    pgettext_lazy("abbreviated weekday", "lun."),
    pgettext_lazy("abbreviated weekday", "mar."),
    pgettext_lazy("abbreviated weekday", "mer."),
    pgettext_lazy("abbreviated weekday", "jeu."),
    pgettext_lazy("abbreviated weekday", "ven."),
    pgettext_lazy("abbreviated weekday", "sam."),
    pgettext_lazy("abbreviated weekday", "dim."),
)


@register.filter
def short_date(value, parts: str = "") -> str:
    """date(2026, 10, 24) -> '24 oct.'; `parts` may ask for "weekday" ('sam. 24 oct.') and
    "year" ('24 oct. 2026'), e.g. {{ day|short_date:"weekday year" }}. No-break spaces:
    a date never splits across lines."""
    if not isinstance(value, date):
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
    text = f"{value.day}\u00a0{MONTHS_ABBR[value.month - 1]}"
    if "weekday" in parts.split():
        text = f"{WEEKDAYS_ABBR[value.weekday()]}\u00a0{text}"
    if "year" in parts.split():
        text = f"{text}\u00a0{value.year}"
    return text


class Dashboard(NamedTuple):
    """A staff page listed under "Tableaux de bord" on the admin home and on its app's
    index. Each app declares its own as `dashboards` on its AppConfig (a sequence of
    these), as it declares `api_permissions`; the page shows those the user may open."""

    title: str
    url_name: str
    # "app_label.codename": the one the page itself checks.
    permission: str
    # Secondary links beside it, e.g. an export: (label, url name) pairs.
    links: tuple[tuple[str, str], ...] = ()


@register.simple_tag(takes_context=True)
def staff_dashboards(context, app_label: str = "") -> list[dict]:
    """The dashboards of every app (or of `app_label`'s) that the current user may open,
    with their URLs, for admin/_dashboards.html."""
    user = context["request"].user
    configs = [apps.get_app_config(app_label)] if app_label else apps.get_app_configs()
    return [
        {
            "title": dashboard.title,
            "url": reverse(dashboard.url_name),
            "links": [(label, reverse(url_name)) for label, url_name in dashboard.links],
        }
        for config in configs
        for dashboard in getattr(config, "dashboards", ())
        if user.has_perm(dashboard.permission)
    ]

from django import template
from django.utils.html import format_html

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

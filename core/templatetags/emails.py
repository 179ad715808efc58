"""Filters for the HTML e-mail templates (templates/email/): inline styles only, since
mail clients drop style sheets and classes."""

from django import template
from django.utils.html import format_html

register = template.Library()


@register.filter
def keep_together(value) -> str:
    """A tracking number inside a sentence stays on one line: phones would otherwise
    break it at its dashes, and a customer copies it by hand."""
    return format_html('<span style="white-space:nowrap;">{}</span>', value)

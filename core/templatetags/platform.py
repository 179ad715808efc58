from django import template

register = template.Library()


@register.filter
def thousands(value) -> str:
    """45000 -> '45 000' (French grouping with a narrow no-break space)."""
    try:
        return f"{int(value):,}".replace(",", "\u202f")
    except (TypeError, ValueError):
        return value

from django import template

from revisions.quote_links import QuoteLinkView, quote_link_view

register = template.Library()


@register.simple_tag(takes_context=True)
def quote_link(context, revision) -> QuoteLinkView:
    """`{% quote_link item as link %}`: the signed link the tracking page was opened with
    (checked against the revision already loaded: no query)."""
    return quote_link_view(params=context["request"].GET, revision=revision)

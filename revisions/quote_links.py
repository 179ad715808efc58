"""Signed links that let a customer accept or decline a quote.

The tracking number alone lets whoever has seen it view a request; committing the
customer to an amount needs proof that they received the quote: the link in the
quote's e-mail or SMS. The token is signed with SECRET_KEY under a salt used for
nothing else, names the revision and the quote version it was sent for, and expires
after REVISION_QUOTE_LINK_DAYS. Nothing is stored: sending a new quote bumps the
version, which makes every older link outdated at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.urls import reverse

from core.notify import tracking_url

from .models import Revision

SALT = "revisions.quote-decision"
# A real token is about 60 characters; anything much longer is not worth verifying.
MAX_TOKEN_LENGTH = 200
# Query parameters of the tracking page: the token, and the accept confirmation step.
TOKEN_PARAM = "devis"  # noqa: S105 - a parameter name, not a secret
CONFIRM_PARAM = "confirmer"


class LinkState(StrEnum):
    VALID = "valid"
    OUTDATED = "outdated"  # genuine, but for an earlier version of the quote
    EXPIRED = "expired"
    INVALID = "invalid"  # tampered, malformed, or for another revision


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=SALT)


def quote_token(*, revision: Revision) -> str:
    return _signer().sign(f"{revision.pk}.{revision.quote_version}")


def quote_link_url(*, revision: Revision) -> str:
    """The absolute link sent by e-mail and SMS: the tracking page with the token."""
    query = urlencode({TOKEN_PARAM: quote_token(revision=revision)}, safe=":")
    return f"{tracking_url(revision.tracking.number)}?{query}"


def quote_page_path(*, number: str, token: str = "", confirm: bool = False) -> str:
    """The tracking page, opened with a link's token (and at the accept confirmation step)."""
    path = reverse("tracking:detail", args=[number])
    if not token:
        return path
    params = {TOKEN_PARAM: token, **({CONFIRM_PARAM: "1"} if confirm else {})}
    return f"{path}?{urlencode(params, safe=':')}#devis"


def quote_link_version(*, token: str, revision: Revision) -> int:
    """The quote version a link was sent for. Raises `signing.SignatureExpired` for an
    expired link and `signing.BadSignature` for any other link that is not this
    revision's."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise signing.BadSignature("missing or oversized token")
    value = _signer().unsign(token, max_age=timedelta(days=settings.REVISION_QUOTE_LINK_DAYS))
    pk, _sep, version = value.partition(".")
    if pk != str(revision.pk) or not version.isdigit():
        raise signing.BadSignature("token for another revision")
    return int(version)


def quote_link_state(*, token: str, revision: Revision) -> LinkState:
    try:
        version = quote_link_version(token=token, revision=revision)
    except signing.SignatureExpired:
        return LinkState.EXPIRED
    except signing.BadSignature:
        return LinkState.INVALID
    if version == revision.quote_version:
        return LinkState.VALID
    return LinkState.OUTDATED if version < revision.quote_version else LinkState.INVALID


@dataclass(frozen=True)
class QuoteLinkView:
    """What the tracking page shows about the link it was opened with."""

    token: str
    state: LinkState | None  # None: opened without a link (the number alone)
    confirming: bool  # the accept confirmation step

    @property
    def valid(self) -> bool:
        return self.state is LinkState.VALID


def quote_link_view(*, params, revision: Revision) -> QuoteLinkView:
    """Reads the tracking page's query string. No query, and nothing verified, when the
    page is opened without a token (the hot path)."""
    token = params.get(TOKEN_PARAM, "")
    if not token:
        return QuoteLinkView(token="", state=None, confirming=False)
    state = quote_link_state(token=token, revision=revision)
    return QuoteLinkView(token=token, state=state, confirming=state is LinkState.VALID and CONFIRM_PARAM in params)

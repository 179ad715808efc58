from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The address that rate limits and audit rows count.

    REMOTE_ADDR, unless it is a trusted proxy (TRUSTED_PROXIES): then the right-most
    X-Forwarded-For entry that is not itself a trusted proxy. Entries further left
    can be forged by the client, so they are never used.
    """
    remote = request.META.get("REMOTE_ADDR", "") or "0.0.0.0"  # noqa: S104
    trusted = settings.TRUSTED_PROXIES
    if remote not in trusted:
        return remote
    forwarded = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    for hop in reversed(forwarded):
        if hop not in trusted:
            return hop
    return remote


def ratelimit_key(group: str, request: HttpRequest) -> str:
    """Key function for django-ratelimit."""
    return client_ip(request)

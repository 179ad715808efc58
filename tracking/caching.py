"""Cache of the public tracking JSON, one entry per number and language.

Customers refresh their tracking page far more often than anything changes, and the
ORM work for an item and its history costs ~3 ms against ~0.3 ms for a Redis GET, so
the JSON is served from Redis. Every change drops the entries after commit: each history
row (status changes go through tracking.services) and each save of a service's model
(admin edits). The TTL bounds staleness for changes made elsewhere (a fleet car renamed).
"""

from django.conf import settings
from django.core.cache import cache
from django.db import transaction


def json_key(number: str, language: str) -> str:
    return f"tracking:json:{number}:{language}"


def invalidate(number: str) -> None:
    keys = [json_key(number, code) for code, _name in settings.LANGUAGES]
    transaction.on_commit(lambda: cache.delete_many(keys))


def invalidate_instance(sender, instance, **kwargs) -> None:
    """post_save receiver connected for every registered service model."""
    from .models import TrackedItem

    # The services load the tracking row with the object: no query then.
    if type(instance).tracking.is_cached(instance):
        number = instance.tracking.number
    else:
        number = TrackedItem.objects.values_list("number", flat=True).filter(pk=instance.tracking_id).first()
    if number:
        invalidate(number)

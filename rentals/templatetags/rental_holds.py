from datetime import datetime, timedelta

from django import template
from django.conf import settings

from rentals.models import Rental

register = template.Library()


@register.simple_tag
def rental_hold_until(rental: Rental) -> datetime:
    """`{% rental_hold_until item as until %}`: when a request staff have not confirmed
    expires (the cutoff of services.rentals_expire_holds, seen from the request)."""
    return rental.created_at + timedelta(hours=settings.RENTAL_HOLD_HOURS)

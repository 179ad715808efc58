"""Reads for the rental pages."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils import timezone

from core import fragments
from core.money import Money

from .models import BLOCKING, Rental, RentalVehicle

# How far ahead the booking form shows a car's booked days.
BOOKED_HORIZON_DAYS = 180
# Replaced after every change of a car or of a booking's dates or status
# (core.fragments.changed): the cached booking form is then rendered again.
FLEET_VERSION = "rentals:fleet-version"


def fleet_changed() -> None:
    """The booking form shows the fleet again from the database after this transaction."""
    fragments.changed(FLEET_VERSION)


def fleet_changed_receiver(sender, **kwargs) -> None:
    fleet_changed()


@dataclass(frozen=True)
class FleetVehicle:
    """A car as the booking form shows it: its details, price, and the days it is taken
    (dates only: who booked it is nobody else's business)."""

    vehicle: RentalVehicle
    daily_rate: Money
    booked: list[tuple[date, date]]


def _merged(ranges: list[tuple[date, date]]) -> list[tuple[date, date]]:
    merged: list[tuple[date, date]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1] + timedelta(days=1):
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def fleet_for_booking(*, today: date | None = None) -> list[FleetVehicle]:
    """The cars offered for rent with their booked days from today on (two queries,
    whatever the fleet's size): back-to-back bookings are shown as one range."""
    today = today or timezone.localdate()
    vehicles = list(RentalVehicle.objects.filter(is_active=True))
    booked: dict[int, list[tuple[date, date]]] = defaultdict(list)
    rows = Rental.objects.filter(
        vehicle__in=[v.pk for v in vehicles],
        status__in=BLOCKING,
        end_date__gte=today,
        start_date__lte=today + timedelta(days=BOOKED_HORIZON_DAYS),
    ).values_list("vehicle_id", "start_date", "end_date")
    for vehicle_id, start, end in rows:
        booked[vehicle_id].append((max(start, today), end))
    return [
        FleetVehicle(vehicle=v, daily_rate=Money(v.daily_rate, v.currency), booked=_merged(booked[v.pk]))
        for v in vehicles
    ]

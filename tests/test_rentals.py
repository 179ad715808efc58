from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from rentals.models import Rental
from rentals.services import VehicleUnavailable, rental_price, rental_status_change
from tests.concurrency import run_at_once

from .factories import RentalVehicleFactory, make_rental, rental_form_data

pytestmark = pytest.mark.django_db


def test_price_is_days_times_daily_rate():
    vehicle = RentalVehicleFactory(daily_rate=Decimal("45000"))
    today = timezone.localdate()
    quote = rental_price(vehicle=vehicle, start_date=today, end_date=today + timedelta(days=3))
    assert quote.days == 4
    assert quote.total.amount == Decimal("180000.00") and quote.total.currency == "XOF"
    same_day = rental_price(vehicle=vehicle, start_date=today, end_date=today)
    assert same_day.days == 1


def test_overlapping_booking_is_refused():
    vehicle = RentalVehicleFactory()
    make_rental(vehicle=vehicle, start_in_days=5, days=3)
    with pytest.raises(VehicleUnavailable):
        make_rental(vehicle=vehicle, start_in_days=7, days=2)
    # Adjacent dates and other vehicles are fine.
    make_rental(vehicle=vehicle, start_in_days=8, days=2)
    make_rental(start_in_days=5, days=3)


def test_cancelled_booking_frees_the_dates():
    vehicle = RentalVehicleFactory()
    rental = make_rental(vehicle=vehicle)
    rental_status_change(rental=rental, to_status="annulee")
    make_rental(vehicle=vehicle)


def test_database_refuses_overlap_even_without_the_service_check():
    """The exclusion constraint holds even if code skips the check."""
    from django.db import IntegrityError

    rental = make_rental()
    clone = Rental.objects.get(pk=rental.pk)
    clone.pk = None
    from tracking.services import tracked_item_allocate

    clone.tracking = tracked_item_allocate(prefix="LOC", initial_status="en_attente")
    with pytest.raises(IntegrityError, match="rental_no_overlap"):
        clone.save()


def test_public_form_books_a_vehicle(client, django_capture_on_commit_callbacks):
    vehicle = RentalVehicleFactory(daily_rate=Decimal("20000"))
    start = timezone.localdate() + timedelta(days=2)
    data = rental_form_data(vehicle, start=start)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/locations/", data)
    assert response.status_code == 302
    rental = Rental.objects.get()
    assert rental.total_amount == Decimal("40000.00") and rental.days == 2
    again = client.post("/locations/", data)
    assert again.status_code == 400
    assert "déjà réservé" in again.content.decode()
    assert Rental.objects.count() == 1


def test_form_refuses_dates_in_the_wrong_order(client):
    vehicle = RentalVehicleFactory()
    start = timezone.localdate() + timedelta(days=5)
    response = client.post(
        "/locations/",
        {
            "vehicle": vehicle.pk,
            "start_date": start.isoformat(),
            "end_date": (start - timedelta(days=2)).isoformat(),
            "pickup_place": "Dakar",
            "client_name": "A B",
            "client_email": "a@example.com",
            "client_phone": "+221700000000",
        },
    )
    assert response.status_code == 400
    assert Rental.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_bookings_of_the_same_dates_cannot_both_succeed():
    """Two real transactions on two connections race for the same car and dates."""
    vehicle = RentalVehicleFactory()
    outcomes = run_at_once(
        *[
            lambda name=name: make_rental(vehicle=vehicle, start_in_days=10, days=4, client_email=f"{name}@example.com")
            for name in ("first", "second")
        ]
    )
    results = [_booking_result(o) for o in outcomes]
    assert sorted(results) == ["booked", "refused"]
    assert Rental.objects.filter(vehicle=vehicle).count() == 1


def _booking_result(outcome) -> str:
    if isinstance(outcome, VehicleUnavailable):
        return "refused"
    return f"error: {outcome!r}" if isinstance(outcome, BaseException) else "booked"


def _race(vehicle, *, start_in_days: int, bookers: int) -> list[str]:
    """`bookers` threads, each on its own connection, book the same dates at once."""
    outcomes = run_at_once(
        *[
            lambda n=n: make_rental(
                vehicle=vehicle, start_in_days=start_in_days, days=3, client_email=f"c{n}@example.com"
            )
            for n in range(bookers)
        ]
    )
    return sorted(_booking_result(o) for o in outcomes)


@pytest.mark.django_db(transaction=True)
def test_many_racing_bookings_of_one_car_give_one_booking_and_clean_refusals():
    """Rounds of four bookings released at once: every loser gets the "déjà réservé"
    refusal, never a database error (PostgreSQL used to report a deadlock here)."""
    vehicle = RentalVehicleFactory()
    for round_ in range(5):
        results = _race(vehicle, start_in_days=10 + 5 * round_, bookers=4)
        assert results == ["booked", "refused", "refused", "refused"], results
    assert Rental.objects.filter(vehicle=vehicle).count() == 5


def test_a_deadlock_reported_by_postgresql_is_the_same_clean_refusal(monkeypatch):
    """If PostgreSQL still aborts a racing booking, the customer sees the usual refusal."""
    import psycopg
    from django.db import OperationalError

    vehicle = RentalVehicleFactory()

    def deadlocked_save(self, *args, **kwargs):
        try:
            raise psycopg.errors.DeadlockDetected("deadlock detected")
        except psycopg.errors.DeadlockDetected as exc:
            raise OperationalError("deadlock detected") from exc

    monkeypatch.setattr(Rental, "save", deadlocked_save)
    with pytest.raises(VehicleUnavailable, match="déjà réservé"):
        make_rental(vehicle=vehicle)

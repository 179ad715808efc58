"""Item 4: a rental request staff do not confirm within RENTAL_HOLD_HOURS expires."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.utils import timezone, translation

from core.models import OutboundMessage
from rentals.models import BLOCKING, Rental
from rentals.services import rental_status_change, rentals_expire_holds
from rentals.tasks import expire_holds
from tracking.models import TrackingEvent
from tracking.services import TransitionError

from .factories import RentalVehicleFactory, make_rental

pytestmark = pytest.mark.django_db


def _booked_hours_ago(hours: float, **kwargs) -> Rental:
    rental = make_rental(**kwargs)
    Rental.objects.filter(pk=rental.pk).update(created_at=timezone.now() - timedelta(hours=hours))
    return rental


def test_unconfirmed_request_expires_after_the_hold_and_frees_the_dates(django_capture_on_commit_callbacks):
    # given a request made 49 hours ago that nobody confirmed
    vehicle = RentalVehicleFactory()
    rental = _booked_hours_ago(49, vehicle=vehicle)
    mail.outbox.clear()
    # when the beat job runs
    with django_capture_on_commit_callbacks(execute=True):
        assert expire_holds.apply().get() == 1
    # then it is expired, with a system history row and one e-mail to the customer
    rental.refresh_from_db()
    assert rental.status == "expiree"
    event = TrackingEvent.objects.filter(item=rental.tracking).latest("pk")
    assert (event.from_status, event.status, event.actor, event.ip) == ("en_attente", "expiree", None, None)
    assert "48 heures" in event.note
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["awa.sarr@example.com"]
    assert mail.outbox[0].subject == f"Location {rental.tracking.number}\u00a0: Expirée"
    assert "les dates sont libérées" in mail.outbox[0].body
    # and the same car can be booked for the same dates again
    make_rental(vehicle=vehicle, client_email="next@example.com")


def test_request_within_the_hold_is_kept():
    rental = _booked_hours_ago(47)
    assert rentals_expire_holds() == 0
    rental.refresh_from_db()
    assert rental.status == "en_attente"


def test_hold_length_follows_the_setting(settings):
    settings.RENTAL_HOLD_HOURS = 2
    rental = _booked_hours_ago(3)
    assert rentals_expire_holds() == 1
    rental.refresh_from_db()
    assert rental.status == "expiree"
    assert "2 heures" in TrackingEvent.objects.filter(item=rental.tracking).latest("pk").note


def test_rental_confirmed_by_staff_does_not_expire():
    rental = _booked_hours_ago(24)
    rental_status_change(rental=rental, to_status="confirmee")
    Rental.objects.filter(pk=rental.pk).update(created_at=timezone.now() - timedelta(hours=100))
    assert rentals_expire_holds() == 0
    rental.refresh_from_db()
    assert rental.status == "confirmee"


def test_job_run_twice_expires_once_records_one_row_and_sends_one_email(django_capture_on_commit_callbacks):
    rentals = [_booked_hours_ago(50) for _ in range(3)]
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert expire_holds.apply().get() == 3
        assert expire_holds.apply().get() == 0
    assert len(mail.outbox) == 3
    for rental in rentals:
        events = TrackingEvent.objects.filter(item=rental.tracking, status="expiree")
        assert events.count() == 1
        assert OutboundMessage.objects.filter(key=f"tracking:event:{events.get().pk}:email").count() == 1


def test_expiry_works_in_batches(django_capture_on_commit_callbacks):
    from tracking.services import status_change_many

    for _ in range(5):
        _booked_hours_ago(50)
    expired = status_change_many(
        queryset=Rental.objects.filter(status="en_attente"), to_status="expiree", note="n", notify=False, batch_size=2
    )
    assert expired == 5
    assert not Rental.objects.filter(status="en_attente").exists()


def test_staff_cannot_confirm_an_expired_request():
    rental = _booked_hours_ago(49)
    rentals_expire_holds()
    rental.refresh_from_db()
    with pytest.raises(TransitionError):
        rental_status_change(rental=rental, to_status="confirmee")


def test_staff_status_page_does_not_offer_expiry(staff_client):
    rental = make_rental()
    page = staff_client.get(f"/admin/rentals/rental/{rental.pk}/statut/")
    assert [c[0] for c in page.context["form"].fields["to_status"].choices] == ["", "confirmee", "annulee"]


def test_expired_request_is_shown_as_such_on_the_tracking_page(client):
    rental = _booked_hours_ago(49)
    rentals_expire_holds()
    number = rental.tracking.number
    body = client.get(f"/api/tracking/{number}").json()
    assert body["status"] == "expiree" and body["status_label"] == "Expirée"
    assert [(s["done"], s["current"]) for s in body["steps"]] == [(True, False), (False, False)] + [(False, False)] * 2
    assert "Expirée" in client.get(f"/tracking/{number}/").content.decode()
    client.cookies["django_language"] = "en"
    assert client.get(f"/api/tracking/{number}").json()["status_label"] == "Expired"


def test_exclusion_constraint_holds_exactly_the_blocking_statuses():
    """EXPIREE (like ANNULEE and TERMINEE) must free the dates in the database too."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'rental_no_overlap'")
        (definition,) = cursor.fetchone()
    held = {status for status in Rental.Status.values if f"'{status}'" in definition}
    assert held == set(BLOCKING)
    assert "expiree" not in held


def test_expiry_runs_every_15_minutes():
    entry = next(e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "rentals.expire_holds")
    assert entry["schedule"] == 15 * 60


@pytest.mark.django_db(transaction=True)
def test_a_request_staff_are_confirming_right_now_is_not_expired_under_them():
    """The job skips a row another transaction holds; staff's confirmation then wins."""
    import threading

    from django.db import transaction

    rental = _booked_hours_ago(49)
    locked, release = threading.Event(), threading.Event()

    def staff_confirms() -> None:
        try:
            with transaction.atomic():
                row = Rental.objects.select_for_update().select_related("tracking").get(pk=rental.pk)
                locked.set()
                release.wait(timeout=10)
                rental_status_change(rental=row, to_status="confirmee")
        finally:
            connection.close()

    staff = threading.Thread(target=staff_confirms)
    staff.start()
    assert locked.wait(timeout=10)
    assert rentals_expire_holds() == 0
    release.set()
    staff.join(timeout=10)
    assert rentals_expire_holds() == 0
    assert Rental.objects.get(pk=rental.pk).status == "confirmee"


def test_the_booking_email_tells_the_customer_how_long_the_car_is_held(settings, django_capture_on_commit_callbacks):
    settings.RENTAL_HOLD_HOURS = 24
    # A request made in French (the e-mail follows the language the request was made in).
    with django_capture_on_commit_callbacks(execute=True), translation.override("fr"):
        make_rental()
    assert "réservé pendant 24 heures" in mail.outbox[-1].body

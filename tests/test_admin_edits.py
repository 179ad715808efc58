"""Item 10 (tracking side): staff edits of a request's customer fields go through the
services and leave a staff-only audit row; staff confirm rentals from the admin."""

import pytest
from django.core import mail

from rentals.models import Rental
from revisions.models import Revision
from tracking.models import TrackingEvent
from tracking.services import tracked_fields_update

from .factories import make_rental, make_revision

pytestmark = pytest.mark.django_db


def _revision_form(revision, **changes):
    form = {
        "client_name": revision.client_name,
        "client_email": revision.client_email,
        "client_phone": revision.client_phone,
        "vehicle_make": revision.vehicle_make,
        "vehicle_model": revision.vehicle_model,
        "vehicle_year": str(revision.vehicle_year),
        "vehicle_plate": revision.vehicle_plate,
        "mileage": str(revision.mileage),
        "problem_description": revision.problem_description,
        "preferred_date": revision.preferred_date.isoformat() if revision.preferred_date else "",
        # The photos and videos inline's management form, as the page sends it (no media).
        "media-TOTAL_FORMS": "0",
        "media-INITIAL_FORMS": "0",
    }
    form.update(changes)
    return form


def _rental_form(rental, **changes):
    form = {
        "pickup_place": rental.pickup_place,
        "client_name": rental.client_name,
        "client_email": rental.client_email,
        "client_phone": rental.client_phone,
    }
    form.update(changes)
    return form


def test_admin_edit_of_customer_fields_is_written_by_the_service_and_audited(staff_client):
    # given a revision
    revision = make_revision()
    # when staff correct the e-mail and the mileage in the admin change form
    response = staff_client.post(
        f"/admin/revisions/revision/{revision.pk}/change/",
        _revision_form(revision, client_email="  Jean.Marc@Example.org ", mileage="46000"),
    )
    # then the row holds the normalised values
    assert response.status_code == 302
    revision.refresh_from_db()
    assert (revision.client_email, revision.mileage) == ("jean.marc@example.org", 46000)
    # and one internal history row says who changed what from what to what
    audit = TrackingEvent.objects.filter(item=revision.tracking).latest("pk")
    assert audit.internal is True
    assert (audit.from_status, audit.status) == ("en_attente", "en_attente")
    assert audit.actor == staff_client.user
    assert "e-mail\u00a0: jean.dupont@example.com → jean.marc@example.org" in audit.note
    assert "kilométrage (km)\u00a0: 45000 → 46000" in audit.note
    assert "nom du client" not in audit.note  # unchanged fields are not listed


def test_the_audit_row_never_reaches_the_public_page_or_json(client, staff_client):
    revision = make_revision()
    staff_client.post(
        f"/admin/revisions/revision/{revision.pk}/change/",
        _revision_form(revision, client_email="nouveau@example.org", client_phone="+221775554433"),
    )
    number = revision.tracking.number
    body = client.get(f"/api/tracking/{number}").json()
    assert [h["status"] for h in body["history"]] == ["en_attente"]
    html = client.get(f"/tracking/{number}/").content.decode()
    for secret in ["nouveau@example.org", "jean.dupont@example.com", "775554433", "Modifié par l'équipe"]:
        assert secret not in html and secret not in str(body), secret


def test_staff_see_the_audit_row_in_the_history_table(staff_client):
    revision = make_revision()
    staff_client.post(
        f"/admin/revisions/revision/{revision.pk}/change/", _revision_form(revision, client_phone="+221775554433")
    )
    html = staff_client.get(f"/admin/revisions/revision/{revision.pk}/change/").content.decode()
    assert "[interne] Modifié par l&#x27;équipe\u00a0: téléphone\u00a0: +221771234567 → +221775554433" in html


def test_saving_the_form_unchanged_leaves_no_audit_row(staff_client):
    revision = make_revision()
    before = TrackingEvent.objects.count()
    response = staff_client.post(f"/admin/revisions/revision/{revision.pk}/change/", _revision_form(revision))
    assert response.status_code == 302
    assert TrackingEvent.objects.count() == before


def test_rental_admin_edit_is_audited_and_cannot_move_the_car_or_the_dates(staff_client):
    rental = make_rental()
    other_car = make_rental().vehicle
    form = _rental_form(rental, pickup_place="Hôtel Radisson", vehicle=other_car.pk, start_date="2030-01-01")
    response = staff_client.post(f"/admin/rentals/rental/{rental.pk}/change/", form)
    assert response.status_code == 302
    fresh = Rental.objects.get(pk=rental.pk)
    assert fresh.pickup_place == "Hôtel Radisson"
    assert (fresh.vehicle_id, fresh.start_date) == (rental.vehicle_id, rental.start_date)
    audit = TrackingEvent.objects.filter(item=rental.tracking, internal=True).get()
    assert audit.note == "Modifié par l'équipe\u00a0: lieu de prise en charge\u00a0: Aéroport AIBD → Hôtel Radisson"


def test_fields_update_refuses_the_status_and_the_tracking_number():
    revision = make_revision()
    with pytest.raises(ValueError, match="status"):
        tracked_fields_update(obj=revision, changes={"status": "termine"}, editable=frozenset({"status"}), origin=None)
    assert Revision.objects.get(pk=revision.pk).status == "en_attente"


# --- staff confirm rentals ------------------------------------------------------------


def test_confirm_action_confirms_pending_rentals_and_tells_each_customer_once(
    staff_client, django_capture_on_commit_callbacks
):
    pending = [make_rental(), make_rental()]
    cancelled = make_rental()
    Rental.objects.filter(pk=cancelled.pk).update(status="annulee")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            "/admin/rentals/rental/",
            {"action": "confirm", "_selected_action": [r.pk for r in [*pending, cancelled]]},
            follow=True,
        )
    assert response.status_code == 200
    html = response.content.decode()
    assert "2 locations confirmées." in html and "1 location ignorée" in html
    assert sorted(Rental.objects.values_list("status", flat=True)) == ["annulee", "confirmee", "confirmee"]
    assert sorted(m.subject.rsplit(": ", 1)[1] for m in mail.outbox) == ["Confirmée", "Confirmée"]
    event = TrackingEvent.objects.filter(item=pending[0].tracking).latest("pk")
    assert (event.status, event.actor) == ("confirmee", staff_client.user)


def test_pending_rental_page_has_a_confirm_button_that_preselects_the_status(staff_client):
    rental = make_rental()
    html = staff_client.get(f"/admin/rentals/rental/{rental.pk}/change/").content.decode()
    url = f"/admin/rentals/rental/{rental.pk}/statut/?to_status=confirmee"
    assert f'href="{url}"' in html and ">Confirmer<" in html
    page = staff_client.get(url)
    assert page.context["form"]["to_status"].value() == "confirmee"
    response = staff_client.post(url, {"to_status": "confirmee", "note": "", "notify": "on"})
    assert response.status_code == 302
    assert Rental.objects.get(pk=rental.pk).status == "confirmee"
    # Confirmed: no button any more.
    html = staff_client.get(f"/admin/rentals/rental/{rental.pk}/change/").content.decode()
    assert ">Confirmer<" not in html

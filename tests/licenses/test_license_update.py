"""Item 10 (licenses side): staff edits of a license in the Django admin go through
`license_update`, which writes only what changed and appends an "edited" activity row."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from licenses.models import License, LicenseEvent, LicenseType
from licenses.selectors import license_stats

from .factories import LicenseFactory, StaffFactory

pytestmark = pytest.mark.django_db


def change_url(lic):
    return reverse("admin:licenses_license_change", args=[lic.pk])


def test_staff_edit_of_the_email_is_written_and_logged_with_old_and_new_value(staff_client, product):
    # given a license
    lic = LicenseFactory(n=1)
    # when staff correct its e-mail in the admin change form
    response = staff_client.post(
        change_url(lic), {"email": "  Nouveau.Client@Example.org "}, REMOTE_ADDR="192.0.2.10", HTTP_USER_AGENT="ua"
    )
    # then the row holds the normalised address
    assert response.status_code == 302
    lic.refresh_from_db()
    assert lic.email == "nouveau.client@example.org"
    # and one activity row says who changed it, from what to what
    event = LicenseEvent.objects.get(license=lic)
    assert event.action == LicenseEvent.Action.EDITED
    assert event.get_action_display() == "Modifiée par l'équipe"
    assert event.details == {"email": ["client1@example.com", "nouveau.client@example.org"]}
    assert (event.actor, event.ip_address) == (staff_client.user, "192.0.2.10")
    # and the license page shows it in its activity table
    page = staff_client.get(change_url(lic)).content.decode()
    assert "Modifiée par l&#x27;équipe" in page and "nouveau.client@example.org" in page


def test_saving_the_form_unchanged_writes_no_activity_row(staff_client, product):
    lic = LicenseFactory(n=1)

    response = staff_client.post(change_url(lic), {"email": lic.email})

    assert response.status_code == 302
    assert not LicenseEvent.objects.exists()


def test_a_forged_post_cannot_change_the_fields_behind_the_signed_key(staff_client, product):
    # given a trial license
    lic = LicenseFactory(n=1)
    before = License.objects.values().get(pk=lic.pk)
    forged = {
        "email": lic.email,
        "machine_id": f"{2:032x}",
        "license_type": LicenseType.LIFETIME,
        "expires_at_0": "01/01/2099",
        "expires_at_1": "00:00:00",
        "expires_at": "2099-01-01 00:00:00",
        "license_key": "EF1.forged.sig",
        "key_id": "forged",
        "is_revoked": "on",
        "revoked_reason": "forged",
        "product": "999",
    }
    # when staff post fields the form shows read-only
    response = staff_client.post(change_url(lic), forged)
    # then nothing changed and nothing was logged
    assert response.status_code == 302
    assert License.objects.values().get(pk=lic.pk) == before
    assert not LicenseEvent.objects.exists()


def test_the_change_form_edits_only_the_email(staff_client, product):
    lic = LicenseFactory(n=1)

    form = staff_client.get(change_url(lic)).context["adminform"].form

    assert set(form.fields) == {"email"}


def test_an_invalid_email_is_a_form_error_not_a_change(staff_client, product):
    lic = LicenseFactory(n=1)

    response = staff_client.post(change_url(lic), {"email": "pas-une-adresse"})

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["email"]
    lic.refresh_from_db()
    assert lic.email == "client1@example.com" and not LicenseEvent.objects.exists()


def test_editing_needs_the_change_permission(client, product):
    lic = LicenseFactory(n=1)
    # Viewing and revoking are not editing.
    client.force_login(StaffFactory(permissions=["view_license", "revoke_license"]))

    response = client.post(change_url(lic), {"email": "autre@example.com"})

    assert response.status_code == 403
    lic.refresh_from_db()
    assert lic.email == "client1@example.com"


def test_an_edit_does_not_count_in_the_statistics(staff_client, product):
    lic = LicenseFactory(n=1, expires_at=timezone.now() + timedelta(days=10))
    before = license_stats()

    staff_client.post(change_url(lic), {"email": "autre@example.com"})

    after = license_stats()
    assert after.validations_per_day == before.validations_per_day
    assert after.total == before.total and after.by_status == before.by_status
    assert staff_client.get(reverse("licenses:stats")).status_code == 200

"""Expiry reminders (e-mail) and the license.expired webhook, run by the daily jobs."""

import uuid
from datetime import timedelta

import pytest
from celery.schedules import crontab
from django.conf import settings
from django.core import mail
from django.utils import timezone

from config.celery import app
from core.models import OutboundMessage
from licenses.models import LicenseEvent, Product, WebhookDelivery, WebhookEndpoint
from licenses.notifications import license_expiry_reminders_send, licenses_expired_notify
from licenses.services import (
    activation_codes_generate,
    license_activate,
    license_extend,
    license_revoke,
)
from licenses.tasks import emit_expired, send_expiry_reminders

from .factories import LicenseFactory, ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ef_product(db):
    return ProductFactory()


def run_reminders(capture):
    """Run the daily task and deliver what it queued (after commit, as in production)."""
    with capture(execute=True):
        return send_expiry_reminders.apply().get()


def local_date(dt) -> str:
    return timezone.localtime(dt).strftime("%d/%m/%Y")


# --- reminders -------------------------------------------------------------------


def test_each_reminder_is_sent_once_per_expiry(ef_product, django_capture_on_commit_callbacks):
    week = LicenseFactory(email="week@example.com", expires_in=timedelta(days=5))
    day = LicenseFactory(email="day@example.com", expires_in=timedelta(hours=12))
    LicenseFactory(email="later@example.com", expires_in=timedelta(days=10))
    LicenseFactory(email="gone@example.com", expires_in=-timedelta(hours=1))

    assert run_reminders(django_capture_on_commit_callbacks) == {"remind7": 1, "remind1": 1}
    assert run_reminders(django_capture_on_commit_callbacks) == {"remind7": 0, "remind1": 0}

    assert sorted(m.to[0] for m in mail.outbox) == ["day@example.com", "week@example.com"]
    week.refresh_from_db()
    day.refresh_from_db()
    assert week.reminded_7d_for == week.expires_at and week.reminded_1d_for is None
    # Already within one day: only the one-day reminder, never the seven-day one.
    assert day.reminded_1d_for == day.expires_at and day.reminded_7d_for is None
    assert set(OutboundMessage.objects.values_list("key", flat=True)) == {
        f"license:{week.pk}:remind7:{week.expires_at.isoformat()}",
        f"license:{day.pk}:remind1:{day.expires_at.isoformat()}",
    }


def test_reminder_content_is_french_with_date_days_left_and_renewal_url(ef_product, django_capture_on_commit_callbacks):
    week = LicenseFactory(email="week@example.com", expires_in=timedelta(days=4, hours=23))
    Product.objects.filter(pk=ef_product.pk).update(renewal_url="https://shop.example.com/easyfacture")
    day = LicenseFactory(email="day@example.com", expires_in=timedelta(hours=3))

    run_reminders(django_capture_on_commit_callbacks)

    [seven] = [m for m in mail.outbox if m.to == ["week@example.com"]]
    assert seven.subject == "EasyFacture\u00a0: votre licence expire dans 5 jours"
    assert "Votre période d'essai de EasyFacture expire le " + local_date(week.expires_at) in seven.body
    assert "dans 5 jours" in seven.body
    assert "https://shop.example.com/easyfacture" in seven.body
    assert week.machine_id in seven.body
    assert "&#x27;" not in seven.body  # plain text: no HTML escaping

    [one] = [m for m in mail.outbox if m.to == ["day@example.com"]]
    assert one.subject.startswith("EasyFacture\u00a0: votre licence expire le " + local_date(day.expires_at))
    assert "il vous reste 1 jour." in one.body
    assert "https://shop.example.com/easyfacture" in one.body


def test_renewal_url_falls_back_to_the_setting(ef_product, django_capture_on_commit_callbacks):
    LicenseFactory(expires_in=timedelta(days=3))

    run_reminders(django_capture_on_commit_callbacks)

    [message] = mail.outbox
    assert settings.LICENSE_RENEWAL_URL in message.body


def test_the_one_day_reminder_follows_the_seven_day_one(ef_product, django_capture_on_commit_callbacks):
    lic = LicenseFactory(expires_in=timedelta(days=5))
    with django_capture_on_commit_callbacks(execute=True):
        assert license_expiry_reminders_send() == {"remind7": 1, "remind1": 0}
    later = timezone.now() + timedelta(days=4, hours=12)
    with django_capture_on_commit_callbacks(execute=True):
        assert license_expiry_reminders_send(now=later) == {"remind7": 0, "remind1": 1}
        assert license_expiry_reminders_send(now=later + timedelta(hours=2)) == {"remind7": 0, "remind1": 0}

    assert len(mail.outbox) == 2
    lic.refresh_from_db()
    assert lic.reminded_7d_for == lic.reminded_1d_for == lic.expires_at


def test_an_extended_license_is_reminded_again_for_its_new_expiry(ef_product, django_capture_on_commit_callbacks):
    lic = LicenseFactory(expires_in=timedelta(days=5))
    run_reminders(django_capture_on_commit_callbacks)
    first_expiry = lic.expires_at

    lic = license_extend(license=lic, days=1)
    assert lic.expires_at != first_expiry
    run_reminders(django_capture_on_commit_callbacks)
    run_reminders(django_capture_on_commit_callbacks)

    assert len(mail.outbox) == 2
    assert local_date(first_expiry) in mail.outbox[0].body
    assert local_date(lic.expires_at) in mail.outbox[1].body
    lic.refresh_from_db()
    assert lic.reminded_7d_for == lic.expires_at


def test_revoked_and_lifetime_licenses_get_no_reminder(ef_product, django_capture_on_commit_callbacks):
    revoked = LicenseFactory(email="revoked@example.com", expires_in=timedelta(days=5))
    license_revoke(license=revoked, reason="fraude")
    revoked_soon = LicenseFactory(email="revoked2@example.com", expires_in=timedelta(hours=5))
    license_revoke(license=revoked_soon, reason="fraude")
    [code] = activation_codes_generate(product=ef_product, license_type="lifetime", duration_days=None, count=1)
    lifetime = license_activate(machine_id=uuid.uuid4().hex, activation_code=code.code, email="life@example.com")
    assert lifetime.expires_at is None

    assert run_reminders(django_capture_on_commit_callbacks) == {"remind7": 0, "remind1": 0}
    assert mail.outbox == []
    assert not OutboundMessage.objects.exists()


def test_a_claim_is_not_taken_for_a_license_extended_meanwhile(ef_product):
    from licenses.notifications import REMINDERS, license_expiry_reminder_send

    lic = LicenseFactory(expires_in=timedelta(days=5))
    stale_expiry = lic.expires_at
    license_extend(license=lic, days=1)

    assert not license_expiry_reminder_send(license_id=lic.pk, reminder=REMINDERS[0], expires_at=stale_expiry)
    assert not OutboundMessage.objects.exists()


# --- license.expired -------------------------------------------------------------


def test_expired_webhook_is_emitted_once(ef_product, django_capture_on_commit_callbacks):
    expired = LicenseFactory(email="old@example.com", expires_in=-timedelta(hours=2))
    LicenseFactory(email="active@example.com", expires_in=timedelta(days=2))
    revoked = LicenseFactory(email="revoked@example.com", expires_in=-timedelta(hours=2))
    license_revoke(license=revoked, reason="fraude")
    # Created after the licenses so that only license.expired deliveries exist.
    endpoint = WebhookEndpoint.objects.create(url="http://127.0.0.1:9/hook", secret="s", events=["license.expired"])

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert emit_expired.apply().get() == 1
        assert emit_expired.apply().get() == 0

    [delivery] = WebhookDelivery.objects.all()
    assert delivery.endpoint == endpoint and delivery.event == "license.expired"
    assert delivery.payload["data"]["id"] == expired.pk
    assert delivery.payload["data"]["expires_at"] == expired.expires_at.isoformat().replace("+00:00", "Z")
    assert len(callbacks) == 1  # one delivery task, scheduled after commit
    [event] = LicenseEvent.objects.filter(action=LicenseEvent.Action.EXPIRED)
    assert event.license_id == expired.pk and event.details == {"expires_at": expired.expires_at.isoformat()}
    expired.refresh_from_db()
    assert expired.expired_notified_for == expired.expires_at


def test_a_renewed_license_that_expires_again_is_announced_again(ef_product):
    lic = LicenseFactory(expires_in=-timedelta(hours=2))
    WebhookEndpoint.objects.create(url="http://127.0.0.1:9/hook", secret="s")
    assert licenses_expired_notify() == 1

    lic = license_extend(license=lic, days=30)
    assert licenses_expired_notify() == 0
    assert licenses_expired_notify(now=lic.expires_at + timedelta(minutes=1)) == 1

    assert WebhookDelivery.objects.filter(event="license.expired").count() == 2
    assert LicenseEvent.objects.filter(license=lic, action=LicenseEvent.Action.EXPIRED).count() == 2


# --- schedule --------------------------------------------------------------------


def test_daily_jobs_are_scheduled_and_registered():
    schedule = settings.CELERY_BEAT_SCHEDULE
    jobs = {entry["task"]: entry["schedule"] for entry in schedule.values()}
    assert jobs["licenses.send_expiry_reminders"] == crontab(hour=8, minute=0)
    assert jobs["licenses.emit_expired"] == crontab(hour=0, minute=30)
    for name in ("licenses.send_expiry_reminders", "licenses.emit_expired", "licenses.deliver_webhook"):
        assert name in app.tasks

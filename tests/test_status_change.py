"""tracking.services.status_change: the one "change status + record history + notify"
that revisions, rentals and the next services share."""

import dataclasses

import pytest
from django.core import mail

from core.models import OutboundMessage
from rentals.services import rental_status_change
from revisions.services import revision_status_change
from tracking import registry
from tracking.models import TrackingEvent
from tracking.services import status_change, status_notify

from .factories import make_rental, make_revision

pytestmark = pytest.mark.django_db


def test_revision_status_change_records_history_and_emails_the_customer_once(django_capture_on_commit_callbacks):
    revision = make_revision()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        revision_status_change(revision=revision, to_status="annule", note="Pièce introuvable", notify=True)
    event = TrackingEvent.objects.filter(item=revision.tracking).latest("pk")
    assert (event.from_status, event.status, event.note) == ("en_attente", "annule", "Pièce introuvable")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["jean.dupont@example.com"]
    assert message.subject == f"Révision {revision.tracking.number}\u00a0: Annulé"
    assert "Bonjour Jean-Marc Dupont" in message.body and "Pièce introuvable" in message.body
    # Keyed on the history row: queueing it again (a retried job) sends nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        status_notify(obj=revision, event=event)
    assert len(mail.outbox) == 1
    assert OutboundMessage.objects.get(key=f"tracking:event:{event.pk}:email").to == "jean.dupont@example.com"


def test_rental_status_change_uses_the_rental_status_email(django_capture_on_commit_callbacks):
    rental = make_rental()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        rental_status_change(rental=rental, to_status="confirmee", note="À bientôt", notify=True)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == f"Location {rental.tracking.number}\u00a0: Confirmée"
    assert "Bonjour Awa Sarr" in mail.outbox[0].body


def test_each_status_change_is_its_own_message(django_capture_on_commit_callbacks):
    rental = make_rental()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        status_change(obj=rental, to_status="confirmee", notify=True)
        status_change(obj=rental, to_status="en_cours", notify=True)
    assert [m.subject.rsplit(": ", 1)[1] for m in mail.outbox] == ["Confirmée", "En cours"]


def test_without_notify_nothing_is_queued():
    rental = make_rental()
    before = OutboundMessage.objects.count()
    status_change(obj=rental, to_status="annulee", notify=False)
    assert OutboundMessage.objects.count() == before


def test_a_service_without_a_status_email_cannot_notify(monkeypatch):
    rental = make_rental()
    service = registry.get("LOC")
    monkeypatch.setitem(registry._services, "LOC", dataclasses.replace(service, status_email=""))
    with pytest.raises(registry.RegistryError):
        status_change(obj=rental, to_status="annulee", notify=True)

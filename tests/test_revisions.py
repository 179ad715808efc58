from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from core.models import OutboundMessage
from revisions.models import Revision
from revisions.services import revision_quote_send
from revisions.tracking import TRANSITIONS, check_transitions
from tracking.models import TrackedItem, TrackingEvent

from .factories import REVISION_FORM, make_revision

pytestmark = pytest.mark.django_db


def quote_url(revision):
    return f"/admin/revisions/revision/{revision.pk}/devis/"


# --- the public form ---------------------------------------------------------------


def test_customer_submits_a_revision_and_gets_a_number_by_email(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/revisions/", REVISION_FORM)
    assert response.status_code == 302
    revision = Revision.objects.select_related("tracking").get()
    number = revision.tracking.number
    assert response["Location"] == f"/tracking/{number}/confirmation/"
    assert revision.status == "en_attente"
    assert revision.client_phone == "+221775554433"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["fatou@example.com"]
    assert number in mail.outbox[0].subject and number in mail.outbox[0].body
    assert TrackingEvent.objects.filter(item=revision.tracking, status="en_attente").count() == 1


def test_invalid_form_is_rerendered_with_messages_and_creates_nothing(client):
    data = {**REVISION_FORM, "client_email": "not-an-email", "mileage": "-5", "vehicle_make": ""}
    response = client.post("/revisions/", data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Veuillez corriger les erreurs" in html
    assert "Fatou Ndiaye" in html  # what was typed is kept
    assert Revision.objects.count() == 0 and TrackedItem.objects.count() == 0
    assert mail.outbox == []


def test_revision_form_requires_csrf():
    csrf_client = Client(enforce_csrf_checks=True)
    assert csrf_client.post("/revisions/", REVISION_FORM).status_code == 403


# --- admin quote validation ------------------------------------------------------


def test_admin_list_shows_client_vehicle_problem_diagnostic_price_status(staff_client):
    make_revision()
    html = staff_client.get("/admin/revisions/revision/").content.decode()
    for text in ["Jean-Marc Dupont", "Toyota Corolla (2020)", "Bruit anormal", "Valider le devis", "Reçu"]:
        assert text in html, text
    assert staff_client.get("/admin/revisions/revision/", {"q": "AB-123"}).status_code == 200
    assert staff_client.get("/admin/revisions/revision/", {"status__exact": "en_attente"}).status_code == 200


def test_quote_validation_requires_a_diagnostic_and_an_amount(staff_client):
    revision = make_revision()
    response = staff_client.post(quote_url(revision), {"diagnostic": "", "amount": "", "currency": "XOF"})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "diagnostic" in errors and "amount" in errors
    response = staff_client.post(quote_url(revision), {"diagnostic": "Usure", "amount": "0", "currency": "XOF"})
    assert "amount" in response.context["form"].errors
    revision.refresh_from_db()
    assert revision.status == "en_attente" and revision.quote_amount is None


def test_quote_validation_sends_the_quote_and_notifies_once(staff_client, django_capture_on_commit_callbacks):
    revision = make_revision()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = staff_client.post(
            quote_url(revision),
            {
                "diagnostic": "Courroie usée",
                "amount": "150000",
                "currency": "XOF",
                "interventions": "Remplacement courroie",
                "parts": "Courroie",
                "notify": "on",
            },
        )
    assert response.status_code == 302
    revision.refresh_from_db()
    assert revision.status == "devis_envoye"
    assert revision.quote_amount == Decimal("150000.00") and revision.quote_currency == "XOF"
    assert revision.diagnostic_at and revision.quote_sent_at
    assert revision.planned_interventions == "Remplacement courroie" and revision.needed_parts == "Courroie"
    event = TrackingEvent.objects.filter(item=revision.tracking).latest("pk")
    assert event.status == "devis_envoye" and event.actor == staff_client.user
    # One e-mail and one SMS, both queued and delivered after commit.
    assert OutboundMessage.objects.filter(key__startswith="revision:event:").count() == 2
    assert callbacks
    assert len(mail.outbox) == 1 and "150\u202f000 FCFA" in mail.outbox[0].body
    sms = OutboundMessage.objects.get(channel="sms")
    assert sms.to == "+221771234567" and sms.status == "sent" and sms.backend == "outbox"
    assert revision.tracking.number in sms.body


def test_quote_without_notify_sends_nothing(staff_client):
    revision = make_revision()
    mail.outbox.clear()
    staff_client.post(quote_url(revision), {"diagnostic": "Usure", "amount": "1000", "currency": "XOF"})
    revision.refresh_from_db()
    assert revision.status == "devis_envoye"
    assert mail.outbox == []
    assert not OutboundMessage.objects.filter(channel="sms").exists()


def test_quote_page_refuses_a_finished_revision(staff_client):
    revision = make_revision()
    Revision.objects.filter(pk=revision.pk).update(status="termine")
    response = staff_client.post(quote_url(revision), {"diagnostic": "x", "amount": "10", "currency": "XOF"})
    assert response.status_code == 400
    assert Revision.objects.get(pk=revision.pk).status == "termine"


def test_quote_page_needs_staff(client, django_user_model):
    revision = make_revision()
    assert client.get(quote_url(revision)).status_code == 302  # to the login page
    user = django_user_model.objects.create_user(username="bob", password="pw-bob-12345")
    client.force_login(user)
    assert client.get(quote_url(revision)).status_code == 302
    staff = django_user_model.objects.create_user(username="viewer", password="pw-viewer-123", is_staff=True)
    client.force_login(staff)
    assert client.get(quote_url(revision)).status_code == 403


def test_admin_status_page_moves_the_revision_along(staff_client):
    revision = make_revision()
    revision_quote_send(revision=revision, diagnostic="d", amount=Decimal("100"), notify=False)
    Revision.objects.filter(pk=revision.pk).update(status="devis_accepte")
    url = f"/admin/revisions/revision/{revision.pk}/statut/"
    page = staff_client.get(url)
    assert [c[0] for c in page.context["form"].fields["to_status"].choices] == ["en_cours", "annule"]
    response = staff_client.post(url, {"to_status": "en_cours", "note": "Pris en charge"})
    assert response.status_code == 302
    assert Revision.objects.get(pk=revision.pk).status == "en_cours"
    refused = staff_client.post(url, {"to_status": "devis_envoye"})
    assert refused.status_code == 200 and Revision.objects.get(pk=revision.pk).status == "en_cours"


# --- the customer answers the quote -------------------------------------------------


def _sent(revision):
    revision_quote_send(revision=revision, diagnostic="Usure", amount=Decimal("150000"), notify=False)
    return revision


def test_customer_accepts_the_quote_and_history_records_time_and_ip():
    revision = _sent(make_revision())
    number = revision.tracking.number
    client = Client(enforce_csrf_checks=True, REMOTE_ADDR="196.1.2.3")
    page = client.get(f"/tracking/{number}/")
    token = page.cookies["csrftoken"].value
    response = client.post(f"/revisions/{number}/devis/", {"decision": "accept", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    revision.refresh_from_db()
    assert revision.status == "devis_accepte" and revision.quote_decided_at
    event = TrackingEvent.objects.filter(item=revision.tracking).latest("pk")
    assert event.status == "devis_accepte" and event.ip == "196.1.2.3" and event.at
    follow = client.get(f"/tracking/{number}/").content.decode()
    assert "Devis accepté" in follow and "Accepter le devis" not in follow


def test_customer_declines_the_quote(client):
    revision = _sent(make_revision())
    client.post(f"/revisions/{revision.tracking.number}/devis/", {"decision": "decline"})
    revision.refresh_from_db()
    assert revision.status == "devis_refuse"


def test_quote_decision_without_csrf_is_refused():
    revision = _sent(make_revision())
    client = Client(enforce_csrf_checks=True)
    response = client.post(f"/revisions/{revision.tracking.number}/devis/", {"decision": "accept"})
    assert response.status_code == 403
    assert Revision.objects.get(pk=revision.pk).status == "devis_envoye"


def test_a_second_answer_does_not_overwrite_the_first(client):
    revision = _sent(make_revision())
    number = revision.tracking.number
    client.post(f"/revisions/{number}/devis/", {"decision": "accept"})
    response = client.post(f"/revisions/{number}/devis/", {"decision": "decline"}, follow=True)
    assert "attend plus de réponse" in response.content.decode()
    assert Revision.objects.get(pk=revision.pk).status == "devis_accepte"


def test_answering_a_quote_that_was_not_sent_is_refused(client):
    revision = make_revision()
    client.post(f"/revisions/{revision.tracking.number}/devis/", {"decision": "accept"})
    assert Revision.objects.get(pk=revision.pk).status == "en_attente"


def test_quote_decision_on_unknown_number_is_a_404(client):
    assert client.post("/revisions/REV-2026-0000-0000/devis/", {"decision": "accept"}).status_code == 404


def test_change_page_links_to_quote_and_status_pages(staff_client):
    revision = make_revision()
    html = staff_client.get(f"/admin/revisions/revision/{revision.pk}/change/").content.decode()
    assert f"/admin/revisions/revision/{revision.pk}/devis/" in html
    assert f"/admin/revisions/revision/{revision.pk}/statut/" in html
    assert "Demande de révision reçue." in html  # the history table


def test_an_open_status_that_cannot_be_cancelled_stops_the_start_up():
    check_transitions(TRANSITIONS)  # the real map is fine
    broken = {**TRANSITIONS, "en_cours": frozenset({"termine"})}
    with pytest.raises(ImproperlyConfigured, match="en_cours"):
        check_transitions(broken)

"""The public doors (contact form, conversation on tracking pages) and the admin,
through the real stack: CSRF, rate limits in Redis, cached pages, the outbox."""

import html as htmllib
import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from core.models import OutboundMessage
from notifications.models import Notification
from support import services
from support.models import Message, Ticket
from tests.factories import make_revision

from .factories import make_support_staff, make_ticket, staff_reply

pytestmark = pytest.mark.django_db
S = Ticket.Status


@pytest.fixture(autouse=True)
def _run_on_commit(monkeypatch):
    """What runs after commit in production (cache invalidation, the outbox's delivery)
    runs at once here: the test's transaction never commits."""
    from django.db import transaction

    monkeypatch.setattr(transaction, "on_commit", lambda func, using=None, robust=False: func())


def contact_data(**overrides):
    data = {
        "name": "Awa Diop",
        "email": "awa@example.com",
        "phone": "",
        "category": "billing",
        "subject": "Facture en double",
        "message": "J'ai reçu deux factures pour la même commande.",
        "website": "",
    }
    data.update(overrides)
    return data


def text(response) -> str:
    return htmllib.unescape(response.content.decode())


def test_contact_form_creates_a_ticket_and_shows_its_number(client):
    agent = make_support_staff()
    page = client.get("/contact/")
    assert page.status_code == 200 and 'name="website"' in page.content.decode()
    response = client.post("/contact/", contact_data())
    ticket = Ticket.objects.get()
    number = ticket.tracking.number
    assert response.status_code == 302 and response["Location"] == f"/tracking/{number}/confirmation/"
    assert number in client.get(response["Location"]).content.decode()
    assert (ticket.category, ticket.source, ticket.customer_email) == ("billing", "contact", "awa@example.com")
    ack = OutboundMessage.objects.get(to="awa@example.com")
    assert number in ack.subject and f"/tracking/{number}/" in ack.body
    assert "ne répondez pas à cet e-mail" in ack.body
    assert OutboundMessage.objects.filter(to=agent.email, subject__contains=number).exists()
    assert Notification.objects.filter(user=agent, kind="support.ticket_created").count() == 1


def test_contact_form_errors_keep_what_was_typed(client):
    response = client.post("/contact/", contact_data(email="pas-un-email"))
    assert response.status_code == 400
    body = text(response)
    assert "J'ai reçu deux factures" in body and "Facture en double" in body
    assert not Ticket.objects.exists()


def test_the_honeypot_stops_bots_quietly(client):
    response = client.post("/contact/", contact_data(website="http://spam.example"))
    assert response.status_code == 200 and "Merci" in text(response)
    assert not Ticket.objects.exists() and not OutboundMessage.objects.exists()


def test_contact_form_is_limited_per_email(client, settings):
    settings.SUPPORT_TICKET_RATE_PER_EMAIL = "2/h"
    for _ in range(2):
        assert client.post("/contact/", contact_data()).status_code == 302
    refused = client.post("/contact/", contact_data(message="Troisième message"))
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert "Troisième message" in text(refused)
    # another customer behind the same carrier IP is not blocked
    assert client.post("/contact/", contact_data(email="fatou@example.com")).status_code == 302
    assert Ticket.objects.count() == 3


def test_contact_form_caps_attempts_per_ip(client, settings):
    settings.SUPPORT_TICKET_RATE_PER_IP = "3/h"
    for i in range(3):
        assert client.post("/contact/", contact_data(email=f"c{i}@example.com")).status_code == 302
    refused = client.post("/contact/", contact_data(email="c9@example.com"))
    assert refused.status_code == 429 and refused["Retry-After"]


def test_the_contact_form_needs_its_csrf_token():
    client = Client(enforce_csrf_checks=True)
    response = client.post("/contact/", contact_data())
    assert response.status_code == 403 and not Ticket.objects.exists()
    assert "<html" in response.content.decode()  # the styled page


def test_a_question_on_a_revision_page_opens_a_ticket_staff_answer(client):
    agent = make_support_staff()
    revision = make_revision()
    number = revision.tracking.number
    page = client.get(f"/tracking/{number}/")
    assert "Une question" in text(page) and f"/tracking/{number}/messages/" in page.content.decode()
    response = client.post(f"/tracking/{number}/messages/", {"body": "Puis-je venir samedi ?"})
    assert response.status_code == 302 and response["Location"].endswith("#conversation")
    ticket = Ticket.objects.get()
    assert ticket.related_item == revision.tracking and ticket.customer_email == revision.client_email
    staff_reply(ticket, "Oui, samedi 9 h.", author=agent)
    page = text(client.get(f"/tracking/{number}/"))
    assert "Puis-je venir samedi ?" in page and "Oui, samedi 9 h." in page
    reply = OutboundMessage.objects.get(to=revision.client_email, subject__contains="nouvelle réponse")
    assert f"/tracking/{number}/" in reply.body and "Oui, samedi 9 h." in reply.body


def test_htmx_posts_get_the_conversation_back(client):
    number = make_revision().tracking.number
    response = client.post(f"/tracking/{number}/messages/", {"body": "Bonjour ?"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'id="conversation"' in response.content.decode() and "Bonjour ?" in text(response)
    empty = client.post(f"/tracking/{number}/messages/", {"body": " "}, HTTP_HX_REQUEST="true")
    assert empty.status_code == 200 and empty["HX-Retarget"] == "#conversation"
    assert 'class="error"' in empty.content.decode()
    thread = client.get(f"/tracking/{number}/messages/fil/")
    assert thread.status_code == 200 and "Bonjour ?" in text(thread) and 'id="thread"' in thread.content.decode()


def test_an_empty_message_without_javascript_gets_a_styled_page(client):
    number = make_revision().tracking.number
    response = client.post(f"/tracking/{number}/messages/", {"body": ""})
    assert response.status_code == 400 and "<html" in response.content.decode()
    assert not Ticket.objects.exists()


def test_messages_are_limited_per_number(client, settings):
    settings.SUPPORT_MESSAGE_RATE_PER_NUMBER = "2/h"
    number = make_revision().tracking.number
    for i in range(2):
        assert client.post(f"/tracking/{number}/messages/", {"body": f"Question {i}"}).status_code == 302
    refused = client.post(f"/tracking/{number}/messages/", {"body": "Encore"})
    assert refused.status_code == 429 and refused["Retry-After"]
    refused_htmx = client.post(f"/tracking/{number}/messages/", {"body": "Encore"}, HTTP_HX_REQUEST="true")
    assert refused_htmx["Retry-After"] and "Encore" in text(refused_htmx)
    assert Message.objects.count() == 2


def test_unknown_numbers_cannot_be_written_to(client):
    response = client.post("/tracking/REV-2026-AAAA-AAAA/messages/", {"body": "x"})
    assert response.status_code == 404 and not Ticket.objects.exists()


def test_a_reply_on_a_ticket_page_and_a_closed_ticket_follow_up(client):
    ticket = make_ticket()
    number = ticket.tracking.number
    assert client.post(f"/tracking/{number}/messages/", {"body": "Des nouvelles ?"}).status_code == 302
    services.ticket_status_change(ticket=ticket, to_status=S.CLOSED, notify=False)
    page = text(client.get(f"/tracking/{number}/"))
    assert "Ce ticket est fermé" in page and 'name="follow_up"' in page
    refused = client.post(f"/tracking/{number}/messages/", {"body": "Encore moi"})
    assert refused.status_code == 409 and "Encore moi" in text(refused)
    response = client.post(f"/tracking/{number}/messages/", {"body": "Encore moi", "follow_up": "1"})
    follower = Ticket.objects.exclude(pk=ticket.pk).get()
    assert response.status_code == 302 and response["Location"] == f"/tracking/{follower.tracking.number}/"
    assert follower.follows == ticket


def test_internal_notes_never_leak(client):
    agent = make_support_staff()
    revision = make_revision()
    question = services.tracking_question(
        item=revision.tracking,
        customer=services.Customer(name=revision.client_name, email=revision.client_email),
        body="Question publique",
        user=None,
    )
    ticket = question.ticket
    staff_reply(ticket, "NOTE-INTERNE-42 : client difficile", author=agent, internal=True)
    staff_reply(ticket, "Réponse publique", author=agent)
    services.ticket_status_change(ticket=ticket, to_status=S.WAITING)
    for number in (revision.tracking.number, ticket.tracking.number):
        page = text(client.get(f"/tracking/{number}/"))
        assert "Réponse publique" in page and "NOTE-INTERNE-42" not in page
        assert "NOTE-INTERNE-42" not in text(client.get(f"/tracking/{number}/messages/fil/"))
    data = json.dumps(client.get(f"/api/tracking/{ticket.tracking.number}").json(), ensure_ascii=False)
    assert "Réponse publique" in data and "NOTE-INTERNE-42" not in data
    assert OutboundMessage.objects.filter(to=revision.client_email).count() >= 2
    assert not OutboundMessage.objects.filter(body__contains="NOTE-INTERNE-42").exists()
    assert not OutboundMessage.objects.filter(html_body__contains="NOTE-INTERNE-42").exists()


def test_contact_details_typed_in_messages_are_masked_publicly(client):
    ticket = make_ticket(message="Appelez-moi au +221 77 123 45 67 ou awa.diop@example.com")
    page = text(client.get(f"/tracking/{ticket.tracking.number}/"))
    assert "77 123 45 67" not in page and "awa.diop@example.com" not in page
    data = client.get(f"/api/tracking/{ticket.tracking.number}").json()
    assert "awa.diop@example.com" not in str(data["details"])


@pytest.mark.parametrize("replies", [1, 10])
def test_tracking_pages_cost_the_same_queries_whatever_the_conversation(client, django_assert_num_queries, replies):
    agent = make_support_staff()
    ticket = make_ticket()
    revision = make_revision()
    question = services.tracking_question(
        item=revision.tracking, customer=services.Customer(name="A B", email="a@example.com"), body="Q"
    )
    for i in range(replies):
        staff_reply(ticket, f"Réponse {i}", author=agent)
        staff_reply(question.ticket, f"Réponse {i}", author=agent)
    # A ticket: its row with its history (one statement), its messages, their attachments.
    with django_assert_num_queries(3):
        assert client.get(f"/tracking/{ticket.tracking.number}/").status_code == 200
    # Another request (a revision): its row with its history and photos (one statement), the
    # conversation's messages and their attachments.
    with django_assert_num_queries(3):
        assert client.get(f"/tracking/{revision.tracking.number}/").status_code == 200
    with django_assert_num_queries(0):  # cached
        assert client.get(f"/tracking/{revision.tracking.number}/").status_code == 200
    with django_assert_num_queries(3):
        assert client.get(f"/tracking/{revision.tracking.number}/messages/fil/").status_code == 200
    with django_assert_num_queries(0):  # the poll, cached until something changes
        assert client.get(f"/tracking/{revision.tracking.number}/messages/fil/").status_code == 200


def test_a_new_message_refreshes_the_cached_pages(client):
    agent = make_support_staff()
    ticket = make_ticket()
    number = ticket.tracking.number
    client.get(f"/tracking/{number}/")
    client.get(f"/api/tracking/{number}")
    client.get(f"/tracking/{number}/messages/fil/")
    staff_reply(ticket, "Nouvelle réponse", author=agent)
    assert "Nouvelle réponse" in text(client.get(f"/tracking/{number}/messages/fil/"))
    assert "Nouvelle réponse" in text(client.get(f"/tracking/{number}/"))
    assert "Nouvelle réponse" in json.dumps(client.get(f"/api/tracking/{number}").json(), ensure_ascii=False)


# --- admin ---------------------------------------------------------------------------


@pytest.fixture
def agent_client(client):
    agent = make_support_staff()
    client.force_login(agent)
    client.user = agent
    return client


def test_staff_reply_from_admin_reaches_the_customer(agent_client):
    ticket = make_ticket()
    url = f"/admin/support/ticket/{ticket.pk}/repondre/"
    assert "j'attends depuis 10 jours" in text(agent_client.get(url))
    response = agent_client.post(url, {"body": "Votre colis part demain.", "then_status": "waiting"})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == S.WAITING and ticket.first_response_at is not None
    assert OutboundMessage.objects.filter(to=ticket.customer_email, body__contains="Votre colis part demain.").exists()
    note = agent_client.post(url, {"body": "Vérifier le stock", "internal": "on"})
    assert note.status_code == 302
    assert Message.objects.get(body="Vérifier le stock").internal
    assert not OutboundMessage.objects.filter(body__contains="Vérifier le stock").exists()
    change = agent_client.get(f"/admin/support/ticket/{ticket.pk}/change/")
    assert change.status_code == 200 and "Vérifier le stock" in text(change)


def test_admin_refuses_an_empty_reply_with_a_message(agent_client):
    ticket = make_ticket()
    response = agent_client.post(f"/admin/support/ticket/{ticket.pk}/repondre/", {"body": ""})
    assert response.status_code == 400 and "errornote" in response.content.decode()


def test_admin_filters(agent_client):
    overdue = make_ticket(subject="En retard")
    Ticket.objects.filter(pk=overdue.pk).update(first_response_due_at=timezone.now() - timedelta(hours=1))
    answered = make_ticket(subject="Déjà répondu")
    staff_reply(answered, "ok", author=agent_client.user)
    mine = make_ticket(subject="Le mien")
    services.ticket_assign(ticket=mine, assignee=agent_client.user)

    def subjects(query: str) -> set[str]:
        response = agent_client.get(f"/admin/support/ticket/?{query}")
        assert response.status_code == 200
        return {t.subject for t in response.context["cl"].result_list}

    assert subjects("first_response=overdue") == {"En retard"}
    assert subjects("assignee=none") == {"En retard", "Déjà répondu"}
    assert subjects("assignee=me") == {"Le mien"}
    assert subjects("waiting=us") == {"En retard", "Le mien"}
    assert "En retard" in text(agent_client.get("/admin/support/ticket/"))


def test_admin_actions_go_through_the_services(agent_client):
    a, b = make_ticket(), make_ticket()
    services.ticket_status_change(ticket=b, to_status=S.CLOSED, notify=False)
    response = agent_client.post(
        "/admin/support/ticket/",
        {"action": "mark_resolved", "_selected_action": [a.pk, b.pk]},
        follow=True,
    )
    assert response.status_code == 200
    a.refresh_from_db()
    assert a.status == S.RESOLVED and a.resolved_at is not None
    assert b.tracking.number in text(response)  # refused, and said so


def test_staff_without_the_permission_get_the_styled_403(client, django_user_model):
    clerk = django_user_model.objects.create_user(username="clerk", password="x", is_staff=True)
    client.force_login(clerk)
    ticket = make_ticket()
    assert client.get(f"/admin/support/ticket/{ticket.pk}/repondre/").status_code == 403


def test_the_admin_list_costs_the_same_queries_whatever_the_number_of_tickets(agent_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def list_queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert agent_client.get("/admin/support/ticket/").status_code == 200
        return len(captured)

    def add(count: int) -> None:
        for i in range(count):
            ticket = make_ticket(subject=f"Ticket {i}")
            staff_reply(ticket, "Réponse", author=agent_client.user)
            services.ticket_assign(ticket=ticket, assignee=agent_client.user)

    add(1)
    list_queries()  # the session and content types, once
    one = list_queries()
    add(9)
    assert list_queries() == one <= 12

"""The tickets API (/api/tickets/), customers' side and who may read what, through the
real stack: authentication, CSRF, rate limits, the envelope, query counts."""

from __future__ import annotations

import pytest
from django.test import Client

from support.models import Ticket
from support.services import ticket_status_change
from tracking import numbers

from .api_support import API, assert_refused, bearer, logged_in, post, staff_jwt
from .factories import customer_reply, make_ticket, staff_reply

STAFF_ONLY = {"assignee", "customer", "first_response_due_at", "overdue"}


def new_ticket(**overrides) -> dict:
    return {
        "subject": "Facture en double",
        "message": "Deux prélèvements ce mois-ci.",
        "category": "billing",
        **overrides,
    }


# --- create -----------------------------------------------------------------------------


def test_an_anonymous_visitor_opens_a_ticket_with_a_name_and_an_email(client, db):
    response = post(client, f"{API}/create", new_ticket(name="Fatou Sow", email="fatou@example.com", priority="high"))

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["id"] == body["tracking_number"] and body["id"].startswith("TCK-")
    assert body["tracking_url"] == f"http://testserver/tracking/{body['id']}/"
    assert (body["status"], body["category"], body["priority"]) == ("open", "billing", "high")
    assert [(m["side"], m["body"]) for m in body["messages"]] == [("customer", "Deux prélèvements ce mois-ci.")]
    assert not STAFF_ONLY & set(body)
    ticket = Ticket.objects.get(tracking__number=body["id"])
    assert (ticket.source, ticket.user, ticket.customer_email) == (Ticket.Source.API, None, "fatou@example.com")


@pytest.mark.parametrize("missing", ["name", "email"])
def test_an_anonymous_visitor_must_give_a_name_and_an_email(client, db, missing):
    body = {"name": "Fatou Sow", "email": "fatou@example.com"}
    del body[missing]

    refused = assert_refused(post(client, f"{API}/create", new_ticket(**body)), 422, "INVALID_REQUEST")

    assert refused["details"]["field"] == missing
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("field", ["category", "priority"])
def test_an_unknown_category_or_priority_is_refused_with_the_allowed_values(client, db, field):
    body = new_ticket(name="Fatou", email="fatou@example.com", **{field: "whatever"})

    refused = assert_refused(post(client, f"{API}/create", body), 422, "INVALID_REQUEST")

    choices = Ticket.Category if field == "category" else Ticket.Priority
    assert refused["details"] == {"field": field, "allowed": list(choices.values)}


def test_a_logged_in_customer_opens_a_ticket_under_their_account(customer):
    response = post(logged_in(customer), f"{API}/create", new_ticket())

    assert response.status_code == 201, response.content
    ticket = Ticket.objects.get(tracking__number=response.json()["id"])
    assert (ticket.user, ticket.customer_name, ticket.customer_email) == (customer, "Awa Diop", "awa.diop@example.com")
    assert ticket.priority == Ticket.Priority.NORMAL


def test_a_session_post_without_the_csrf_token_is_refused(customer):
    client = Client(enforce_csrf_checks=True)
    client.force_login(customer)

    assert_refused(post(client, f"{API}/create", new_ticket()), 403, "CSRF_FAILED")
    client.cookies["csrftoken"] = "a" * 32
    assert post(client, f"{API}/create", new_ticket(), HTTP_X_CSRFTOKEN="a" * 32).status_code == 201
    assert Ticket.objects.count() == 1


def test_a_personal_token_needs_no_csrf_token(customer):
    client = Client(enforce_csrf_checks=True)

    response = post(client, f"{API}/create", new_ticket(), **bearer(customer))

    assert response.status_code == 201
    assert Ticket.objects.get().user == customer


def test_a_bad_token_is_refused_even_where_anonymous_callers_are_welcome(client, db):
    body = new_ticket(name="Fatou", email="fatou@example.com")
    assert_refused(post(client, f"{API}/create", body, HTTP_AUTHORIZATION="Bearer pt_unknown"), 401, "UNAUTHORIZED")
    assert_refused(post(client, f"{API}/create", body, HTTP_AUTHORIZATION="Bearer not.a.jwt"), 401, "INVALID_TOKEN")
    assert not Ticket.objects.exists()


def test_ticket_creation_is_rate_limited_per_ip_with_retry_after(client, db, settings, frozen_clock):
    settings.SUPPORT_TICKET_RATE_PER_IP = "2/h"
    for n in range(2):
        assert post(client, f"{API}/create", new_ticket(name="F", email=f"f{n}@example.com")).status_code == 201

    response = post(client, f"{API}/create", new_ticket(name="F", email="f9@example.com"))

    assert_refused(response, 429, "RATE_LIMIT_EXCEEDED")
    assert int(response["Retry-After"]) > 0
    assert Ticket.objects.count() == 2


def test_the_contact_form_and_the_api_share_the_per_email_limit(client, db, settings, frozen_clock):
    settings.SUPPORT_TICKET_RATE_PER_EMAIL = "1/h"
    contact = {"name": "Fatou", "email": "fatou@example.com", "subject": "Bonjour", "message": "Une question."}
    assert client.post("/contact/", {**contact, "category": "general"}).status_code == 302

    response = post(client, f"{API}/create", new_ticket(name="Fatou", email="FATOU@example.com"))

    assert_refused(response, 429, "RATE_LIMIT_EXCEEDED")
    assert response["Retry-After"]
    assert Ticket.objects.count() == 1


# --- who reads what ---------------------------------------------------------------------


def test_the_owner_reads_their_ticket_without_internal_notes(ticket, customer, agent):
    staff_reply(ticket, "Nous regardons votre facture.", author=agent)
    staff_reply(ticket, "Note secrète : client litigieux", author=agent, internal=True)
    number = ticket.tracking.number

    response = logged_in(customer).get(f"{API}/{number}")

    assert response.status_code == 200, response.content
    body = response.json()
    assert [m["side"] for m in body["messages"]] == ["customer", "staff"]
    assert "Note secrète" not in response.content.decode()
    assert not STAFF_ONLY & set(body)
    assert all(set(m) == {"id", "at", "side", "body", "attachments"} for m in body["messages"])
    assert body["status"] == "in_progress" and body["status_label"] == "En cours de traitement"
    assert body["first_response_at"] and body["related"] is None


def test_the_owner_reads_it_with_a_personal_token_too(ticket, customer):
    response = Client().get(f"{API}/{ticket.tracking.number}", **bearer(customer))

    assert response.status_code == 200
    assert response.json()["id"] == ticket.tracking.number


def test_a_lowercase_number_finds_the_ticket(ticket, customer):
    response = logged_in(customer).get(f"{API}/{ticket.tracking.number.lower()}")

    assert response.json()["id"] == ticket.tracking.number


def test_someone_elses_ticket_is_not_found_as_an_unknown_number_is(ticket, other_customer, outsider):
    never_issued = numbers.generate("TCK", 2026)
    answers = [
        logged_in(other_customer).get(f"{API}/{ticket.tracking.number}"),
        logged_in(outsider).get(f"{API}/{ticket.tracking.number}"),  # staff, without support.view_ticket
        logged_in(other_customer).get(f"{API}/{never_issued}"),
        logged_in(other_customer).get(f"{API}/TCK-2026-0000-0000"),  # a wrong check symbol
        logged_in(other_customer).get(f"{API}/{make_ticket().tracking.number.replace('TCK', 'REV')}"),
    ]

    bodies = [assert_refused(r, 404, "TICKET_NOT_FOUND") for r in answers]
    assert len({(b["message"], str(b["details"])) for b in bodies}) == 1


def test_an_anonymous_reader_is_asked_to_authenticate(client, ticket):
    assert_refused(client.get(f"{API}/{ticket.tracking.number}"), 401, "UNAUTHORIZED")
    assert_refused(client.get(f"{API}/list"), 401, "UNAUTHORIZED")


def test_staff_read_every_ticket_with_its_internal_notes(ticket, agent, viewer, client):
    staff_reply(ticket, "Note secrète : client litigieux", author=agent, internal=True)
    number = ticket.tracking.number

    for reader in (
        logged_in(viewer).get(f"{API}/{number}"),
        client.get(f"{API}/{number}", **staff_jwt(client, "agent")),
    ):
        assert reader.status_code == 200, reader.content
        body = reader.json()
        assert [(m["side"], m["internal"]) for m in body["messages"]] == [("customer", False), ("staff", True)]
        assert body["messages"][1]["body"] == "Note secrète : client litigieux"
        assert body["customer"] == {"name": "Awa Diop", "email": "awa.diop@example.com", "phone": ""}
        assert body["assignee"] is None and body["overdue"] is False and body["first_response_due_at"]


def test_a_staff_members_personal_token_opens_no_staff_view(ticket, agent):
    response = Client().get(f"{API}/{ticket.tracking.number}", **bearer(agent))

    assert_refused(response, 404, "TICKET_NOT_FOUND")


def test_a_ticket_sent_with_the_customers_email_is_theirs_once_the_email_is_verified(customer, monkeypatch):
    sent_anonymously = make_ticket(email="Awa.Diop@example.com")
    url = f"{API}/{sent_anonymously.tracking.number}"
    assert_refused(logged_in(customer).get(url), 404, "TICKET_NOT_FOUND")
    assert logged_in(customer).get(f"{API}/list").json()["total"] == 0

    monkeypatch.setattr("support.api.access.verified_email", lambda user: "awa.diop@example.com")

    assert logged_in(customer).get(url).status_code == 200
    assert [t["id"] for t in logged_in(customer).get(f"{API}/list").json()["items"]] == [
        sent_anonymously.tracking.number
    ]


# --- list -------------------------------------------------------------------------------


def test_the_list_holds_the_customers_own_tickets_newest_first_paginated(customer, other_customer):
    mine = [make_ticket(user=customer, subject=f"Question {n}") for n in range(3)]
    make_ticket(user=other_customer)
    client = logged_in(customer)

    first = client.get(f"{API}/list?page_size=2").json()
    second = client.get(f"{API}/list?page_size=2&page=2").json()

    assert (first["total"], first["page"], first["page_size"]) == (3, 1, 2)
    numbers = [t["id"] for t in first["items"] + second["items"]]
    assert numbers == [t.tracking.number for t in reversed(mine)]
    assert "messages" not in first["items"][0] and not STAFF_ONLY & set(first["items"][0])
    assert client.get(f"{API}/list?page=9").json()["items"] == []
    assert_refused(client.get(f"{API}/list?page_size=101"), 422, "INVALID_REQUEST")


@pytest.mark.parametrize("count", [1, 6])
def test_the_list_costs_the_same_queries_whatever_the_number_of_tickets(customer, django_assert_num_queries, count):
    related = make_ticket().tracking
    for _ in range(count):
        Ticket.objects.filter(pk=make_ticket(user=customer).pk).update(related_item=related)
    client = logged_in(customer)

    # The session, its user, their verified e-mail, the count and the page (number and
    # related item joined).
    with django_assert_num_queries(5):
        response = client.get(f"{API}/list")

    assert len(response.json()["items"]) == count


@pytest.mark.parametrize("replies", [0, 5])
def test_reading_a_ticket_costs_the_same_queries_whatever_its_length(
    ticket, customer, django_assert_num_queries, replies
):
    for _ in range(replies):
        customer_reply(ticket)
    client = logged_in(customer)

    # The session, its user, their verified e-mail, the ticket, its public messages and
    # their attachments.
    with django_assert_num_queries(6):
        response = client.get(f"{API}/{ticket.tracking.number}")

    assert len(response.json()["messages"]) == 1 + replies


# --- message ----------------------------------------------------------------------------


def test_the_owners_reply_reopens_a_ticket_waiting_for_them(ticket, customer):
    ticket_status_change(ticket=ticket, to_status=Ticket.Status.WAITING, notify=False)

    response = post(logged_in(customer), f"{API}/{ticket.tracking.number}/message", {"body": "Voici le reçu."})

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "open"
    assert (body["messages"][-1]["side"], body["messages"][-1]["body"]) == ("customer", "Voici le reçu.")
    assert ticket.messages.latest("pk").author == customer


def test_a_customer_cannot_write_an_internal_note(ticket, customer):
    response = post(logged_in(customer), f"{API}/{ticket.tracking.number}/message", {"body": "x", "internal": True})

    assert_refused(response, 403, "INTERNAL_FOR_STAFF_ONLY")
    assert ticket.messages.count() == 1


def test_nobody_writes_in_someone_elses_ticket(ticket, other_customer):
    response = post(logged_in(other_customer), f"{API}/{ticket.tracking.number}/message", {"body": "Coucou"})

    assert_refused(response, 404, "TICKET_NOT_FOUND")
    assert ticket.messages.count() == 1


def test_a_closed_ticket_takes_no_reply(ticket, customer):
    ticket_status_change(ticket=ticket, to_status=Ticket.Status.CLOSED, notify=False)

    response = post(logged_in(customer), f"{API}/{ticket.tracking.number}/message", {"body": "Encore moi"})

    assert assert_refused(response, 409, "TICKET_CLOSED")["details"]["follow_up"] is True


def test_an_empty_reply_is_refused_naming_the_field(ticket, customer):
    response = post(logged_in(customer), f"{API}/{ticket.tracking.number}/message", {"body": "   "})

    assert assert_refused(response, 422, "INVALID_REQUEST")["details"]["field"] == "body"


def test_customers_replies_are_rate_limited_as_on_the_tracking_page(ticket, customer, settings, frozen_clock):
    settings.SUPPORT_MESSAGE_RATE_PER_NUMBER = "1/h"
    number = ticket.tracking.number
    assert client_post_reply(logged_in(customer), number).status_code == 201

    response = client_post_reply(logged_in(customer), number)

    assert_refused(response, 429, "RATE_LIMIT_EXCEEDED")
    assert response["Retry-After"]


def client_post_reply(client, number):
    return post(client, f"{API}/{number}/message", {"body": "Une précision."})


def test_staff_reply_and_write_internal_notes_the_customer_never_sees(ticket, customer, agent, client):
    number = ticket.tracking.number
    headers = staff_jwt(client, "agent")

    reply = post(client, f"{API}/{number}/message", {"body": "Remboursé."}, **headers)
    note = post(client, f"{API}/{number}/message", {"body": "Vu avec la compta", "internal": True}, **headers)

    assert reply.status_code == note.status_code == 201
    assert note.json()["status"] == "in_progress" and note.json()["first_response_at"]
    assert [(m["side"], m["internal"]) for m in note.json()["messages"]][1:] == [("staff", False), ("staff", True)]
    seen = logged_in(customer).get(f"{API}/{number}")
    assert [m["body"] for m in seen.json()["messages"]] == ["Bonjour, j'attends depuis 10 jours.", "Remboursé."]
    assert "compta" not in seen.content.decode()


def test_staff_who_may_only_read_cannot_write(ticket, viewer):
    response = post(logged_in(viewer), f"{API}/{ticket.tracking.number}/message", {"body": "Bonjour"})

    assert assert_refused(response, 403, "FORBIDDEN")["details"] == {"permission": "support.change_ticket"}


def test_refusals_and_labels_read_english_for_english_readers(ticket, customer, other_customer, settings):
    mine, theirs = logged_in(customer), logged_in(other_customer)
    for client in (mine, theirs):
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    assert mine.get(f"{API}/{ticket.tracking.number}").json()["status_label"] == "Open"
    refused = assert_refused(theirs.get(f"{API}/{ticket.tracking.number}"), 404, "TICKET_NOT_FOUND")
    assert refused["message"] == "Ticket not found."

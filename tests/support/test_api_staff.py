"""The tickets API's staff endpoints (/api/tickets/{id}/status, /assign, /admin/list,
/admin/stats): permissions through the session and the staff token, refusals, filters,
pagination and query counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from support.models import Ticket
from support.services import ticket_assign, ticket_status_change

from .api_support import API, assert_refused, bearer, logged_in, patch, staff_jwt
from .factories import make_ticket

S = Ticket.Status


def set_status(client, ticket, status, **headers):
    return patch(client, f"{API}/{ticket.tracking.number}/status", {"status": status}, **headers)


# --- the staff token ----------------------------------------------------------------------


def test_staff_holding_only_a_support_permission_get_a_staff_token_that_opens_the_api(client, viewer, ticket):
    headers = staff_jwt(client, "viewer")  # POST /api/v1/admin/token

    listed = client.get(f"{API}/admin/list", **headers)
    refused = set_status(client, ticket, "in_progress", **headers)

    assert listed.status_code == 200 and listed.json()["total"] == 1
    assert assert_refused(refused, 403, "FORBIDDEN")["details"] == {"permission": "support.change_ticket"}


def test_a_staff_token_stops_working_when_the_permission_goes(client, viewer):
    headers = staff_jwt(client, "viewer")
    viewer.user_permissions.clear()

    assert_refused(client.get(f"{API}/admin/list", **headers), 401, "INVALID_TOKEN")


def test_staff_endpoints_refuse_customers_staff_without_the_permission_and_personal_tokens(
    client, customer, outsider, agent
):
    for response in (
        logged_in(customer).get(f"{API}/admin/list"),
        logged_in(outsider).get(f"{API}/admin/list"),
        client.get(f"{API}/admin/list", **bearer(agent)),  # staff powers never come with a personal token
    ):
        assert_refused(response, 403, "FORBIDDEN")
    assert_refused(client.get(f"{API}/admin/list"), 401, "UNAUTHORIZED")
    assert_refused(client.get(f"{API}/admin/stats"), 401, "UNAUTHORIZED")


# --- status -------------------------------------------------------------------------------


def test_staff_move_a_ticket_along(ticket, agent, client):
    response = set_status(client, ticket, "waiting", **staff_jwt(client, "agent"))

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "waiting"
    assert response.json()["status_label"] == "En attente de votre réponse"
    ticket.refresh_from_db()
    assert ticket.status == S.WAITING
    assert ticket.tracking.events.filter(status=S.WAITING).exists()


def test_a_refused_transition_is_a_409_listing_the_allowed_ones(ticket, agent):
    ticket_status_change(ticket=ticket, to_status=S.RESOLVED, notify=False)
    client = logged_in(agent)

    refused = assert_refused(set_status(client, ticket, "in_progress"), 409, "TRANSITION_NOT_ALLOWED")

    assert refused["details"] == {"from": "resolved", "to": "in_progress", "allowed": ["closed", "open"]}
    ticket_status_change(ticket=ticket, to_status=S.CLOSED, notify=False)
    closed = assert_refused(set_status(client, ticket, "open"), 409, "TRANSITION_NOT_ALLOWED")
    assert closed["details"]["allowed"] == []


def test_an_unknown_status_is_refused_with_the_allowed_values(ticket, agent):
    refused = assert_refused(set_status(logged_in(agent), ticket, "lost"), 422, "INVALID_REQUEST")

    assert refused["details"] == {"field": "status", "allowed": list(S.values)}


def test_a_customer_cannot_change_the_status_of_their_own_ticket(ticket, customer):
    assert_refused(set_status(logged_in(customer), ticket, "closed"), 403, "FORBIDDEN")
    ticket.refresh_from_db()
    assert ticket.status == S.OPEN


def test_a_staff_session_write_needs_the_csrf_token(ticket, agent):
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)

    assert_refused(set_status(client, ticket, "in_progress"), 403, "CSRF_FAILED")


def test_the_status_of_an_unknown_ticket_is_a_404(agent):
    response = patch(logged_in(agent), f"{API}/TCK-2026-0000-0000/status", {"status": "open"})

    assert_refused(response, 404, "TICKET_NOT_FOUND")


# --- assign -------------------------------------------------------------------------------


def test_staff_assign_and_unassign_a_ticket(ticket, agent):
    client = logged_in(agent)
    url = f"{API}/{ticket.tracking.number}/assign"

    assigned = patch(client, url, {"assignee_id": agent.pk})
    unassigned = patch(client, url, {"assignee_id": None})

    assert assigned.status_code == 200, assigned.content
    assert assigned.json()["assignee"] == {"id": agent.pk, "name": "agent"}
    assert unassigned.json()["assignee"] is None
    ticket.refresh_from_db()
    assert ticket.assignee is None


@pytest.mark.parametrize("who", ["customer", "viewer", "unknown"])
def test_a_ticket_is_assigned_only_to_support_staff_who_may_change_it(ticket, agent, customer, viewer, who):
    assignee_id = {"customer": customer.pk, "viewer": viewer.pk, "unknown": 10**9}[who]

    response = patch(logged_in(agent), f"{API}/{ticket.tracking.number}/assign", {"assignee_id": assignee_id})

    assert assert_refused(response, 422, "INVALID_ASSIGNEE")["details"] == {"assignee_id": assignee_id}
    ticket.refresh_from_db()
    assert ticket.assignee is None


# --- admin/list ---------------------------------------------------------------------------


@pytest.fixture
def desk(agent, customer):
    """Four tickets, oldest first: a billing one assigned to the agent, an urgent
    technical one, a resolved one, and an old overdue one."""
    billing = make_ticket(subject="Facture en double", category="billing", user=customer)
    ticket_assign(ticket=billing, assignee=agent)
    urgent = make_ticket(subject="Site en panne", category="technical", priority="urgent", name="Ibrahima Fall")
    resolved = make_ticket(subject="Mot de passe", email="kine@example.net")
    ticket_status_change(ticket=resolved, to_status=S.RESOLVED, notify=False)
    late = make_ticket(subject="Colis perdu")
    Ticket.objects.filter(pk=late.pk).update(first_response_due_at=timezone.now() - timedelta(hours=1))
    return {"billing": billing, "urgent": urgent, "resolved": resolved, "late": late}


def listed(client, query: str = "") -> list[str]:
    response = client.get(f"{API}/admin/list{query}")
    assert response.status_code == 200, response.content
    return [t["subject"] for t in response.json()["items"]]


def test_the_staff_list_is_newest_first_and_filtered(desk, agent):
    client = logged_in(agent)

    assert listed(client) == ["Colis perdu", "Mot de passe", "Site en panne", "Facture en double"]
    assert listed(client, "?status=resolved") == ["Mot de passe"]
    assert listed(client, "?category=technical") == ["Site en panne"]
    assert listed(client, "?priority=urgent") == ["Site en panne"]
    assert listed(client, f"?assignee={agent.pk}") == ["Facture en double"]
    assert listed(client, "?assignee=none") == ["Colis perdu", "Mot de passe", "Site en panne"]
    assert listed(client, "?q=PANNE") == ["Site en panne"]
    assert listed(client, "?q=ibrahima") == ["Site en panne"]
    assert listed(client, "?q=kine@example") == ["Mot de passe"]
    number = desk["late"].tracking.number
    assert listed(client, f"?q={number[-6:]}") == ["Colis perdu"]
    assert listed(client, "?status=closed") == []


def test_the_staff_list_shows_what_staff_need(desk, agent):
    items = {t["subject"]: t for t in logged_in(agent).get(f"{API}/admin/list").json()["items"]}

    assert items["Facture en double"]["assignee"] == {"id": agent.pk, "name": "agent"}
    assert items["Site en panne"]["customer"]["name"] == "Ibrahima Fall"
    assert [s for s, t in items.items() if t["overdue"]] == ["Colis perdu"]
    assert "messages" not in items["Colis perdu"]


def test_the_staff_list_is_paginated(desk, agent):
    body = logged_in(agent).get(f"{API}/admin/list?page=2&page_size=3").json()

    assert (body["total"], body["page"], body["page_size"]) == (4, 2, 3)
    assert [t["subject"] for t in body["items"]] == ["Facture en double"]


@pytest.mark.parametrize("query", ["?status=lost", "?assignee=me", "?page_size=500", "?page=0"])
def test_bad_filters_are_refused(agent, query):
    assert_refused(logged_in(agent).get(f"{API}/admin/list{query}"), 422, "INVALID_REQUEST")


@pytest.mark.parametrize("count", [1, 8])
def test_the_staff_list_costs_the_same_queries_whatever_the_number_of_tickets(
    agent, client, django_assert_num_queries, count
):
    for n in range(count):
        ticket = make_ticket(subject=f"Question {n}")
        ticket_assign(ticket=ticket, assignee=agent)
    headers = staff_jwt(client, "agent")

    # The token's user (with its revocation check), the permissions (user's, groups'),
    # the count and the page (number, related item and assignee joined).
    with django_assert_num_queries(5):
        response = client.get(f"{API}/admin/list", **headers)

    assert len(response.json()["items"]) == count


# --- admin/stats --------------------------------------------------------------------------


def test_the_stats_are_the_support_figures(desk, agent, client):

    response = client.get(f"{API}/admin/stats", **staff_jwt(client, "agent"))

    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {
        "total",
        "by_status",
        "by_category",
        "by_priority",
        "avg_first_response_seconds",
        "avg_resolution_seconds",
        "avg_resolution_time",
        "open_older_than_7_days",
    }
    assert body["total"] == 4
    assert body["by_status"]["resolved"] == 1 and body["by_category"]["technical"] == 1


def test_the_stats_need_the_view_permission(outsider):
    assert_refused(logged_in(outsider).get(f"{API}/admin/stats"), 403, "FORBIDDEN")


def test_the_docs_list_every_endpoint(client, db):
    assert client.get(f"{API}/docs").status_code == 200
    paths = client.get(f"{API}/openapi.json").json()["paths"]

    assert set(paths) == {
        f"{API}/create",
        f"{API}/list",
        f"{API}/{{id}}",
        f"{API}/{{id}}/message",
        f"{API}/{{id}}/status",
        f"{API}/{{id}}/assign",
        f"{API}/admin/list",
        f"{API}/admin/stats",
    }

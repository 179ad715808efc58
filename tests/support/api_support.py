"""What the tickets API tests share: the URL, sessions and tokens (requests and the
envelope's check are the leads API tests')."""

from __future__ import annotations

from django.test import Client

from tests.leads.api_support import assert_refused, bearer, patch, post

API = "/api/tickets"
PASSWORD = "pw-agent-123"  # noqa: S105 - make_support_staff's test password


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def staff_jwt(client: Client, username: str) -> dict:
    """The Authorization header of a staff token obtained through POST /api/v1/admin/token."""
    response = client.post(
        "/api/v1/admin/token", {"username": username, "password": PASSWORD}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    return {"HTTP_AUTHORIZATION": f"Bearer {response.json()['access_token']}"}


__all__ = ["API", "assert_refused", "bearer", "logged_in", "patch", "post", "staff_jwt"]

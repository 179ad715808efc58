"""What the leads API tests share: requests, bearer headers, the envelope's check.
(The accounts and logged-in clients are fixtures, in tests/leads/conftest.py.)"""

from __future__ import annotations

from accounts.personal_tokens import personal_token_create

API = "/api/leads"


def bearer(user) -> dict:
    _token, plaintext = personal_token_create(user=user, name="tests")
    return {"HTTP_AUTHORIZATION": f"Bearer {plaintext}"}


def put(client, url: str, body: dict, **extra):
    return client.put(url, body, content_type="application/json", **extra)


def post(client, url: str, body: dict | None = None, **extra):
    return client.post(url, body or {}, content_type="application/json", **extra)


def patch(client, url: str, body: dict, **extra):
    return client.patch(url, body, content_type="application/json", **extra)


def assert_refused(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["success"] is False and body["error"] == code, body
    assert {"message", "details", "timestamp", "request_id"} <= set(body)
    return body

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import PersonalToken
from accounts.personal_tokens import digest_of, personal_token_create, personal_token_revoke

pytestmark = pytest.mark.django_db

API = "/api/notifications"


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user(username="amina", password="pw-user-12345")


@pytest.fixture
def other(django_user_model):
    return django_user_model.objects.create_user(username="karim", password="pw-user-12345")


def bearer(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_a_token_is_shown_once_and_only_its_digest_is_stored(user):
    token, plaintext = personal_token_create(user=user, name=" Zapier ")
    assert plaintext.startswith("pt_") and len(plaintext) == 3 + 43
    assert token.name == "Zapier" and token.prefix == plaintext[:8]
    assert token.digest == digest_of(plaintext) and plaintext not in str(vars(token))


def test_a_bearer_token_authenticates_the_api(client, user):
    _token, plaintext = personal_token_create(user=user, name="script")
    response = client.get(API, **bearer(plaintext))
    assert response.status_code == 200
    assert response.json()["items"] == []


def test_a_request_without_authentication_is_a_401_in_the_envelope(client):
    response = client.get(API)
    assert response.status_code == 401
    body = response.json()
    assert body["success"] is False and body["error"] == "UNAUTHORIZED" and body["request_id"]


def test_an_unknown_or_malformed_token_is_refused(client, user):
    assert client.get(API, **bearer("pt_nope")).status_code == 401
    assert client.get(API, HTTP_AUTHORIZATION="Bearer").status_code == 401
    assert client.get(API, **bearer("x" * 5000)).status_code == 401


def test_a_bad_token_is_refused_even_with_a_session(client, user):
    client.force_login(user)
    assert client.get(API, **bearer("pt_nope")).status_code == 401


def test_a_revoked_token_is_refused_at_once(client, user):
    token, plaintext = personal_token_create(user=user, name="script")
    personal_token_revoke(user=user, token_id=token.pk)
    assert client.get(API, **bearer(plaintext)).status_code == 401


def test_deactivating_the_owner_refuses_their_tokens_at_once(client, user):
    _token, plaintext = personal_token_create(user=user, name="script")
    user.is_active = False
    user.save()
    assert client.get(API, **bearer(plaintext)).status_code == 401


def test_last_use_is_written_at_most_once_a_minute(client, user, django_assert_num_queries):
    token, plaintext = personal_token_create(user=user, name="script")
    client.get(API, **bearer(plaintext))
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    client.get(API, **bearer(plaintext))
    token.refresh_from_db()
    assert token.last_used_at == first
    PersonalToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now() - timedelta(minutes=2))
    client.get(API, **bearer(plaintext))
    token.refresh_from_db()
    assert token.last_used_at > first


def test_a_session_authenticates_reads_without_csrf(user):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.get(API).status_code == 200


def test_a_session_write_needs_the_csrf_token(user):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    refused = client.post(f"{API}/read", {"all": True}, content_type="application/json")
    assert refused.status_code == 403 and refused.json()["error"] == "CSRF_FAILED"
    client.get("/notifications/")  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    accepted = client.post(f"{API}/read", {"all": True}, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 200


def test_a_bearer_write_needs_no_csrf(user):
    from django.test import Client

    _token, plaintext = personal_token_create(user=user, name="script")
    client = Client(enforce_csrf_checks=True)
    response = client.post(f"{API}/read", {"all": True}, content_type="application/json", **bearer(plaintext))
    assert response.status_code == 200 and response.json() == {"marked": 0, "unread": 0}


def test_the_tokens_page_lists_creates_and_shows_the_token_once(client, user, other):
    personal_token_create(user=other, name="not mine")
    client.force_login(user)
    assert client.get("/compte/jetons/").status_code == 200
    response = client.post("/compte/jetons/", {"name": "Mon script"})
    assert response.status_code == 201
    html = response.content.decode()
    token = PersonalToken.objects.get(user=user)
    shown = response.context["plaintext"]
    assert shown in html and digest_of(shown) == token.digest
    assert "Copier le jeton" in html
    again = client.get("/compte/jetons/").content.decode()
    assert "Mon script" in again and token.prefix in again and shown not in again
    assert "not mine" not in again


def test_the_tokens_page_refuses_an_empty_name(client, user):
    client.force_login(user)
    response = client.post("/compte/jetons/", {"name": ""})
    assert response.status_code == 200 and "Veuillez corriger" in response.content.decode()
    assert not PersonalToken.objects.exists()


def test_revoking_from_the_page_works_for_own_tokens_only(client, user, other):
    mine, _ = personal_token_create(user=user, name="mine")
    theirs, _ = personal_token_create(user=other, name="theirs")
    client.force_login(user)
    assert client.post(f"/compte/jetons/{theirs.pk}/revoquer/").status_code == 404
    response = client.post(f"/compte/jetons/{mine.pk}/revoquer/", follow=True)
    assert "Le jeton « mine » est révoqué." in response.content.decode()
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.revoked_at is not None and theirs.revoked_at is None


def test_the_tokens_page_needs_a_login(client):
    response = client.get("/compte/jetons/")
    assert response.status_code == 302 and response["Location"].startswith("/compte/connexion/?next=")

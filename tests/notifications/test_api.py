import pytest
from django.utils import translation

from accounts.personal_tokens import personal_token_create
from notifications.models import Notification
from notifications.services import notification_send
from tracking import notes
from tracking.notes import Note

pytestmark = pytest.mark.django_db

notes.register({"tests.api_note": translation.gettext_lazy("Dépôt faible")})


@pytest.fixture
def auth(user):
    _token, plaintext = personal_token_create(user=user, name="tests")
    return {"HTTP_AUTHORIZATION": f"Bearer {plaintext}"}


def test_the_list_has_the_documented_shape_unread_first(client, user, auth):
    read = notification_send(user=user, kind="k", text="lue", link="/a/")
    unread = notification_send(user=user, kind="lead.created", text="non lue", link="/b/")
    Notification.objects.filter(pk=read.pk).update(read_at=read.created_at)
    body = client.get("/api/notifications", **auth).json()
    assert body["count"] == 2 and body["page"] == 1 and body["pages"] == 1 and body["unread"] == 1
    first = body["items"][0]
    assert set(first) == {"id", "kind", "text", "link", "created_at", "read"}
    assert (first["id"], first["kind"], first["text"], first["link"], first["read"]) == (
        unread.pk,
        "lead.created",
        "non lue",
        "/b/",
        False,
    )
    assert body["items"][1]["read"] is True


def test_the_text_is_in_the_readers_language(client, user, auth, settings):
    notification_send(user=user, kind="k", text=Note("tests.api_note", {}))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    item = client.get("/api/notifications", **auth).json()["items"][0]
    # No English catalogue entry for a test message: the French text, never an error.
    assert item["text"] == "Dépôt faible"


def test_the_list_is_paginated(client, user, auth):
    for i in range(27):
        notification_send(user=user, kind="k", text=str(i))
    second = client.get("/api/notifications?page=2", **auth).json()
    assert len(second["items"]) == 2 and second["pages"] == 2
    assert client.get("/api/notifications?page=0", **auth).status_code == 422
    assert client.get("/api/notifications?page=x", **auth).json()["error"] == "INVALID_REQUEST"


def test_another_users_notifications_are_never_listed(client, other, auth):
    notification_send(user=other, kind="k", text="theirs")
    assert client.get("/api/notifications", **auth).json()["items"] == []


def test_marking_ids_read_touches_only_own_rows(client, user, other, auth):
    mine = notification_send(user=user, kind="k", text="mine")
    notification_send(user=user, kind="k", text="still unread")
    theirs = notification_send(user=other, kind="k", text="theirs")
    response = client.post(
        "/api/notifications/read", {"ids": [mine.pk, theirs.pk]}, content_type="application/json", **auth
    )
    assert response.status_code == 200 and response.json() == {"marked": 1, "unread": 1}
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_marking_all_read(client, user, auth):
    for i in range(3):
        notification_send(user=user, kind="k", text=str(i))
    response = client.post("/api/notifications/read", {"all": True}, content_type="application/json", **auth)
    assert response.json() == {"marked": 3, "unread": 0}


@pytest.mark.parametrize(
    "body, status",
    [({}, 422), ({"ids": "x"}, 422), ({"ids": [1, "a"]}, 422), ({"all": "maybe"}, 422), ({"ids": [1] * 1001}, 422)],
)
def test_bad_bodies_are_refused_in_the_envelope(client, auth, body, status):
    response = client.post("/api/notifications/read", body, content_type="application/json", **auth)
    assert response.status_code == status
    assert response.json()["success"] is False


def test_a_non_json_body_is_a_400_in_the_envelope(client, auth):
    response = client.post("/api/notifications/read", "nope", content_type="application/json", **auth)
    assert response.status_code == 400 and response.json()["error"] == "INVALID_REQUEST"


def test_unknown_routes_and_methods_answer_in_the_envelope(client, auth):
    missing = client.get("/api/notifications/nope", **auth)
    assert missing.status_code == 404 and missing.json()["error"] == "NOT_FOUND"
    wrong = client.delete("/api/notifications/read", **auth)
    assert wrong.status_code == 405 and wrong.json()["error"] == "METHOD_NOT_ALLOWED"


def test_the_api_is_documented(client):
    schema = client.get("/api/notifications/openapi.json").json()
    assert {"/api/notifications", "/api/notifications/read"} <= set(schema["paths"])

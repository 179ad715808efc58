import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications import counts
from notifications.models import Broadcast, Notification
from notifications.services import notification_send

pytestmark = pytest.mark.django_db


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_bell_shows_the_unread_count_in_every_page_header(member, user):
    for i in range(3):
        notification_send(user=user, kind="k", text=str(i))
    html = member.get("/revisions/").content.decode()
    assert '<span class="bell-count" data-testid="unread-count">3</span>' in html
    assert 'aria-label="Notifications : 3 non lues"' in html


def test_the_bell_costs_no_query_when_cached_and_one_when_not(member, user):
    notification_send(user=user, kind="k", text="x")
    _queries(member, "/tracking/")  # the count is now cached
    cached = _queries(member, "/tracking/")
    cache.delete(counts.count_key(user.pk))
    assert _queries(member, "/tracking/") == cached + 1
    assert _queries(member, "/tracking/") == cached


def test_an_anonymous_public_page_costs_no_query_for_the_header(client, django_assert_num_queries):
    client.get("/revisions/")
    with django_assert_num_queries(0):
        html = client.get("/revisions/").content.decode()
    assert "Se connecter" in html


def test_the_badge_fragment_is_the_bell_with_its_count(member, user):
    notification_send(user=user, kind="k", text="x")
    response = member.get("/notifications/badge/")
    html = response.content.decode()
    assert response.status_code == 200 and html.lstrip().startswith("<a")
    assert 'data-testid="unread-count">1<' in html and 'hx-get="/notifications/badge/"' in html
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_the_badge_says_nothing_to_a_visitor(client):
    assert client.get("/notifications/badge/").status_code == 204


def test_the_history_highlights_unread_and_paginates_by_25(member, user, other):
    for i in range(30):
        notification_send(user=user, kind="k", text=f"message {i}")
    notification_send(user=other, kind="k", text="pas pour vous")
    first = member.get("/notifications/").content.decode()
    assert first.count('class="notification unread"') == 25
    assert "message 29" in first and "pas pour vous" not in first
    assert "Page 1 sur 2" in first and "Tout marquer comme lu" in first
    second = member.get("/notifications/?page=2").content.decode()
    assert second.count('class="notification unread"') == 5
    assert member.get("/notifications/?page=abc").status_code == 200


def test_the_history_needs_a_login(client):
    response = client.get("/notifications/")
    assert response.status_code == 302 and response["Location"].startswith("/compte/connexion/")


def test_mark_all_read_works_without_javascript(member, user):
    notification_send(user=user, kind="k", text="x")
    response = member.post("/notifications/tout-lu/")
    assert response.status_code == 302 and response["Location"] == "/notifications/"
    assert not Notification.objects.filter(read_at__isnull=True).exists()
    assert 'data-testid="unread-count"' not in member.get("/notifications/badge/").content.decode()


def test_mark_all_read_with_htmx_returns_the_list_and_the_bell(member, user):
    notification_send(user=user, kind="k", text="x")
    response = member.post("/notifications/tout-lu/", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and 'id="notifications"' in html
    assert 'hx-swap-oob="true"' in html and 'data-testid="unread-count"' not in html
    assert "Tout marquer comme lu" not in html


def test_mark_all_read_is_a_post(member):
    assert member.get("/notifications/tout-lu/").status_code == 405


def test_opening_a_notification_marks_it_read_and_follows_its_link(member, user):
    notification = notification_send(user=user, kind="k", text="x", link="/tracking/")
    response = member.post(f"/notifications/{notification.pk}/ouvrir/")
    assert response.status_code == 302 and response["Location"] == "/tracking/"
    notification.refresh_from_db()
    assert notification.is_read


def test_nobody_opens_another_users_notification(member, other):
    theirs = notification_send(user=other, kind="k", text="x")
    assert member.post(f"/notifications/{theirs.pk}/ouvrir/").status_code == 404
    theirs.refresh_from_db()
    assert not theirs.is_read


def test_staff_broadcast_from_the_admin(staff_client, user):
    response = staff_client.post(
        "/admin/notifications/broadcast/add/", {"role": "everyone", "text": "Maintenance ce soir", "link": "/"}
    )
    assert response.status_code == 302
    broadcast = Broadcast.objects.get()
    assert broadcast.created_by == staff_client.user and broadcast.recipients == 2
    assert Notification.objects.filter(user=user, text="Maintenance ce soir").exists()
    assert staff_client.get(f"/admin/notifications/broadcast/{broadcast.pk}/change/").status_code == 200


def test_the_admin_refuses_a_broadcast_link_to_another_site(staff_client):
    response = staff_client.post(
        "/admin/notifications/broadcast/add/", {"role": "everyone", "text": "x", "link": "https://evil.example"}
    )
    assert response.status_code == 200 and not Broadcast.objects.exists()


def test_the_admin_lists_notifications_read_only(staff_client, user):
    notification_send(user=user, kind="lead.created", text="Un lead")
    response = staff_client.get("/admin/notifications/notification/?kind=lead.created")
    assert response.status_code == 200 and "Un lead" in response.content.decode()
    assert staff_client.get("/admin/notifications/notification/add/").status_code == 403


def test_the_broadcast_admin_pages_open(staff_client):
    add = staff_client.get("/admin/notifications/broadcast/add/")
    assert add.status_code == 200 and "Tout le monde" in add.content.decode()
    assert staff_client.get("/admin/notifications/broadcast/").status_code == 200
    assert staff_client.get("/admin/").status_code == 200

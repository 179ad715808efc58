import pytest
from django.contrib.auth import get_user_model
from django.utils import translation

from notifications import roles
from notifications.errors import NotificationError
from notifications.models import Broadcast, Notification
from notifications.selectors import notification_list, unread_count
from notifications.services import notification_send, notifications_broadcast, notifications_mark_read
from tests.concurrency import run_at_once
from tracking import notes
from tracking.notes import Note

pytestmark = pytest.mark.django_db

notes.register({"tests.lead_created": translation.gettext_lazy("Nouveau lead : %(name)s")})


def test_a_notification_is_created_with_its_text_and_link(user):
    notification = notification_send(user=user, kind="lead.created", text="Un lead arrive", link="/leads/merchant/")
    assert notification.pk and Notification.objects.get().text == "Un lead arrive"
    assert notification.link == "/leads/merchant/" and not notification.is_read


def test_the_same_key_twice_creates_one_notification(user):
    first = notification_send(user=user, kind="k", text="Once", key="lead:1:created")
    second = notification_send(user=user, kind="k", text="Once", key="lead:1:created")
    assert first is not None and second is None
    assert Notification.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_same_key_sent_at_once_from_two_workers_creates_one_row(user):
    def send():
        return notification_send(user=user, kind="k", text="x", key="race")

    results = run_at_once(send, send)
    assert not any(isinstance(result, Exception) for result in results)
    assert sum(result is not None for result in results) == 1
    assert Notification.objects.filter(key="race").count() == 1


def test_a_note_is_stored_in_the_site_language_and_read_in_the_readers(user):
    notification_send(user=user, kind="k", text=Note("tests.lead_created", {"name": "Sara"}), key="n1")
    notification = Notification.objects.get()
    assert notification.text == "Nouveau lead : Sara"
    assert notification.message_key == "tests.lead_created" and notification.params == {"name": "Sara"}
    assert notification.rendered_text() == "Nouveau lead : Sara"


@pytest.mark.parametrize("link", ["https://evil.example/", "//evil.example", "javascript:alert(1)", "/\\evil"])
def test_a_link_to_another_site_is_refused(user, link):
    with pytest.raises(NotificationError) as error:
        notification_send(user=user, kind="k", text="x", link=link)
    assert error.value.code == "INVALID_LINK"


def test_mark_read_changes_only_the_users_own_rows(user, other):
    mine = notification_send(user=user, kind="k", text="mine")
    theirs = notification_send(user=other, kind="k", text="theirs")
    assert notifications_mark_read(user=user, ids=[mine.pk, theirs.pk]) == 1
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    assert Notification.objects.get(pk=mine.pk).read_at is not None
    assert notifications_mark_read(user=user, ids=[mine.pk]) == 0


def test_mark_all_read_marks_every_unread_row_of_the_user(user, other):
    for i in range(3):
        notification_send(user=user, kind="k", text=str(i))
    notification_send(user=other, kind="k", text="theirs")
    assert notifications_mark_read(user=user, all=True) == 3
    assert unread_count(user=user) == 0 and unread_count(user=other) == 1


def test_mark_read_without_ids_or_all_is_refused(user):
    with pytest.raises(NotificationError):
        notifications_mark_read(user=user)


def test_the_list_puts_unread_first_then_newest(user):
    old_unread = notification_send(user=user, kind="k", text="old unread")
    read = notification_send(user=user, kind="k", text="read")
    new_unread = notification_send(user=user, kind="k", text="new unread")
    notifications_mark_read(user=user, ids=[read.pk])
    assert [n.pk for n in notification_list(user=user)] == [new_unread.pk, old_unread.pk, read.pk]


def test_the_unread_count_follows_sends_and_reads_after_commit(user, django_capture_on_commit_callbacks):
    assert unread_count(user=user) == 0
    with django_capture_on_commit_callbacks(execute=True):
        notification_send(user=user, kind="k", text="x")
    assert unread_count(user=user) == 1
    with django_capture_on_commit_callbacks(execute=True):
        notifications_mark_read(user=user, all=True)
    assert unread_count(user=user) == 0


def test_a_cached_unread_count_costs_no_query(user, django_assert_num_queries, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notification_send(user=user, kind="k", text="x")
    with django_assert_num_queries(1):
        assert unread_count(user=user) == 1
    with django_assert_num_queries(0):
        assert unread_count(user=user) == 1


def test_a_count_computed_before_a_change_is_not_served_after_it(user, django_capture_on_commit_callbacks):
    from notifications import counts

    _cached, versions = counts.read(user.pk)  # a reader starts...
    with django_capture_on_commit_callbacks(execute=True):
        notification_send(user=user, kind="k", text="x")  # ...a change commits...
    counts.store(user.pk, versions, 0)  # ...and the reader stores its old count
    assert unread_count(user=user) == 1


def test_a_broadcast_reaches_exactly_the_active_users_of_its_role(
    user, other, django_user_model, django_capture_on_commit_callbacks
):
    staff = django_user_model.objects.create_user(username="ops", is_staff=True)
    django_user_model.objects.create_user(username="gone", is_staff=True, is_active=False)
    unread_count(user=staff)  # cached before: the broadcast must refresh it
    with django_capture_on_commit_callbacks(execute=True):
        broadcast = notifications_broadcast(role="staff", text="Maintenance ce soir", link="/", actor=staff)
    rows = Notification.objects.filter(kind="broadcast")
    assert list(rows.values_list("user__username", flat=True)) == ["ops"]
    assert rows.get().key == f"broadcast:{broadcast.pk}:{staff.pk}"
    assert broadcast.recipients == 1 and unread_count(user=staff) == 1
    assert unread_count(user=user) == 0


def test_a_broadcast_to_everyone_reaches_every_active_user(user, other):
    broadcast = notifications_broadcast(role="everyone", text="Bonjour", actor=None)
    assert broadcast.recipients == get_user_model().objects.filter(is_active=True).count() == 2
    assert set(Notification.objects.values_list("user_id", flat=True)) == {user.pk, other.pk}


def test_a_registered_role_can_be_broadcast_to(user, other, monkeypatch):
    monkeypatch.setattr(roles, "_roles", dict(roles._roles))
    roles.register("karims", "Karims", lambda: get_user_model().objects.filter(username="karim"))
    notifications_broadcast(role="karims", text="Salut", actor=user)
    assert list(Notification.objects.values_list("user_id", flat=True)) == [other.pk]


def test_a_broadcast_to_an_unknown_role_is_refused(user):
    with pytest.raises(NotificationError) as error:
        notifications_broadcast(role="martians", text="x", actor=user)
    assert error.value.code == "UNKNOWN_ROLE" and not Broadcast.objects.exists()

"""Stored public answers (tracking.answers): one indexed read when no cache holds the
answer, and never an answer older than the data, whatever wrote it."""

import json
import threading
import time
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone, translation

from rentals.models import Rental
from revisions.models import Revision, RevisionMedia
from support.models import Attachment, Message
from support.services import message_add
from tracking import answers
from tracking.models import PublicAnswer, TrackedItem, TrackingEvent
from tracking.selectors import _view
from tracking.services import status_transition

from .concurrency import run_at_once
from .factories import make_quoted_revision, make_rental, make_revision
from .support.factories import customer_reply, make_ticket, staff_reply
from .test_revision_media import add_photo
from .test_uploads import png

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_cache(settings):
    # What is measured here is the database's answer: no Redis copy in front of it.
    settings.TRACKING_JSON_CACHE_SECONDS = 0


def _get(client, number: str, language: str = "fr"):
    client.cookies["django_language"] = language
    response = client.get(f"/api/tracking/{number}")
    assert response.status_code == 200
    return response


def _stored(number: str) -> list[PublicAnswer]:
    return list(PublicAnswer.objects.filter(item__number=number).order_by("language"))


def test_an_answer_is_built_once_then_read_in_one_query_byte_for_byte(client, django_assert_num_queries):
    revision = make_quoted_revision()
    add_photo(revision, size=(40, 30))
    number = revision.tracking.number
    # the stored answer looked for, the lookup's one statement, the answer stored
    with django_assert_num_queries(3):
        built = _get(client, number).content
    with django_assert_num_queries(1):
        read = _get(client, number)
    assert read.content == built
    assert read["Content-Type"] == "application/json"
    assert read["Cache-Control"] == "private, no-store"
    assert len(read.json()["details"]["media"]) == 1
    [answer] = _stored(number)
    assert (answer.language, answer.version) == ("fr", TrackedItem.objects.get(number=number).answer_version)


def test_each_language_has_its_own_answer(client):
    number = make_revision().tracking.number
    french = _get(client, number, "fr").json()
    english = _get(client, number, "en").json()
    assert french["status_label"] != english["status_label"]
    assert [a.language for a in _stored(number)] == ["en", "fr"]
    assert _get(client, number, "en").json() == english
    assert _get(client, number, "fr").json() == french


def test_an_unknown_number_is_still_a_404_and_counts_as_a_failed_lookup(client):
    number = make_revision().tracking.number
    unknown = number[:-4] + ("AAAA" if not number.endswith("AAAA") else "BBBB")
    response = client.get(f"/api/tracking/{unknown}")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    assert not PublicAnswer.objects.exists()


def _status_change(revision):
    status_transition(obj=revision, to_status="annule", note="Annulé à votre demande.")


def _bulk_update(revision):
    # No signal, no Python: only the database sees it.
    Revision.objects.filter(pk=revision.pk).update(vehicle_make="Renault")


def _raw_sql(revision):
    with connection.cursor() as cursor:
        cursor.execute("UPDATE revisions_revision SET vehicle_make = 'Renault' WHERE id = %s", [revision.pk])


def _photo_added(revision):
    add_photo(revision, size=(40, 30), caption="Renault")


def _photo_caption(revision):
    RevisionMedia.objects.filter(revision=revision).update(caption="Renault")


def _photo_deleted(revision):
    RevisionMedia.objects.filter(revision=revision).delete()


def _event_edited(revision):
    TrackingEvent.objects.filter(item=revision.tracking).update(note="Renault", note_key="")


@pytest.mark.parametrize(
    "write",
    [_status_change, _bulk_update, _raw_sql, _photo_added, _photo_caption, _photo_deleted, _event_edited],
    ids=lambda write: write.__name__.strip("_"),
)
def test_every_write_to_what_a_revision_shows_is_seen_at_once(client, write, django_assert_num_queries):
    revision = make_quoted_revision()
    add_photo(revision, size=(40, 30), caption="Avant")
    number = revision.tracking.number
    before = _get(client, number).content
    assert _stored(number)
    with django_assert_num_queries(1):  # served stored
        assert _get(client, number).content == before
    write(revision)
    assert not _stored(number)  # deleted in the writer's transaction
    after = _get(client, number).content
    assert after != before
    assert after == _built(number)


def _built(number: str) -> bytes:
    """The answer built from the tables, the stored ones left aside."""
    return json.dumps(_view(number).as_json(), cls=DjangoJSONEncoder).encode()


def test_a_fleet_car_renamed_shows_on_its_rentals(client):
    rental = make_rental()
    other = make_rental(vehicle=rental.vehicle, start_in_days=20)
    numbers = [rental.tracking.number, other.tracking.number]
    for number in numbers:
        assert _get(client, number).json()["details"]["vehicle"]["name"] != "Dacia Logan"
        assert _stored(number)
    type(rental.vehicle).objects.filter(pk=rental.vehicle_id).update(name="Dacia Logan")
    for number in numbers:
        assert _get(client, number).json()["details"]["vehicle"]["name"] == "Dacia Logan"


def test_a_rental_s_own_fields_and_status_show_at_once(client):
    rental = make_rental()
    number = rental.tracking.number
    _get(client, number)
    assert _stored(number)
    Rental.objects.filter(pk=rental.pk).update(pickup_place="Gare de Rabat")
    assert _get(client, number).json()["details"]["pickup_place"] == "Gare de Rabat"
    status_transition(obj=Rental.objects.get(pk=rental.pk), to_status="confirmee")
    assert _get(client, number).json()["status"] == "confirmee"


def test_a_ticket_s_messages_and_attachments_show_at_once(client):
    ticket = make_ticket()
    number = ticket.tracking.number
    assert len(_get(client, number).json()["details"]["messages"]) == 1
    assert _stored(number)
    staff_reply(ticket, "Nous regardons.")
    assert [m["body"] for m in _get(client, number).json()["details"]["messages"]][-1] == "Nous regardons."
    customer_reply(ticket, "Merci.")
    assert len(_get(client, number).json()["details"]["messages"]) == 3
    Message.objects.filter(ticket=ticket, body="Merci.").update(body="Merci beaucoup.")
    assert _get(client, number).json()["details"]["messages"][-1]["body"] == "Merci beaucoup."
    # an internal note changes nothing the customer sees, and is never in the answer
    staff_reply(ticket, "Client difficile", internal=True)
    assert "Client difficile" not in _get(client, number).content.decode()


def test_a_ticket_s_attachment_removed_is_gone_from_its_answer(client):
    ticket = make_ticket()
    photo = SimpleUploadedFile("photo.png", png(), content_type="image/png")
    message_add(ticket=ticket, body="Voici la photo", side=ticket.Side.CUSTOMER, files=[photo])
    number = ticket.tracking.number
    assert len(_get(client, number).json()["details"]["messages"][-1]["attachments"]) == 1
    assert _stored(number)
    Attachment.objects.filter(message__ticket=ticket).delete()
    assert _get(client, number).json()["details"]["messages"][-1]["attachments"] == []


def test_a_stale_copy_of_the_tracking_row_saved_by_the_orm_never_moves_its_version_back(client):
    revision = make_revision()
    number = revision.tracking.number
    stale = TrackedItem.objects.get(number=number)
    _get(client, number)
    status_transition(obj=revision, to_status="annule")
    moved = TrackedItem.objects.get(number=number).answer_version
    assert moved > stale.answer_version
    stale.save()  # writes the old answer_version
    assert TrackedItem.objects.get(number=number).answer_version > moved
    assert _get(client, number).json()["status"] == "annule"


def test_an_answer_that_changes_by_itself_is_not_served_past_that_moment(client, settings, django_assert_num_queries):
    revision = make_quoted_revision()
    number = revision.tracking.number
    answers.shape()  # computed once per process: not inside the window below
    # a quote whose validity ends in two seconds
    sent = timezone.now() - timedelta(days=settings.REVISION_QUOTE_VALIDITY_DAYS) + timedelta(seconds=2)
    Revision.objects.filter(pk=revision.pk).update(quote_sent_at=sent)
    assert _get(client, number).json()["details"]["can_decide_quote"] is True
    [answer] = _stored(number)
    assert answer.valid_until is not None
    with django_assert_num_queries(1):
        assert _get(client, number).json()["details"]["can_decide_quote"] is True
    time.sleep(max(0.0, (answer.valid_until - timezone.now()).total_seconds()) + 0.05)
    with django_assert_num_queries(3):  # past its moment: built again
        assert _get(client, number).json()["details"]["can_decide_quote"] is False


def test_answers_of_another_format_are_built_again(client, monkeypatch, django_assert_num_queries):
    number = make_revision().tracking.number
    _get(client, number)
    monkeypatch.setattr(answers, "FORMAT", "another")
    answers.shape.cache_clear()
    try:
        with django_assert_num_queries(3):
            _get(client, number)
        [answer] = _stored(number)
        assert answer.shape == answers.shape()
    finally:
        monkeypatch.undo()
        answers.shape.cache_clear()


def test_a_changed_source_file_or_catalogue_changes_the_shape(tmp_path, monkeypatch):
    from tracking.answers import _shape_files

    catalogue = tmp_path / "en" / "LC_MESSAGES" / "django.mo"
    catalogue.parent.mkdir(parents=True)
    catalogue.write_bytes(b"first")
    files = [*_shape_files(), (tmp_path, catalogue)]
    monkeypatch.setattr(answers, "_shape_files", lambda: files)
    answers.shape.cache_clear()
    try:
        first = answers.shape()
        catalogue.write_bytes(b"second")
        answers.shape.cache_clear()
        assert answers.shape() != first
    finally:
        monkeypatch.undo()
        answers.shape.cache_clear()


def test_the_shape_is_the_same_whatever_the_language_of_its_first_reader():
    shapes = set()
    for language in ("en", "fr"):
        answers.shape.cache_clear()
        with translation.override(language):
            shapes.add(answers.shape())
    answers.shape.cache_clear()
    assert len(shapes) == 1


def test_an_answer_built_before_a_committed_change_is_not_stored():
    revision = make_revision()
    number = revision.tracking.number
    view = _view(number)  # read before the change
    body = json.dumps(view.as_json(), cls=DjangoJSONEncoder).encode()
    status_transition(obj=revision, to_status="annule")
    item = view.obj.tracking
    answers.store(item_id=item.pk, version=item.answer_version, language="fr", body=body, valid_until=None)
    assert not _stored(number)


def test_an_answer_already_past_its_moment_is_not_stored():
    revision = make_revision()
    item = revision.tracking
    answers.store(item_id=item.pk, version=item.answer_version, language="fr", body=b"{}", valid_until=timezone.now())
    assert not _stored(item.number)


def test_a_setting_the_answers_read_changes_their_shape(settings):
    before = answers.shape()
    answers.shape.cache_clear()
    try:
        settings.REVISION_QUOTE_VALIDITY_DAYS += 1
        assert answers.shape() != before
    finally:
        answers.shape.cache_clear()


def test_the_shape_does_not_depend_on_where_the_code_is_installed(tmp_path, monkeypatch):
    import shutil

    from tracking.answers import _shape_files

    before = answers.shape()
    copy = tmp_path / "elsewhere"
    for root, path in _shape_files():
        target = copy / path.relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    moved = [(copy, copy / path.relative_to(root)) for root, path in _shape_files()]
    monkeypatch.setattr(answers, "_shape_files", lambda: moved)
    answers.shape.cache_clear()
    try:
        assert answers.shape() == before
    finally:
        monkeypatch.undo()
        answers.shape.cache_clear()


def test_the_demo_s_sqlite_builds_every_answer(client, monkeypatch):
    number = make_revision().tracking.number
    monkeypatch.setattr(connection, "vendor", "sqlite-like")
    assert _get(client, number).json()["tracking_number"] == number
    monkeypatch.undo()
    assert not PublicAnswer.objects.exists()


def test_the_triggers_follow_the_registry_and_their_install_is_idempotent():
    tables = set(answers.sources())
    assert {"revisions_revision", "revisions_revisionmedia", "rentals_rental", "rentals_rentalvehicle"} <= tables
    assert {"support_ticket", "support_message", "support_attachment", "tracking_trackingevent"} <= tables
    with connection.cursor() as cursor:
        # a table that no longer feeds any answer keeps no trigger
        cursor.execute(
            "CREATE TRIGGER tracking_answers AFTER INSERT ON licenses_product "
            "FOR EACH ROW EXECUTE FUNCTION tracking_answers_item()"
        )
    answers.install_triggers()
    answers.install_triggers()
    assert _installed_triggers() == tables | {"tracking_trackeditem"}


def _installed_triggers() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tgrelid::regclass::text FROM pg_trigger WHERE tgname = 'tracking_answers'")
        return {name for (name,) in cursor.fetchall()}


def test_without_the_answers_table_no_trigger_is_left_to_break_writes(monkeypatch):
    # as after a migration rolled back (tracking 0005's reverse drops them too)
    real = connection.introspection.table_names
    monkeypatch.setattr(
        connection.introspection, "table_names", lambda *a, **k: [t for t in real(*a, **k) if t != answers.ANSWERS]
    )
    answers.install_triggers()
    assert not _installed_triggers()
    make_revision()  # writes still work
    monkeypatch.undo()
    answers.install_triggers()
    assert _installed_triggers() == set(answers.sources()) | {"tracking_trackeditem"}


@pytest.mark.django_db(transaction=True)
def test_an_answer_built_from_data_a_writer_is_changing_is_never_stored_and_never_waits(client):
    # given a revision whose answer a customer is about to ask for
    revision = make_revision()
    number = revision.tracking.number
    changed, release = threading.Event(), threading.Event()

    def writer():
        with transaction.atomic():
            status_transition(obj=Revision.objects.get(pk=revision.pk), to_status="annule")
            changed.set()
            release.wait(10)

    def reader():
        changed.wait(10)
        status = _get(Client(), number).json()["status"]
        return status, release.is_set()

    # when the reader builds and stores its answer while the change is not committed
    threading.Timer(3, release.set).start()
    written, (read, writer_done) = run_at_once(writer, reader)
    # then the reader answered what was committed, without waiting for the writer, and
    # stored nothing (the writer held the tracking row: the store skipped it)
    assert written is None
    assert (read, writer_done) == ("en_attente", False)
    assert not _stored(number)
    assert _get(client, number).json()["status"] == "annule"


def test_a_service_whose_tables_are_gone_gets_no_trigger_and_the_others_keep_theirs(monkeypatch):
    # as after the rentals app migrated back: no trigger may read its tables
    real = connection.introspection.table_names
    gone = {"rentals_rental", "rentals_rentalvehicle"}
    monkeypatch.setattr(
        connection.introspection, "table_names", lambda *a, **k: [t for t in real(*a, **k) if t not in gone]
    )
    answers.install_triggers()
    assert _installed_triggers() == set(answers.sources()) - gone | {"tracking_trackeditem"}
    monkeypatch.undo()
    answers.install_triggers()
    assert _installed_triggers() == set(answers.sources()) | {"tracking_trackeditem"}


@pytest.mark.django_db(transaction=True)
def test_a_rental_moved_to_a_car_being_renamed_never_keeps_the_old_name():
    # given a car being renamed in a transaction still open, and a rental of another car
    car = make_rental().vehicle
    moved = make_rental(start_in_days=60)
    number = moved.tracking.number
    renamed, release = threading.Event(), threading.Event()

    def rename():
        with transaction.atomic():
            type(car).objects.filter(pk=car.pk).update(name="Dacia Logan")
            renamed.set()
            release.wait(10)

    def move_then_read():
        # when the rental is moved to that car, and its answer read and stored at once
        renamed.wait(10)
        Rental.objects.filter(pk=moved.pk).update(vehicle=car)
        return _get(Client(), number).json()["details"]["vehicle"]["name"]

    threading.Timer(1.5, release.set).start()
    done, name = run_at_once(rename, move_then_read)
    # then the move waited for the new name (the car's row is locked FOR SHARE by the
    # rental's trigger), and no answer keeps the old one
    assert done is None
    assert name == "Dacia Logan"
    assert _get(Client(), number).json()["details"]["vehicle"]["name"] == "Dacia Logan"


@pytest.mark.django_db(transaction=True)
def test_readers_at_once_store_one_answer_per_language(client):
    number = make_revision().tracking.number
    bodies = run_at_once(*[lambda: _get(Client(), number).content] * 4)
    assert len(set(bodies)) == 1
    assert len(_stored(number)) == 1

"""Photos and videos of a revision: added by staff through the service and the admin
(checked by content, photos re-encoded without their metadata), shown on the public
tracking page and in its JSON, served only to holders of the number (with HTTP ranges),
the cached page refreshed on every change, and the page's cost in queries."""

import re
from io import BytesIO
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from core.origin import SYSTEM
from core.uploads import UploadRefused
from revisions.models import RevisionMedia
from revisions.services import revision_media_add, revision_media_delete
from tracking.models import TrackingEvent

from .factories import make_quoted_revision, make_revision
from .test_uploads import GPS_IFD, MP4_HEAD, WEBM_HEAD, jpeg_with_gps, png

pytestmark = pytest.mark.django_db

KB, MB = 1024, 1024 * 1024
REFUSED_TYPE = "Type de fichier non accepté (formats acceptés\u00a0: JPEG, MP4, PNG, WebM, WebP)."


def photo_upload(name="IMG_2041.JPG", size=(3000, 2000), colour="red") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, jpeg_with_gps(size, colour=colour), content_type="image/jpeg")


def video_upload(name="clip.mp4", length=64 * KB, head=MP4_HEAD) -> SimpleUploadedFile:
    body = (head + bytes(range(256)) * (length // 256 + 1))[:length]
    return SimpleUploadedFile(name, body, content_type="video/mp4")


def add_photo(revision, *, label="diagnostic", caption="", size=(800, 600), colour="red"):
    return revision_media_add(
        revision=revision, file=photo_upload(size=size, colour=colour), label=label, caption=caption, origin=SYSTEM
    )


def stored_files() -> list[str]:
    root = Path(default_storage.location)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


# --- the service ------------------------------------------------------------------------


def test_a_photo_is_stored_resized_without_its_exif_and_gps_with_a_thumbnail():
    # given a revision and a 3000 × 2000 camera photo with its GPS position
    revision = make_revision()
    # when staff add it
    media = revision_media_add(
        revision=revision, file=photo_upload(), label="diagnostic", caption="Plaquettes usées", origin=SYSTEM
    )
    # then the stored photo is at most 1600 px, and carries no EXIF or GPS
    media.refresh_from_db()
    assert (media.kind, media.label, media.caption) == ("photo", "diagnostic", "Plaquettes usées")
    assert (media.content_type, media.width, media.height) == ("image/jpeg", 1600, 1067)
    with media.file.open("rb") as stored:
        image = Image.open(BytesIO(stored.read()))
    assert image.size == (1600, 1067) and image.format == "JPEG"
    assert dict(image.getexif()) == {} and not image.getexif().get_ifd(GPS_IFD)
    assert media.size == media.file.size
    with media.thumbnail.open("rb") as stored:
        assert max(Image.open(BytesIO(stored.read())).size) == 480


def test_stored_paths_are_random_under_the_revision_folder_and_never_the_uploaded_name():
    revision = make_revision()
    first, second = add_photo(revision), add_photo(revision)
    number = revision.tracking.number
    for name in (first.file.name, first.thumbnail.name, second.file.name):
        assert re.fullmatch(r"revisions/[0-9a-f]{20}/[\w-]{20,}\.jpg", name), name
        assert "IMG_2041" not in name and number not in name
    # one folder per revision, the files apart
    assert Path(first.file.name).parent == Path(second.file.name).parent
    assert len({first.file.name, first.thumbnail.name, second.file.name, second.thumbnail.name}) == 4
    assert Path(make_revision().tracking.number).name not in first.file.name
    assert (first.position, second.position) == (0, 1)


def test_each_photo_added_or_removed_leaves_a_staff_only_history_row(client, staff_client):
    revision = make_revision()
    media = revision_media_add(
        revision=revision, file=photo_upload(), label="before", caption="Disque avant", origin=SYSTEM
    )
    revision_media_delete(media=media, origin=SYSTEM)
    rows = TrackingEvent.objects.filter(item=revision.tracking, internal=True).order_by("pk")
    assert [row.note for row in rows] == [
        "Photo ajoutée (Avant intervention) · Disque avant",
        "Photo supprimée (Avant intervention) · Disque avant",
    ]
    # never on the public page
    number = revision.tracking.number
    assert "Photo ajoutée" not in client.get(f"/tracking/{number}/").content.decode()
    assert all("Photo" not in row["note"] for row in client.get(f"/api/tracking/{number}").json()["history"])


def test_a_video_is_stored_as_sent():
    revision = make_revision()
    upload = video_upload()
    sent = upload.read()
    media = revision_media_add(revision=revision, file=upload, label="after", origin=SYSTEM)
    assert (media.kind, media.content_type, media.size) == ("video", "video/mp4", len(sent))
    assert media.width is None and not media.thumbnail
    assert media.file.name.endswith(".mp4") and "clip" not in media.file.name
    with media.file.open("rb") as stored:
        assert stored.read() == sent


def test_a_webm_video_is_accepted():
    media = revision_media_add(
        revision=make_revision(), file=video_upload("clip.webm", head=WEBM_HEAD), label="after", origin=SYSTEM
    )
    assert media.content_type == "video/webm" and media.file.name.endswith(".webm")


def test_a_video_too_large_is_refused_and_nothing_is_kept(settings):
    settings.REVISION_MEDIA_VIDEO_MAX_BYTES = 100 * KB
    revision = make_revision()
    with pytest.raises(UploadRefused) as refused:
        revision_media_add(revision=revision, file=video_upload(length=101 * KB), label="after", origin=SYSTEM)
    assert refused.value.code == "FILE_TOO_LARGE"
    assert refused.value.message == "Fichier trop volumineux\u00a0: 100\u00a0Ko au plus."
    assert not RevisionMedia.objects.exists() and stored_files() == []


def test_the_default_limits_are_10_mb_for_photos_and_20_mb_for_videos(settings):
    assert settings.REVISION_MEDIA_IMAGE_MAX_BYTES == 10 * MB
    assert settings.REVISION_MEDIA_VIDEO_MAX_BYTES == 20 * MB
    assert settings.REVISION_MEDIA_IMAGE_MAX_SIDE == 1600
    revision = make_revision()
    big_photo = SimpleUploadedFile("big.jpg", png() + b"\x00" * (10 * MB), content_type="image/jpeg")
    with pytest.raises(UploadRefused) as refused:
        revision_media_add(revision=revision, file=big_photo, label="other", origin=SYSTEM)
    assert refused.value.message == "Fichier trop volumineux\u00a0: 10\u00a0Mo au plus."
    with pytest.raises(UploadRefused) as refused:
        revision_media_add(revision=revision, file=video_upload(length=20 * MB + 1), label="other", origin=SYSTEM)
    assert refused.value.message == "Fichier trop volumineux\u00a0: 20\u00a0Mo au plus."


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("devis.pdf", b"%PDF-1.4 not a photo"),
        ("photo.png", b"<html><script>alert(1)</script></html>"),
        ("photo.heic", b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64),
    ],
)
def test_anything_else_is_refused_with_the_accepted_formats(name, content):
    with pytest.raises(UploadRefused) as refused:
        revision_media_add(
            revision=make_revision(), file=SimpleUploadedFile(name, content, "image/png"), label="other", origin=SYSTEM
        )
    assert refused.value.code == "FILE_TYPE_REFUSED"
    assert refused.value.message == REFUSED_TYPE
    assert not RevisionMedia.objects.exists() and stored_files() == []


def test_a_truncated_photo_is_refused_as_unreadable():
    cut = SimpleUploadedFile("cut.jpg", jpeg_with_gps((800, 600))[:3000], "image/jpeg")
    with pytest.raises(UploadRefused) as refused:
        revision_media_add(revision=make_revision(), file=cut, label="other", origin=SYSTEM)
    assert refused.value.code == "IMAGE_UNREADABLE"
    assert stored_files() == []


def test_deleting_removes_the_row_and_its_files_once_committed(django_capture_on_commit_callbacks):
    media = add_photo(make_revision())
    names = [media.file.name, media.thumbnail.name]
    assert all(default_storage.exists(name) for name in names)
    with django_capture_on_commit_callbacks(execute=True):
        revision_media_delete(media=media, origin=SYSTEM)
    assert not RevisionMedia.objects.filter(pk=media.pk).exists()
    assert not any(default_storage.exists(name) for name in names)
    # deleting it again (a second tab) changes nothing
    revision_media_delete(media=media, origin=SYSTEM)


# --- the admin ------------------------------------------------------------------------------


def test_staff_upload_several_files_at_once_through_the_admin(staff_client):
    # given a revision's upload page
    revision = make_revision()
    url = f"/admin/revisions/revision/{revision.pk}/medias/"
    page = staff_client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'type="file"' in html and "multiple" in html and 'enctype="multipart/form-data"' in html
    # when two photos and an HTML file named .png are sent together
    files = [
        photo_upload("maison.jpg", size=(4000, 3000)),
        SimpleUploadedFile("scan.jpg", png((2400, 1800)), "image/jpeg"),  # a PNG named .jpg
        SimpleUploadedFile("evil.png", b"<html><script>alert(1)</script></html>", "image/png"),
    ]
    response = staff_client.post(url, {"files": files, "label": "before", "caption": "Avant"}, follow=True)
    # then the photos are stored sanitized, the HTML refused with its name and reason
    assert response.status_code == 200
    messages = [str(m) for m in response.context["messages"]]
    assert "2 fichiers ajoutés." in messages
    assert f"evil.png\u00a0: {REFUSED_TYPE}" in messages
    stored = list(revision.media.order_by("pk"))
    assert [(m.label, m.caption, m.content_type) for m in stored] == [("before", "Avant", "image/jpeg")] * 2
    assert [(m.width, m.height) for m in stored] == [(1600, 1200), (1600, 1200)]
    for media in stored:
        with media.file.open("rb") as file:
            image = Image.open(BytesIO(file.read()))
        assert dict(image.getexif()) == {}
        assert media.uploaded_by == staff_client.user
    # and the change page lists them with their thumbnails
    change = staff_client.get(f"/admin/revisions/revision/{revision.pk}/change/").content.decode()
    assert f"/tracking/{revision.tracking.number}/medias/{stored[0].pk}/miniature/" in change
    assert "Ajouter des photos/vidéos" in change
    history = TrackingEvent.objects.filter(item=revision.tracking, internal=True)
    assert history.count() == 2 and {e.actor for e in history} == {staff_client.user}


def test_an_upload_with_only_refused_files_shows_the_form_again_with_the_reasons(staff_client):
    revision = make_revision()
    bad = SimpleUploadedFile("notes.txt", b"just text", "text/plain")
    response = staff_client.post(f"/admin/revisions/revision/{revision.pk}/medias/", {"files": [bad], "label": "other"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "notes.txt\u00a0: Type de fichier non accepté" in html
    assert not revision.media.exists()


def test_staff_correct_a_label_and_delete_a_photo_from_the_change_form(
    staff_client, client, django_capture_on_commit_callbacks
):
    revision = make_revision()
    keep, drop = add_photo(revision, caption="Plaquettes"), add_photo(revision, caption="Floue")
    form = {
        "client_name": revision.client_name,
        "client_email": revision.client_email,
        "client_phone": revision.client_phone,
        "vehicle_make": revision.vehicle_make,
        "vehicle_model": revision.vehicle_model,
        "vehicle_year": str(revision.vehicle_year),
        "vehicle_plate": revision.vehicle_plate,
        "mileage": str(revision.mileage),
        "problem_description": revision.problem_description,
        "preferred_date": revision.preferred_date.isoformat(),
        "media-TOTAL_FORMS": "2",
        "media-INITIAL_FORMS": "2",
        "media-0-id": str(keep.pk),
        "media-0-revision": str(revision.pk),
        "media-0-label": "after",
        "media-0-caption": "Plaquettes neuves",
        "media-1-id": str(drop.pk),
        "media-1-revision": str(revision.pk),
        "media-1-label": "diagnostic",
        "media-1-caption": "Floue",
        "media-1-DELETE": "on",
    }
    drop_files = [drop.file.name, drop.thumbnail.name]
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(f"/admin/revisions/revision/{revision.pk}/change/", form)
    assert response.status_code == 302
    keep.refresh_from_db()
    assert (keep.label, keep.caption) == ("after", "Plaquettes neuves")
    assert list(revision.media.all()) == [keep]
    assert not any(default_storage.exists(name) for name in drop_files)
    notes = list(TrackingEvent.objects.filter(item=revision.tracking, internal=True).values_list("note", flat=True))
    assert "Photo supprimée (Diagnostic) · Floue" in notes
    assert "Photo modifiée (Après intervention) · Plaquettes neuves" in notes


def test_the_change_form_cannot_add_a_file_by_itself(staff_client):
    html = staff_client.get(f"/admin/revisions/revision/{make_revision().pk}/change/").content.decode()
    assert 'name="media-TOTAL_FORMS"' in html and 'name="media-MAX_NUM_FORMS" value="0"' in html
    assert 'type="file"' not in html


# --- the public page, the JSON, the files -------------------------------------------------------


def test_the_tracking_page_shows_the_thumbnails_grouped_by_label(client):
    revision = make_quoted_revision()
    after = add_photo(revision, label="after", caption="Plaquettes neuves")
    diagnostic = add_photo(revision, label="diagnostic", caption="Usure de jean.dupont@example.com")
    video = revision_media_add(revision=revision, file=video_upload(), label="before", origin=SYSTEM)
    number = revision.tracking.number
    html = client.get(f"/tracking/{number}/").content.decode()
    assert 'data-testid="media-card"' in html and "Photos et vidéos" in html
    # diagnostic, then before, then after
    assert html.index("<h3>Diagnostic</h3>") < html.index("<h3>Avant intervention</h3>")
    assert html.index("<h3>Avant intervention</h3>") < html.index("<h3>Après intervention</h3>")
    assert f'src="/tracking/{number}/medias/{diagnostic.pk}/miniature/"' in html
    assert f'href="/tracking/{number}/medias/{after.pk}/"' in html
    assert f'href="/tracking/{number}/medias/{video.pk}/" data-media="video"' in html
    assert 'alt="Plaquettes neuves"' in html
    assert "jean.dupont@example.com" not in html and "j***@e***.com" in html  # captions masked
    assert "js/media-viewer.js" in html and "<dialog" in html
    assert "/media/" not in html


def test_a_page_without_photos_has_no_card_and_no_script(client):
    html = client.get(f"/tracking/{make_revision().tracking.number}/").content.decode()
    assert 'data-testid="media-card"' not in html and "media-viewer.js" not in html


def test_the_json_lists_the_media(client):
    revision = make_revision()
    photo = add_photo(revision, label="diagnostic", caption="Appelez le 0612345678")
    video = revision_media_add(revision=revision, file=video_upload(), label="after", origin=SYSTEM)
    number = revision.tracking.number
    media = client.get(f"/api/tracking/{number}").json()["details"]["media"]
    assert media == [
        {
            "id": photo.pk,
            "kind": "photo",
            "label": "diagnostic",
            "label_text": "Diagnostic",
            "caption": "Appelez le 06******78",
            "url": f"/tracking/{number}/medias/{photo.pk}/",
            "thumbnail_url": f"/tracking/{number}/medias/{photo.pk}/miniature/",
            "content_type": "image/jpeg",
            "width": 800,
            "height": 600,
        },
        {
            "id": video.pk,
            "kind": "video",
            "label": "after",
            "label_text": "Après intervention",
            "caption": "",
            "url": f"/tracking/{number}/medias/{video.pk}/",
            "thumbnail_url": None,
            "content_type": "video/mp4",
            "width": None,
            "height": None,
        },
    ]
    client.cookies["django_language"] = "en"
    assert client.get(f"/api/tracking/{number}").json()["details"]["media"][1]["label_text"] == "After the work"


def test_a_photo_and_its_thumbnail_are_served_to_the_holder_of_the_number(client):
    revision = make_revision()
    media = add_photo(revision)
    number = revision.tracking.number
    response = client.get(f"/tracking/{number}/medias/{media.pk}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, max-age=3600"
    body = b"".join(response.streaming_content)
    assert Image.open(BytesIO(body)).size == (800, 600)
    thumbnail = client.get(f"/tracking/{number}/medias/{media.pk}/miniature/")
    assert thumbnail.status_code == 200 and thumbnail["Content-Type"] == "image/jpeg"
    assert Image.open(BytesIO(b"".join(thumbnail.streaming_content))).size == (480, 360)


def test_another_numbers_media_and_unknown_ids_are_not_found(client):
    mine, theirs = make_revision(), make_revision()
    their_photo = add_photo(theirs)
    number = mine.tracking.number
    assert client.get(f"/tracking/{number}/medias/{their_photo.pk}/").status_code == 404
    assert client.get(f"/tracking/{number}/medias/{their_photo.pk}/miniature/").status_code == 404
    assert client.get(f"/tracking/{number}/medias/999999/").status_code == 404
    # the number must be exactly the revision's (no forgiving of case here)
    assert client.get(f"/tracking/{theirs.tracking.number.lower()}/medias/{their_photo.pk}/").status_code == 404
    # a video has no thumbnail
    video = revision_media_add(revision=theirs, file=video_upload(), label="after", origin=SYSTEM)
    assert client.get(f"/tracking/{theirs.tracking.number}/medias/{video.pk}/miniature/").status_code == 404


def test_failed_media_lookups_count_like_failed_tracking_lookups(client, settings):
    settings.TRACKING_FAILED_LOOKUPS_RATE = "3/h"
    revision = make_revision()
    photo = add_photo(revision)
    other = make_revision().tracking.number
    for _ in range(3):
        assert client.get(f"/tracking/{other}/medias/{photo.pk}/").status_code == 404
    # the limit reached, the real photo is refused too (from a browser that never opened the page)
    assert client.get(f"/tracking/{revision.tracking.number}/medias/{photo.pk}/").status_code == 429


def test_a_video_is_served_in_ranges(client):
    revision = make_revision()
    upload = video_upload(length=100 * KB)
    sent = upload.read()
    video = revision_media_add(revision=revision, file=upload, label="after", origin=SYSTEM)
    url = f"/tracking/{revision.tracking.number}/medias/{video.pk}/"
    whole = client.get(url)
    assert whole.status_code == 200 and whole["Accept-Ranges"] == "bytes" and whole["Content-Type"] == "video/mp4"
    assert b"".join(whole.streaming_content) == sent
    part = client.get(url, headers={"Range": "bytes=1000-1999"})
    assert part.status_code == 206
    assert part["Content-Range"] == f"bytes 1000-1999/{len(sent)}" and part["Content-Length"] == "1000"
    assert b"".join(part.streaming_content) == sent[1000:2000]
    start = client.get(url, headers={"Range": "bytes=0-"})
    assert start.status_code == 206 and start["Content-Range"] == f"bytes 0-{len(sent) - 1}/{len(sent)}"
    tail = client.get(url, headers={"Range": "bytes=-100"})
    assert b"".join(tail.streaming_content) == sent[-100:]
    beyond = client.get(url, headers={"Range": f"bytes={len(sent)}-"})
    assert beyond.status_code == 416 and beyond["Content-Range"] == f"bytes */{len(sent)}"


def test_media_are_never_under_the_public_media_url(client):
    media = add_photo(make_revision())
    assert client.get(f"/media/{media.file.name}").status_code == 404


# --- cache and queries ------------------------------------------------------------------------------


def test_adding_and_deleting_a_photo_refreshes_the_cached_page_and_json(client, django_capture_on_commit_callbacks):
    revision = make_revision()
    number = revision.tracking.number
    # given the page and JSON cached without photos
    assert client.get(f"/api/tracking/{number}").json()["details"]["media"] == []
    assert "media-card" not in client.get(f"/tracking/{number}/").content.decode()
    # when a photo is added, they show it
    with django_capture_on_commit_callbacks(execute=True):
        media = add_photo(revision)
    assert [m["id"] for m in client.get(f"/api/tracking/{number}").json()["details"]["media"]] == [media.pk]
    assert "media-card" in client.get(f"/tracking/{number}/").content.decode()
    # when it is deleted, they no longer do
    with django_capture_on_commit_callbacks(execute=True):
        revision_media_delete(media=media, origin=SYSTEM)
    assert client.get(f"/api/tracking/{number}").json()["details"]["media"] == []
    assert "media-card" not in client.get(f"/tracking/{number}/").content.decode()


@pytest.mark.parametrize("count", [0, 1, 5])
def test_the_media_cost_one_query_whatever_their_number(client, django_assert_num_queries, count):
    revision = make_quoted_revision()
    for i in range(count):
        add_photo(revision, label=["diagnostic", "before", "after"][i % 3], size=(40, 30))
    number = revision.tracking.number
    # the request with its history and its photos (one statement), then the support conversation
    with django_assert_num_queries(2):
        html = client.get(f"/tracking/{number}/").content.decode()
    assert html.count('class="media-item"') == count
    # the stored answer looked for, the one statement, the answer stored (tracking.answers)
    with django_assert_num_queries(3):
        assert len(client.get(f"/api/tracking/{number}").json()["details"]["media"]) == count
    # cached: no query at all
    with django_assert_num_queries(0):
        assert client.get(f"/tracking/{number}/").status_code == 200
    with django_assert_num_queries(0):
        assert client.get(f"/api/tracking/{number}").status_code == 200


def test_serving_a_file_costs_one_query(client, django_assert_num_queries):
    revision = make_revision()
    media = add_photo(revision)
    with django_assert_num_queries(1):
        response = client.get(f"/tracking/{revision.tracking.number}/medias/{media.pk}/")
        b"".join(response.streaming_content)


def test_the_media_come_in_the_lookups_statement(django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tracking.selectors import tracking_lookup

    revision = make_quoted_revision()
    add_photo(revision, label="diagnostic", size=(40, 30))
    add_photo(revision, label="after", size=(40, 30))
    with CaptureQueriesContext(connection) as captured:
        view = tracking_lookup(raw_number=revision.tracking.number)
    assert len(captured) == 1  # the revision, its history, its media: one statement
    with django_assert_num_queries(0):
        media = list(view.obj.media.all())
        assert all(m.revision is view.obj for m in media)
    assert len(media) == 2 and len(view.details["media"]) == 2

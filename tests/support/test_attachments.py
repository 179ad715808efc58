"""Attachments: checked by content, images without EXIF/GPS, served only to those who
may read the ticket (the number's holder for public messages, staff for everything)."""

from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from support import services
from support.models import Attachment, Ticket
from tests.factories import make_revision
from tests.test_uploads import GPS_IFD, jpeg_with_gps, png

from .factories import make_support_staff, make_ticket

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _run_on_commit(monkeypatch):
    from django.db import transaction

    monkeypatch.setattr(transaction, "on_commit", lambda func, using=None, robust=False: func())


def upload(content: bytes, name: str, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def contact(client, *files, **overrides):
    data = {
        "name": "Awa Diop",
        "email": "awa@example.com",
        "category": "technical",
        "subject": "Écran cassé",
        "message": "Voici une photo.",
        "files": list(files),
        **overrides,
    }
    return client.post("/contact/", data)


def test_a_photo_loses_its_gps_position_and_is_served_to_the_number_holder(client):
    response = contact(client, upload(jpeg_with_gps(size=(3000, 2000)), "IMG_0042.JPG", "image/jpeg"))
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert attachment.content_type == "image/jpeg" and attachment.name == "IMG_0042.jpg"
    assert "IMG_0042" not in attachment.file.name  # stored under a random name
    with attachment.file.open("rb") as stored:
        image = Image.open(BytesIO(stored.read()))
    assert not image.getexif().get_ifd(GPS_IFD) and max(image.size) <= 2000
    number = attachment.message.ticket.tracking.number
    page = client.get(f"/tracking/{number}/").content.decode()
    url = f"/tracking/{number}/pieces/{attachment.pk}/"
    assert url in page
    served = client.get(url)
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    assert served["X-Content-Type-Options"] == "nosniff" and "private" in served["Cache-Control"]
    assert b"".join(served.streaming_content)[:2] == b"\xff\xd8"


def test_a_pdf_is_accepted_and_an_html_file_named_png_is_refused(client):
    assert contact(client, upload(PDF, "devis.pdf", "application/pdf")).status_code == 302
    assert Attachment.objects.get().content_type == "application/pdf"
    refused = contact(client, upload(b"<html><script>alert(1)</script>", "photo.png", "image/png"), subject="Deux")
    assert refused.status_code == 400
    assert "Type de fichier non accepté" in refused.content.decode()
    assert Ticket.objects.count() == 1 and Attachment.objects.count() == 1


def test_a_file_over_the_limit_is_refused_and_nothing_is_created(client, settings):
    settings.SUPPORT_ATTACHMENT_MAX_BYTES = 1000
    refused = contact(client, upload(png(size=(400, 400)) + b"\0" * 2000, "grand.png", "image/png"))
    assert refused.status_code == 400 and "Voici une photo." in refused.content.decode()
    assert not Ticket.objects.exists()


def test_too_many_files_are_refused(client, settings):
    settings.SUPPORT_ATTACHMENT_MAX_FILES = 2
    files = [upload(PDF, f"f{i}.pdf", "application/pdf") for i in range(3)]
    assert contact(client, *files).status_code == 400
    assert not Ticket.objects.exists()


def test_another_number_or_an_internal_note_never_opens_an_attachment(client):
    agent = make_support_staff()
    ticket = make_ticket()
    other = make_ticket()
    note = services.message_add(
        ticket=ticket,
        body="Capture interne",
        side=Ticket.Side.STAFF,
        author=agent,
        internal=True,
        files=[upload(png(), "interne.png", "image/png")],
    )
    public = services.message_add(
        ticket=ticket,
        body="Voici le bon",
        side=Ticket.Side.STAFF,
        author=agent,
        files=[upload(PDF, "bon.pdf", "application/pdf")],
    )
    hidden, shown = note.attachments.get(), public.attachments.get()
    number, other_number = ticket.tracking.number, other.tracking.number
    assert client.get(f"/tracking/{number}/pieces/{shown.pk}/").status_code == 200
    assert client.get(f"/tracking/{number}/pieces/{hidden.pk}/").status_code == 404
    assert client.get(f"/tracking/{other_number}/pieces/{shown.pk}/").status_code == 404
    assert client.get(f"/tracking/{number}/pieces/999999/").status_code == 404
    assert "interne.png" not in client.get(f"/tracking/{number}/").content.decode()
    # staff open both, with the permission; a logged-in customer does not
    client.force_login(agent)
    assert client.get(f"/support/pieces/{hidden.pk}/").status_code == 200
    customer = make_support_staff("vendeur", perms=())
    client.force_login(customer)
    assert client.get(f"/support/pieces/{hidden.pk}/").status_code == 403
    client.logout()
    assert client.get(f"/support/pieces/{hidden.pk}/").status_code == 302  # to the login


def test_attachments_of_a_question_open_with_the_revision_number(client):
    revision = make_revision()
    number = revision.tracking.number
    response = client.post(
        f"/tracking/{number}/messages/",
        {"body": "Le voyant", "files": [upload(png(), "voyant.png", "image/png")]},
    )
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    url = f"/tracking/{number}/pieces/{attachment.pk}/"
    assert url in client.get(f"/tracking/{number}/").content.decode()
    assert client.get(url).status_code == 200


def test_a_refused_file_on_a_tracking_page_keeps_the_text(client):
    number = make_revision().tracking.number
    response = client.post(
        f"/tracking/{number}/messages/",
        {"body": "Mon texte", "files": [upload(b"MZ\x90\x00", "virus.exe")]},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200 and "Mon texte" in response.content.decode()
    assert "Type de fichier non accepté" in response.content.decode()
    assert not Ticket.objects.exists()

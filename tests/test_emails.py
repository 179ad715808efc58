"""Every e-mail the platform sends: a branded HTML version with its plain-text
alternative, in the recipient's language, kept in the outbox as it was sent."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone, translation

from core.mail import LOGO_CID
from core.models import OutboundMessage
from core.notify import text_lines
from core.services import message_deliver, message_queue
from licenses.notifications import license_expiry_reminders_send
from rentals.models import Rental
from rentals.services import rental_status_change, rentals_expire_holds
from revisions.models import Revision
from revisions.services import revision_quote_send, revision_status_change

from .factories import REVISION_FORM, RentalVehicleFactory, make_rental, make_revision, rental_form_data
from .licenses.factories import LicenseFactory, ProductFactory

pytestmark = pytest.mark.django_db


def html_of(message) -> str:
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return html


def mime_tree(message) -> list[tuple[int, str]]:
    """The delivered message's parts, as (depth, content type), in order."""
    tree = []

    def walk(part, depth):
        tree.append((depth, part.get_content_type()))
        if part.is_multipart():
            for sub in part.get_payload():
                walk(sub, depth + 1)

    walk(message.message(), 0)
    return tree


def html_lang(html: str) -> str:
    return re.search(r'<html lang="([^"]+)"', html).group(1)


def quote(revision, **fields):
    data = {
        "diagnostic": "Plaquettes avant usées.",
        "amount": Decimal("150000"),
        "interventions": "Remplacement des plaquettes\n- Purge du liquide de frein\n\n",
        "parts": "Plaquettes avant\n• Liquide DOT 4",
        "notify": True,
        **fields,
    }
    return revision_quote_send(revision=revision, **data)


# --- one scenario per e-mail the platform sends -------------------------------------


def revision_created(capture):
    with capture(execute=True):
        make_revision()


def revision_quote(capture):
    revision = make_revision()
    mail.outbox.clear()
    with capture(execute=True):
        quote(revision)


def revision_status(capture):
    revision = make_revision()
    mail.outbox.clear()
    with capture(execute=True):
        revision_status_change(
            revision=revision, to_status=Revision.Status.ANNULE, note="Pièce introuvable", notify=True
        )


def rental_created(capture):
    with capture(execute=True):
        make_rental()


def rental_status(capture):
    rental = make_rental()
    mail.outbox.clear()
    with capture(execute=True):
        rental_status_change(rental=rental, to_status=Rental.Status.CONFIRMEE, note="À bientôt", notify=True)


def rental_hold_expired(capture):
    rental = make_rental()
    Rental.objects.filter(pk=rental.pk).update(created_at=timezone.now() - timedelta(hours=100))
    mail.outbox.clear()
    with capture(execute=True):
        rentals_expire_holds()


def license_reminder_7_days(capture):
    ProductFactory()
    LicenseFactory(expires_in=timedelta(days=5))
    with capture(execute=True):
        license_expiry_reminders_send()


def license_reminder_1_day(capture):
    ProductFactory()
    LicenseFactory(expires_in=timedelta(hours=12))
    with capture(execute=True):
        license_expiry_reminders_send()


EVERY_EMAIL = [
    revision_created,
    revision_quote,
    revision_status,
    rental_created,
    rental_status,
    rental_hold_expired,
    license_reminder_7_days,
    license_reminder_1_day,
]


@pytest.mark.parametrize("send", EVERY_EMAIL, ids=lambda f: f.__name__)
def test_every_email_is_branded_html_with_a_plain_text_alternative(send, django_capture_on_commit_callbacks):
    send(django_capture_on_commit_callbacks)

    [message] = mail.outbox
    html = html_of(message)
    # The text body, then the HTML with the logo it shows, side by side in the alternative.
    assert mime_tree(message) == [
        (0, "multipart/alternative"),
        (1, "text/plain"),
        (1, "multipart/related"),
        (2, "text/html"),
        (2, "image/png"),
    ]
    logo = message.message().get_payload()[1].get_payload()[1]
    assert logo["Content-ID"] == f"<{LOGO_CID}>" and logo.get_content_disposition() == "inline"
    assert logo.get_payload(decode=True).startswith(b"\x89PNG")
    # The branded base: logo, colours, the footer with the platform, the reason and the site.
    assert f'src="cid:{LOGO_CID}"' in html and "#0f5c4d" in html and "max-width:600px" in html
    assert settings.PLATFORM_NAME in html and f'href="{settings.SITE_URL}"' in html
    assert "Vous recevez cet e-mail parce que" in html
    # The text base: the same footer, no markup, no HTML escaping.
    assert message.body.rstrip().splitlines()[-2] == f"— {settings.PLATFORM_NAME} · {settings.SITE_URL}"
    assert "Vous recevez cet e-mail parce que" in message.body
    assert "<" not in message.body and "&#x27;" not in message.body and "&amp;" not in message.body
    # The outbox row keeps both versions, as sent.
    row = OutboundMessage.objects.get(channel="email", subject=message.subject)
    assert row.status == "sent" and row.body == message.body and row.html_body == html


def test_the_quote_lists_interventions_and_parts_as_bullets_in_both_parts(django_capture_on_commit_callbacks):
    revision_quote(django_capture_on_commit_callbacks)

    [message] = mail.outbox
    html = html_of(message)
    for item in ["Remplacement des plaquettes", "Purge du liquide de frein", "Plaquettes avant", "Liquide DOT 4"]:
        # One bullet per line the staff typed, without the bullet they typed themselves.
        assert f"\n• {item}\n" in message.body
        assert re.search(rf"<li[^>]*>{item}</li>", html)
    assert html.count("<ul") == 2 and html.count("<li") == 4
    assert "• -" not in message.body and "• •" not in message.body


def test_the_quote_keeps_its_amount_link_and_validity(django_capture_on_commit_callbacks):
    revision_quote(django_capture_on_commit_callbacks)

    [message] = mail.outbox
    revision = Revision.objects.get()
    link = re.search(r"https?://\S+\?devis=\S+", message.body).group(0)
    html = html_of(message)
    assert message.subject == f"Votre devis {revision.tracking.number}\u00a0: 150\u202f000\u00a0FCFA"
    for part in (message.body, html):
        assert "150\u202f000\u00a0FCFA" in part
        assert f"valable {settings.REVISION_QUOTE_LINK_DAYS} jours" in part
        assert "Ne le transférez pas" in part
    assert f'href="{link}"' in html


def test_staff_text_lines_become_items_without_their_typed_bullets():
    assert text_lines("Vidange\n - Filtre à huile\n• Bougies\n\n*  Courroie\n-\n-10 % de remise") == [
        "Vidange",
        "Filtre à huile",
        "Bougies",
        "Courroie",
        "-10 % de remise",
    ]
    assert text_lines("") == []


def test_customer_text_is_escaped_in_the_html(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        make_revision(client_name="Awa <script>alert(1)</script>")

    [message] = mail.outbox
    html = html_of(message)
    assert "<script>" not in html and "Awa &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Bonjour Awa <script>alert(1)</script>," in message.body  # plain text: as typed


# --- the recipient's language --------------------------------------------------------


def post_in_english(client, path, data):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client.post(path, data)


def test_a_revision_requested_in_english_gets_every_email_in_english(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert post_in_english(client, "/revisions/", REVISION_FORM).status_code == 302
    revision = Revision.objects.select_related("tracking").get()
    assert revision.tracking.language == "en"
    # Later e-mails are sent by staff (or a job) in French, and still follow the request.
    with django_capture_on_commit_callbacks(execute=True), translation.override("fr"):
        quote(revision)
        revision_status_change(revision=revision, to_status=Revision.Status.DEVIS_ACCEPTE, notify=True)

    created, quoted, status = mail.outbox
    for message in (created, quoted, status):
        assert html_lang(html_of(message)) == "en"
    # Strings the English catalogue already has.
    assert "Track my request" in html_of(created)
    assert "Planned work" in html_of(quoted) and "Required parts" in html_of(quoted)
    assert status.subject.endswith(": Quote accepted")


def test_a_rental_requested_in_english_gets_its_emails_in_english(client, django_capture_on_commit_callbacks):
    vehicle = RentalVehicleFactory()
    start = timezone.localdate() + timedelta(days=3)
    data = rental_form_data(vehicle, start=start)
    with django_capture_on_commit_callbacks(execute=True):
        assert post_in_english(client, "/locations/", data).status_code == 302
    rental = Rental.objects.select_related("tracking").get()
    assert rental.tracking.language == "en"
    with django_capture_on_commit_callbacks(execute=True):
        rental_status_change(rental=rental, to_status=Rental.Status.CONFIRMEE, notify=True)

    created, confirmed = mail.outbox
    assert html_lang(html_of(created)) == html_lang(html_of(confirmed)) == "en"
    assert "Pick-up:" in created.body and "From " in created.body
    assert confirmed.subject.endswith(": Confirmed") and "Confirmed" in confirmed.body


def test_a_french_request_stays_french_whatever_language_staff_use(django_capture_on_commit_callbacks):
    revision = make_revision()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True), translation.override("en"):
        revision_status_change(revision=revision, to_status=Revision.Status.ANNULE, notify=True)

    [message] = mail.outbox
    assert html_lang(html_of(message)) == "fr"
    assert message.subject == f"Révision {revision.tracking.number}\u00a0: Annulé"


def test_the_quote_sms_follows_the_request_language_and_stays_plain(django_capture_on_commit_callbacks):
    with translation.override("en"):
        revision = make_revision()
    with django_capture_on_commit_callbacks(execute=True):
        quote(revision)

    sms = OutboundMessage.objects.get(channel="sms")
    assert sms.html_body == "" and "\u00a0" not in sms.body and "\u202f" not in sms.body
    assert revision.tracking.number in sms.body and "?devis=" in sms.body


def test_license_reminders_use_the_site_language_and_time_zone(django_capture_on_commit_callbacks):
    ProductFactory()
    lic = LicenseFactory(expires_in=timedelta(days=5))
    # Whatever language and time zone the worker has active.
    with django_capture_on_commit_callbacks(execute=True), translation.override("en"), timezone.override("UTC"):
        license_expiry_reminders_send()

    [message] = mail.outbox
    site = timezone.localtime(lic.expires_at, timezone=timezone.get_default_timezone())
    assert html_lang(html_of(message)) == settings.LANGUAGE_CODE == "fr"
    when = f"{site:%d/%m/%Y} à {site:%H:%M}"
    assert when in message.body and when in html_of(message)


def test_english_emails_have_no_french_left(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        post_in_english(client, "/revisions/", REVISION_FORM)
    revision = Revision.objects.select_related("tracking").get()
    with django_capture_on_commit_callbacks(execute=True):
        quote(revision)

    created, quoted = mail.outbox
    assert created.subject == f"Your service request {revision.tracking.number}"
    assert "Hello Fatou Ndiaye," in created.body and "Keep it safe" in html_of(created)
    assert quoted.subject == f"Your quote {revision.tracking.number}: 150\u202f000\u00a0FCFA"
    assert "valid for 30 days" in quoted.body and "Answer the quote" in html_of(quoted)
    for message in (created, quoted):
        for french in ("Bonjour", "Vous recevez", "Votre numéro", "Suivre ma demande"):
            assert french not in message.body and french not in html_of(message)


# --- delivery ---------------------------------------------------------------------------


def test_the_delivered_email_carries_the_stored_text_and_html():
    message = message_queue(
        channel="email", to="a@example.com", subject="Objet", body="Texte", html_body="<p>HTML</p>", key="k-html"
    )
    assert message_deliver(message_id=message.pk).sent

    [sent] = mail.outbox
    assert sent.body == "Texte" and sent.alternatives == [("<p>HTML</p>", "text/html")]
    # No logo referenced, none attached.
    assert mime_tree(sent) == [(0, "multipart/alternative"), (1, "text/plain"), (1, "text/html")]


def test_a_message_queued_without_html_is_sent_as_plain_text():
    # Rows queued before the HTML version existed (and any text-only message) still go out.
    message = message_queue(channel="email", to="a@example.com", subject="Objet", body="Texte", key="k-text")
    assert message_deliver(message_id=message.pk).sent

    [sent] = mail.outbox
    assert sent.body == "Texte" and not sent.alternatives
    assert sent.message().get_content_type() == "text/plain"


# --- the outbox admin ------------------------------------------------------------------


def test_staff_preview_the_html_in_a_sandboxed_frame_never_inline(staff_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        make_revision(client_name="Awa <b>Sarr</b>")
    row = OutboundMessage.objects.get(channel="email")

    page = staff_client.get(f"/admin/core/outboundmessage/{row.pk}/change/").content.decode()

    [frame] = re.findall(r"<iframe[^>]*>", page)
    assert 'sandbox=""' in frame and "srcdoc=" in frame
    # The e-mail's markup is only in the escaped attribute: none of it is part of the page.
    assert "&lt;table" in frame and '<table role="presentation"' not in page
    assert "&amp;lt;b&amp;gt;Sarr" in frame  # the customer's text, escaped twice
    # The logo is the static file in the admin (cid: means nothing to a browser).
    assert "/static/img/email-logo.png" in frame and "cid:" not in frame


def test_the_outbox_list_keeps_one_short_line_per_field(staff_client):
    long_subject = "Votre devis REV-2026-K7Q4-M9XD\u00a0: " + "très long objet " * 10
    message_queue(channel="email", to="a@example.com", subject=long_subject, body="b", key="k-list")

    page = staff_client.get("/admin/core/outboundmessage/").content.decode()

    # Cut, whole on hover: a long subject cannot widen the list (the rows were ten lines tall).
    assert f'title="{long_subject}"' in page and long_subject not in page.replace(f'title="{long_subject}"', "")
    assert "a@example.com" in page and "0 essai" in page

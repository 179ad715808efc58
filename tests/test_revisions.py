import re
import threading
import time
import zlib
from decimal import Decimal
from io import StringIO
from types import SimpleNamespace
from unittest.mock import patch

import pytest
from django.core import mail, signing
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connections, transaction
from django.test import Client
from django_ratelimit import core as ratelimit_core

from core.models import OutboundMessage
from core.origin import SYSTEM
from revisions import quote_links
from revisions.models import Revision
from revisions.quote_links import quote_token
from revisions.services import RevisionError, revision_quote_decide, revision_quote_send
from revisions.tracking import TRANSITIONS, check_transitions
from tracking.models import TrackedItem, TrackingEvent

from .factories import REVISION_FORM, make_revision

pytestmark = pytest.mark.django_db


def quote_url(revision):
    return f"/admin/revisions/revision/{revision.pk}/devis/"


# --- the public form ---------------------------------------------------------------


def test_customer_submits_a_revision_and_gets_a_number_by_email(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/revisions/", REVISION_FORM)
    assert response.status_code == 302
    revision = Revision.objects.select_related("tracking").get()
    number = revision.tracking.number
    assert response["Location"] == f"/tracking/{number}/confirmation/"
    assert revision.status == "en_attente"
    assert revision.client_phone == "+221775554433"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["fatou@example.com"]
    assert number in mail.outbox[0].subject and number in mail.outbox[0].body
    assert TrackingEvent.objects.filter(item=revision.tracking, status="en_attente").count() == 1


def test_invalid_form_is_rerendered_with_messages_and_creates_nothing(client):
    data = {**REVISION_FORM, "client_email": "not-an-email", "mileage": "-5", "vehicle_make": ""}
    response = client.post("/revisions/", data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Veuillez corriger les erreurs" in html
    assert "Fatou Ndiaye" in html  # what was typed is kept
    assert Revision.objects.count() == 0 and TrackedItem.objects.count() == 0
    assert mail.outbox == []


def test_revision_form_requires_csrf():
    csrf_client = Client(enforce_csrf_checks=True)
    assert csrf_client.post("/revisions/", REVISION_FORM).status_code == 403


# --- admin quote validation ------------------------------------------------------


def test_admin_list_shows_client_vehicle_problem_diagnostic_price_status(staff_client):
    make_revision()
    html = staff_client.get("/admin/revisions/revision/").content.decode()
    for text in ["Jean-Marc Dupont", "Toyota Corolla (2020)", "Bruit anormal", "Valider le devis", "Reçu"]:
        assert text in html, text
    assert staff_client.get("/admin/revisions/revision/", {"q": "AB-123"}).status_code == 200
    assert staff_client.get("/admin/revisions/revision/", {"status__exact": "en_attente"}).status_code == 200


def test_quote_validation_requires_a_diagnostic_and_an_amount(staff_client):
    revision = make_revision()
    response = staff_client.post(quote_url(revision), {"diagnostic": "", "amount": "", "currency": "XOF"})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "diagnostic" in errors and "amount" in errors
    response = staff_client.post(quote_url(revision), {"diagnostic": "Usure", "amount": "0", "currency": "XOF"})
    assert "amount" in response.context["form"].errors
    revision.refresh_from_db()
    assert revision.status == "en_attente" and revision.quote_amount is None


def test_quote_validation_sends_the_quote_and_notifies_once(staff_client, django_capture_on_commit_callbacks):
    revision = make_revision()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = staff_client.post(
            quote_url(revision),
            {
                "diagnostic": "Courroie usée",
                "amount": "150000",
                "currency": "XOF",
                "interventions": "Remplacement courroie",
                "parts": "Courroie",
                "notify": "on",
            },
        )
    assert response.status_code == 302
    revision.refresh_from_db()
    assert revision.status == "devis_envoye"
    assert revision.quote_amount == Decimal("150000.00") and revision.quote_currency == "XOF"
    assert revision.diagnostic_at and revision.quote_sent_at
    assert revision.planned_interventions == "Remplacement courroie" and revision.needed_parts == "Courroie"
    event = TrackingEvent.objects.filter(item=revision.tracking).latest("pk")
    assert event.status == "devis_envoye" and event.actor == staff_client.user
    # One e-mail and one SMS, both queued and delivered after commit.
    assert OutboundMessage.objects.filter(key__startswith="revision:event:").count() == 2
    assert callbacks
    assert len(mail.outbox) == 1 and "150\u202f000\u00a0FCFA" in mail.outbox[0].body
    sms = OutboundMessage.objects.get(channel="sms")
    assert sms.to == "+221771234567" and sms.status == "sent" and sms.backend == "outbox"
    assert revision.tracking.number in sms.body


def test_quote_without_notify_sends_nothing(staff_client):
    revision = make_revision()
    mail.outbox.clear()
    staff_client.post(quote_url(revision), {"diagnostic": "Usure", "amount": "1000", "currency": "XOF"})
    revision.refresh_from_db()
    assert revision.status == "devis_envoye"
    assert mail.outbox == []
    assert not OutboundMessage.objects.filter(channel="sms").exists()


def test_quote_page_refuses_a_finished_revision(staff_client):
    revision = make_revision()
    Revision.objects.filter(pk=revision.pk).update(status="termine")
    response = staff_client.post(quote_url(revision), {"diagnostic": "x", "amount": "10", "currency": "XOF"})
    assert response.status_code == 400
    assert Revision.objects.get(pk=revision.pk).status == "termine"


def test_quote_page_needs_staff(client, django_user_model):
    revision = make_revision()
    assert client.get(quote_url(revision)).status_code == 302  # to the login page
    user = django_user_model.objects.create_user(username="bob", password="pw-bob-12345")
    client.force_login(user)
    assert client.get(quote_url(revision)).status_code == 302
    staff = django_user_model.objects.create_user(username="viewer", password="pw-viewer-123", is_staff=True)
    client.force_login(staff)
    assert client.get(quote_url(revision)).status_code == 403


def test_admin_status_page_moves_the_revision_along(staff_client):
    revision = make_revision()
    revision_quote_send(revision=revision, diagnostic="d", amount=Decimal("100"), notify=False)
    Revision.objects.filter(pk=revision.pk).update(status="devis_accepte")
    url = f"/admin/revisions/revision/{revision.pk}/statut/"
    page = staff_client.get(url)
    assert [c[0] for c in page.context["form"].fields["to_status"].choices] == ["", "en_cours", "annule"]
    response = staff_client.post(url, {"to_status": "en_cours", "note": "Pris en charge"})
    assert response.status_code == 302
    assert Revision.objects.get(pk=revision.pk).status == "en_cours"
    refused = staff_client.post(url, {"to_status": "devis_envoye"})
    assert refused.status_code == 200 and Revision.objects.get(pk=revision.pk).status == "en_cours"


# --- the customer answers the quote through the signed link -------------------------


def _fresh(revision):
    """The revision as stored (another request's copy)."""
    return Revision.objects.select_related("tracking").get(pk=revision.pk)


def _sent(revision, amount="150000", notify=False):
    return revision_quote_send(revision=revision, diagnostic="Usure", amount=Decimal(amount), notify=notify)


def _answer(client, revision, decision, *, token=None, version=None, confirm=True, **extra):
    """POST /revisions/<NUMBER>/devis/ as the tracking page does (the link's token and
    the version it showed), following the redirect."""
    data = {
        "decision": decision,
        "version": revision.quote_version if version is None else version,
        "token": quote_token(revision=revision) if token is None else token,
        **({"confirm": "1"} if confirm else {}),
        **extra,
    }
    return client.post(f"/revisions/{revision.tracking.number}/devis/", data, follow=True)


def _link_path(message):
    """The tracking-page path of the signed link in a queued e-mail or SMS body."""
    url = re.search(r"https?://\S+\?devis=\S+", message).group(0)
    return re.sub(r"^https?://[^/]+", "", url)


def _status(revision):
    return Revision.objects.get(pk=revision.pk).status


OPEN_THE_LINK = "Pour accepter ou refuser, ouvrez le lien reçu par e-mail ou SMS."


def test_each_quote_sent_is_a_new_version():
    revision = make_revision()
    assert revision.quote_version == 0
    assert _sent(revision).quote_version == 1
    assert _sent(revision, amount="95000").quote_version == 2  # a staff re-send of a changed quote
    Revision.objects.filter(pk=revision.pk).update(status="devis_refuse")
    assert _sent(_fresh(revision), amount="90000").quote_version == 3
    assert Revision.objects.get(pk=revision.pk).quote_version == 3


def test_quote_email_and_sms_carry_the_signed_link_that_opens_the_answer_buttons(client):
    revision = make_revision()
    _sent(revision, notify=True)
    email = OutboundMessage.objects.get(channel="email", key__startswith="revision:event:")
    sms = OutboundMessage.objects.get(channel="sms")
    path = _link_path(email.body)
    assert path == _link_path(sms.body)
    assert path.startswith(f"/tracking/{revision.tracking.number}/?devis=")
    html = client.get(path).content.decode()
    assert "Accepter le devis" in html and "Refuser le devis" in html
    assert OPEN_THE_LINK not in html


def test_the_number_alone_shows_the_quote_but_not_the_answer_buttons(client):
    revision = _sent(make_revision())
    html = client.get(f"/tracking/{revision.tracking.number}/").content.decode()
    assert "150\u202f000\u00a0FCFA" in html
    assert OPEN_THE_LINK in html and "Renvoyer le lien" in html
    assert "Accepter le devis" not in html and 'name="token"' not in html
    # Where the link goes is never shown.
    assert "jean.dupont@example.com" not in html and "771234567" not in html


def test_tracking_page_opened_with_a_link_needs_no_extra_query(client, django_assert_num_queries):
    revision = _sent(make_revision())
    path = f"/tracking/{revision.tracking.number}/?devis={quote_token(revision=revision)}"
    # the page's own: the revision with its history and its photos (one statement), the support conversation
    with django_assert_num_queries(2):
        assert "Accepter le devis" in client.get(path).content.decode()


def test_customer_accepts_after_the_confirmation_step_and_history_records_time_and_ip():
    # given the page opened from the quote's link
    revision = _sent(make_revision())
    number = revision.tracking.number
    token = quote_token(revision=revision)
    client = Client(enforce_csrf_checks=True, REMOTE_ADDR="196.1.2.3")
    page = client.get(f"/tracking/{number}/?devis={token}")
    csrf = page.cookies["csrftoken"].value
    fields = {"decision": "accept", "version": "1", "token": token, "csrfmiddlewaretoken": csrf}

    # when the customer presses "Accepter le devis"
    response = client.post(f"/revisions/{number}/devis/", fields)

    # then nothing is recorded yet: the page asks to confirm the amount
    assert response.status_code == 302
    assert response["Location"].startswith(f"/tracking/{number}/?devis=")
    assert "confirmer=1" in response["Location"]
    assert _status(revision) == "devis_envoye"
    confirm_page = client.get(response["Location"]).content.decode()
    assert (
        'Vous acceptez le devis de <span class="nowrap">150\u202f000\u00a0FCFA</span> pour votre Toyota Corolla.'
        in confirm_page
    )
    assert "Confirmer l'acceptation" in confirm_page and 'name="confirm" value="1"' in confirm_page
    assert "confirm(" not in confirm_page.split('data-testid="quote-confirm"')[1].split("</div>")[0]

    # when they confirm
    response = client.post(f"/revisions/{number}/devis/", {**fields, "confirm": "1"})

    # then the acceptance is recorded with when and from where
    assert response.status_code == 302 and response["Location"] == f"/tracking/{number}/"
    revision.refresh_from_db()
    assert revision.status == "devis_accepte" and revision.quote_decided_at
    event = TrackingEvent.objects.filter(item=revision.tracking).latest("pk")
    assert event.status == "devis_accepte" and event.ip == "196.1.2.3" and event.at
    follow = client.get(f"/tracking/{number}/?devis={token}").content.decode()
    assert "Devis accepté" in follow and "Accepter le devis" not in follow


def test_customer_declines_with_the_link_in_one_step(client):
    revision = _sent(make_revision())
    response = _answer(client, revision, "decline", confirm=False)
    assert "Votre refus du devis est enregistré." in response.content.decode()
    assert _status(revision) == "devis_refuse"


def test_accept_without_confirm_only_leads_to_the_confirmation_step(client):
    revision = _sent(make_revision())
    response = _answer(client, revision, "accept", confirm=False)
    assert response.redirect_chain[-1][0].endswith("confirmer=1#devis")
    assert 'data-testid="quote-confirm"' in response.content.decode()
    assert _status(revision) == "devis_envoye"
    assert TrackingEvent.objects.filter(item=revision.tracking, status="devis_accepte").count() == 0


@pytest.mark.parametrize("decision", ["accept", "decline"])
def test_an_answer_without_the_link_is_refused(client, decision):
    revision = _sent(make_revision())
    response = _answer(client, revision, decision, token="")
    assert OPEN_THE_LINK in response.content.decode()
    assert _status(revision) == "devis_envoye"


def _signed_for(revision, *, version=None, salt=quote_links.SALT):
    value = f"{revision.pk}.{revision.quote_version if version is None else version}"
    return signing.TimestampSigner(salt=salt).sign(value)


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda rev: quote_token(revision=rev)[:-1] + "x", id="tampered signature"),
        pytest.param(lambda rev: quote_token(revision=rev).replace(f"{rev.pk}.", f"{rev.pk + 1}.", 1), id="other pk"),
        pytest.param(lambda rev: "garbage", id="garbage"),
        pytest.param(lambda rev: "a:b:" + "c" * 300, id="oversized"),
        pytest.param(lambda rev: _signed_for(rev, salt="django.core.signing"), id="another salt"),
        pytest.param(lambda rev: _signed_for(rev, version=5), id="future version"),
        pytest.param(lambda rev: quote_token(revision=rev) + "\x00", id="NUL character"),
    ],
)
@pytest.mark.parametrize("decision", ["accept", "decline"])
def test_an_answer_with_a_bad_link_is_refused_and_the_quote_still_shown(client, forge, decision):
    revision = _sent(make_revision())
    token = forge(revision)
    response = _answer(client, revision, decision, token=token)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Ce lien n&#x27;est pas valide." in html or "Action impossible." in html
    assert "150\u202f000\u00a0FCFA" in html
    assert _status(revision) == "devis_envoye"
    # Viewing with that link still works; it only shows no answer buttons.
    page = client.get(f"/tracking/{revision.tracking.number}/", {"devis": token})
    assert page.status_code == 200 and "Accepter le devis" not in page.content.decode()


def test_another_revisions_link_cannot_answer_this_quote(client):
    mine, other = _sent(make_revision()), _sent(make_revision(client_email="other@example.com"))
    response = _answer(client, mine, "accept", token=quote_token(revision=other))
    assert "Ce lien n&#x27;est pas valide." in response.content.decode()
    assert _status(mine) == "devis_envoye" and _status(other) == "devis_envoye"


def test_an_expired_link_is_refused(client, settings):
    settings.REVISION_QUOTE_LINK_DAYS = 30
    revision = _sent(make_revision())
    now = time.time()
    with patch.object(signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(int(now - 31 * 86400))):
        old = quote_token(revision=revision)
    with patch.object(signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(int(now - 29 * 86400))):
        recent = quote_token(revision=revision)

    assert "Ce lien a expiré." in client.get(f"/tracking/{revision.tracking.number}/", {"devis": old}).content.decode()
    response = _answer(client, revision, "accept", token=old)
    assert "Ce lien a expiré. Demandez un nouveau lien ci-dessous." in response.content.decode()
    assert _status(revision) == "devis_envoye"

    _answer(client, revision, "accept", token=recent)
    assert _status(revision) == "devis_accepte"


def test_an_answer_to_an_outdated_quote_is_refused_and_the_new_quote_shown(client):
    # given the customer opened the 150 000 FCFA quote from its link
    revision = _sent(make_revision())
    shown = {"version": revision.quote_version, "token": quote_token(revision=revision)}
    # when the workshop sends a changed quote before they confirm
    _sent(_fresh(revision), amount="95000")
    events = TrackingEvent.objects.count()
    response = _answer(client, revision, "accept", **shown)
    # then nothing is recorded and the page shows the new amount
    html = response.content.decode()
    assert "Le devis a été modifié depuis que vous l&#x27;avez ouvert" in html
    assert "95\u202f000\u00a0FCFA" in html and "150\u202f000\u00a0FCFA" not in html.split('data-testid="quote"')[1][:80]
    assert OPEN_THE_LINK in html
    assert _status(revision) == "devis_envoye" and TrackingEvent.objects.count() == events
    # and the old link, opened again, says why it cannot answer any more
    page = client.get(f"/tracking/{revision.tracking.number}/", {"devis": shown["token"]}).content.decode()
    assert "Ce lien concerne une version précédente du devis." in page and "Accepter le devis" not in page


def test_a_form_version_that_does_not_match_its_link_is_refused(client):
    revision = _sent(make_revision())
    old_token = quote_token(revision=revision)
    revision = _sent(_fresh(revision), amount="95000")
    response = _answer(client, revision, "accept", token=old_token, version=2)
    assert "version précédente du devis" in response.content.decode()
    assert _status(revision) == "devis_envoye"


@pytest.mark.parametrize("version", ["0", "-1", "abc", "99999999999999999999999", ""])
def test_a_hostile_version_is_refused_without_an_error(client, version):
    revision = _sent(make_revision())
    response = _answer(client, revision, "accept", version=version)
    assert response.status_code == 200 and "Action impossible." in response.content.decode()
    assert _status(revision) == "devis_envoye"


def test_quote_decision_without_csrf_is_refused():
    revision = _sent(make_revision())
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        f"/revisions/{revision.tracking.number}/devis/",
        {"decision": "accept", "version": "1", "token": quote_token(revision=revision), "confirm": "1"},
    )
    assert response.status_code == 403
    assert _status(revision) == "devis_envoye"


def test_a_second_answer_does_not_overwrite_the_first(client):
    revision = _sent(make_revision())
    _answer(client, revision, "accept")
    response = _answer(client, revision, "decline")
    assert "attend plus de réponse" in response.content.decode()
    assert _status(revision) == "devis_accepte"


def test_answering_a_quote_that_was_not_sent_is_refused(client):
    revision = make_revision()
    response = _answer(client, revision, "accept", version=1, token=_signed_for(revision, version=1))
    assert response.status_code == 200
    assert _status(revision) == "en_attente"


def test_quote_decision_on_unknown_number_is_a_404(client):
    assert client.post("/revisions/REV-2026-0000-0000/devis/", {"decision": "accept"}).status_code == 404
    assert client.post("/revisions/REV-2026-0000-0000/devis/lien/").status_code == 404


def _expired_token(revision):
    issued = int(time.time()) - (30 + 1) * 86400
    with patch.object(signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(issued)):
        return quote_token(revision=revision)


@pytest.mark.parametrize(
    ("forge", "code"),
    [
        pytest.param(lambda rev: "", "QUOTE_LINK_INVALID", id="no token"),
        pytest.param(lambda rev: quote_token(revision=rev)[:-1] + "x", "QUOTE_LINK_INVALID", id="tampered"),
        pytest.param(lambda rev: _signed_for(rev, version=5), "QUOTE_LINK_INVALID", id="future version"),
        pytest.param(
            lambda rev: quote_token(revision=make_revision(client_email="x@example.com")),
            "QUOTE_LINK_INVALID",
            id="another revision's",
        ),
        pytest.param(_expired_token, "QUOTE_LINK_EXPIRED", id="expired"),
        pytest.param(lambda rev: _signed_for(rev, version=rev.quote_version - 1), "QUOTE_LINK_OUTDATED", id="older"),
    ],
)
def test_the_decision_service_itself_refuses_a_caller_without_the_signed_link(settings, forge, code):
    """Whatever the door (page, API, admin), the service records nothing without the proof."""
    settings.REVISION_QUOTE_LINK_DAYS = 30
    revision = _sent(_fresh(_sent(make_revision())))  # version 2, so that an older link exists
    token, events = forge(revision), TrackingEvent.objects.count()
    with pytest.raises(RevisionError) as refused:
        revision_quote_decide(revision=_fresh(revision), accept=True, token=token, quote_version=2, origin=SYSTEM)
    assert refused.value.code == code
    assert _status(revision) == "devis_envoye" and TrackingEvent.objects.count() == events
    # The genuine link of the version shown commits.
    revision_quote_decide(
        revision=_fresh(revision), accept=True, token=quote_token(revision=revision), quote_version=2, origin=SYSTEM
    )
    assert _status(revision) == "devis_accepte"


def test_the_decision_service_refuses_an_answered_quote_with_its_own_code():
    revision = _sent(make_revision())
    proof = {"token": quote_token(revision=revision), "quote_version": revision.quote_version}
    revision_quote_decide(revision=_fresh(revision), accept=False, origin=SYSTEM, **proof)
    with pytest.raises(RevisionError) as refused:
        revision_quote_decide(revision=_fresh(revision), accept=True, origin=SYSTEM, **proof)
    assert refused.value.code == "QUOTE_NOT_PENDING"
    assert _status(revision) == "devis_refuse"


@pytest.mark.django_db(transaction=True)
def test_a_decision_waiting_on_a_re_sent_quote_never_accepts_the_new_amount():
    """The version is checked under the row lock: a customer's acceptance of the
    150 000 quote that waits while staff replace it by 95 000 is refused, instead of
    accepting an amount the customer never saw."""
    revision = _sent(make_revision())
    shown_version, shown_token = revision.quote_version, quote_token(revision=revision)
    staff_holds_lock, release, outcome = threading.Event(), threading.Event(), {}

    def staff_resends():
        try:
            with transaction.atomic():
                _sent(_fresh(revision), amount="95000")
                staff_holds_lock.set()
                release.wait(5)
        finally:
            connections.close_all()

    def customer_accepts():
        try:
            revision_quote_decide(
                revision=_fresh(revision), accept=True, token=shown_token, quote_version=shown_version, origin=SYSTEM
            )
            outcome["result"] = "accepted"
        except RevisionError as exc:
            outcome["result"] = exc.code
        finally:
            connections.close_all()

    staff = threading.Thread(target=staff_resends)
    staff.start()
    assert staff_holds_lock.wait(5)
    customer = threading.Thread(target=customer_accepts)
    customer.start()
    customer.join(0.5)
    assert customer.is_alive(), "the decision must wait for the lock"
    release.set()
    staff.join(5)
    customer.join(5)

    assert outcome["result"] == "QUOTE_OUTDATED"
    final = Revision.objects.get(pk=revision.pk)
    assert (final.status, final.quote_amount, final.quote_version) == ("devis_envoye", Decimal("95000.00"), 2)


# --- "Renvoyer le lien" ----------------------------------------------------------------


def _resend(client, revision):
    return client.post(f"/revisions/{revision.tracking.number}/devis/lien/")


def test_resend_sends_the_current_link_to_the_email_and_phone_on_file(client):
    revision = _sent(make_revision())
    response = client.post(f"/revisions/{revision.tracking.number}/devis/lien/", follow=True)
    html = response.content.decode()
    assert "Un nouveau lien vient d&#x27;être envoyé" in html
    assert "jean.dupont@example.com" not in html and "771234567" not in html
    email = OutboundMessage.objects.get(channel="email", key__contains="quote-link")
    sms = OutboundMessage.objects.get(channel="sms", key__contains="quote-link")
    assert email.to == "jean.dupont@example.com" and sms.to == "+221771234567"
    assert "Accepter le devis" in client.get(_link_path(email.body)).content.decode()
    assert "Accepter le devis" in client.get(_link_path(sms.body)).content.decode()


def _freeze_clock_at_window_start(monkeypatch, revision, ip):
    """Start django-ratelimit's clock just after both windows opened (it staggers each
    key's window): the revision's 2-minute one and the revision-and-IP daily one.
    Returns the clock, to move forward by hand."""
    day_start = 20_000 * 86400 + zlib.crc32(f"{revision.pk}:{ip}".encode()) % 86400 + 1
    minutes_start = zlib.crc32(str(revision.pk).encode()) % 120 + 1
    clock = {"now": day_start + (minutes_start - day_start) % 120}
    monkeypatch.setattr(ratelimit_core, "time", SimpleNamespace(time=lambda: clock["now"]))
    return clock


def test_resend_is_limited_to_one_per_two_minutes_per_revision_and_five_a_day_per_ip(client, monkeypatch):
    revision = _sent(make_revision())
    clock = _freeze_clock_at_window_start(monkeypatch, revision, "127.0.0.1")

    assert _resend(client, revision).status_code == 302
    refused = _resend(client, revision)
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 120
    assert "Vous pourrez en demander un autre dans 2 minutes." in refused.content.decode()
    # The 2-minute limit is the revision's, whoever presses: another connection waits too.
    assert _resend(Client(REMOTE_ADDR="196.1.2.3"), revision).status_code == 429
    for _ in range(4):
        clock["now"] += 121
        assert _resend(client, revision).status_code == 302
    clock["now"] += 121
    refused = _resend(client, revision)
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 3600
    assert OutboundMessage.objects.filter(channel="sms", key__contains="quote-link").count() == 5
    # Another revision has its own allowance.
    assert _resend(client, _sent(make_revision(client_email="other@example.com"))).status_code == 302


def test_someone_else_pressing_resend_cannot_use_up_the_customers_daily_links(monkeypatch):
    revision = _sent(make_revision())
    clock = _freeze_clock_at_window_start(monkeypatch, revision, "2001:db8:1:2::/64")
    # given someone who knows the number used up their 5 links of the day from their /64
    stranger = Client(REMOTE_ADDR="2001:db8:1:2::1")
    for _ in range(5):
        assert _resend(stranger, revision).status_code == 302
        clock["now"] += 121
    # (another address of the same /64 is the same connection)
    assert _resend(Client(REMOTE_ADDR="2001:db8:1:2::abcd"), revision).status_code == 429
    # then the customer, from their own connection, still gets a link
    customer = Client(REMOTE_ADDR="196.1.2.3")
    assert _resend(customer, revision).status_code == 302
    assert OutboundMessage.objects.filter(channel="sms", key__contains="quote-link").count() == 6


def test_resend_for_a_quote_already_answered_sends_nothing(client):
    revision = _sent(make_revision())
    _answer(client, revision, "decline")
    response = client.post(f"/revisions/{revision.tracking.number}/devis/lien/", follow=True)
    assert "Ce devis n&#x27;attend plus de réponse." in response.content.decode()
    assert not OutboundMessage.objects.filter(key__contains="quote-link").exists()


def test_resend_presses_on_an_answered_quote_count_nothing(client):
    revision = _sent(make_revision())
    _answer(client, revision, "decline")
    for _ in range(6):
        assert _resend(client, revision).status_code == 302  # back to the page: nothing pending
    # When the workshop sends a new quote, the customer's allowance is intact.
    _sent(_fresh(revision), amount="95000")
    assert _resend(client, revision).status_code == 302
    assert OutboundMessage.objects.filter(channel="sms", key__contains="quote-link").count() == 1


def test_resend_requires_csrf():
    revision = _sent(make_revision())
    assert (
        Client(enforce_csrf_checks=True).post(f"/revisions/{revision.tracking.number}/devis/lien/").status_code == 403
    )


# --- configuration and demo ------------------------------------------------------------


def test_an_open_status_that_cannot_be_cancelled_stops_the_start_up():
    check_transitions(TRANSITIONS)  # the real map is fine
    broken = {**TRANSITIONS, "en_cours": frozenset({"termine"})}
    with pytest.raises(ImproperlyConfigured, match="en_cours"):
        check_transitions(broken)


def test_seed_demo_prints_a_working_decision_link_and_stays_idempotent(client):
    out, err = StringIO(), StringIO()
    call_command("seed_demo", stdout=out, stderr=err)
    call_command("seed_demo", stdout=(out2 := StringIO()), stderr=StringIO())
    assert Revision.objects.filter(client_email="demo.rev.quote@example.com").count() == 1
    lines = [line for line in out2.getvalue().splitlines() if "?devis=" in line]
    assert len(lines) == 1
    number = lines[0].split("(")[1].split(")")[0]
    table_rows = [line for line in out.getvalue().splitlines() if line.startswith(number)]
    assert len(table_rows) == 1 and "devis à accepter" in table_rows[0] and "Devis envoyé" in table_rows[0]
    page = client.get(_link_path(lines[0])).content.decode()
    assert "Accepter le devis" in page


def test_seed_demo_prints_one_labelled_table_once(settings):
    # given the address bin/demo serves on
    settings.SITE_URL = "http://127.0.0.1:8123"
    # when the demo is seeded
    call_command("seed_demo", stdout=(out := StringIO()), stderr=StringIO())
    text = out.getvalue()
    # then one table lists every demo number with its service, state and what to try
    header = [line for line in text.splitlines() if line.startswith("Numéro")]
    assert len(header) == 1 and all(word in header[0] for word in ("Service", "État", "À essayer"))
    rows = [line for line in text.splitlines() if line[:4] in {"REV-", "LOC-"}]
    assert len(rows) == 4 and len({row.split()[0] for row in rows}) == 4
    assert any("Location de véhicule" in row and "Confirmée" in row for row in rows)
    # and the links use the served address
    assert "http://127.0.0.1:8123/tracking/" in text and "localhost:8000" not in text


def test_seed_demo_again_after_the_quote_was_answered_gives_a_fresh_quote_to_accept(client):
    # given the demo's quote, accepted through its link
    call_command("seed_demo", stdout=StringIO(), stderr=StringIO())
    answered = Revision.objects.get(client_email="demo.rev.quote@example.com")
    revision_quote_decide(
        revision=answered,
        accept=True,
        token=quote_token(revision=answered),
        quote_version=answered.quote_version,
        origin=SYSTEM,
    )
    # when the demo is seeded again
    call_command("seed_demo", stdout=(out := StringIO()), stderr=StringIO())
    # then a new quote waits for an answer, with its own link
    fresh = Revision.objects.filter(client_email="demo.rev.quote@example.com").exclude(pk=answered.pk).get()
    assert fresh.status == Revision.Status.DEVIS_ENVOYE
    link = next(line for line in out.getvalue().splitlines() if "?devis=" in line)
    assert fresh.tracking.number in link and "Accepter le devis" in client.get(_link_path(link)).content.decode()
    # and running it once more makes nothing new
    call_command("seed_demo", stdout=StringIO(), stderr=StringIO())
    assert Revision.objects.filter(client_email="demo.rev.quote@example.com").count() == 2


def test_change_page_links_to_quote_and_status_pages(staff_client):
    revision = make_revision()
    html = staff_client.get(f"/admin/revisions/revision/{revision.pk}/change/").content.decode()
    assert f"/admin/revisions/revision/{revision.pk}/devis/" in html
    assert f"/admin/revisions/revision/{revision.pk}/statut/" in html
    assert "Demande de révision reçue." in html  # the history table

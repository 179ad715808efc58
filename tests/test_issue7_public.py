"""What customers see, polished (issue 7): notes in the reader's language, the quote in
the order a customer decides, its validity, the confirmation page, the services listed
from the registry, form attributes, the rental fleet, the 429 wording, typography."""

import gettext
import importlib
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone

from core.money import format_money
from revisions.models import Revision
from revisions.quote_links import quote_token
from revisions.services import RevisionError, revision_quote_decide
from tracking import registry
from tracking.models import TrackingEvent
from tracking.notes import Note, render
from tracking.services import event_record

from .factories import REVISION_FORM, RentalVehicleFactory, make_quoted_revision, make_rental, make_revision

pytestmark = pytest.mark.django_db


def _page(client, number, language="fr", **params):
    client.cookies["django_language"] = language
    response = client.get(f"/tracking/{number}/", params)
    assert response.status_code == 200
    return response.content.decode()


# --- history notes in the reader's language --------------------------------------------


def test_system_notes_are_stored_as_keys_and_shown_in_the_readers_language(client):
    # given a revision whose quote was sent
    revision = make_quoted_revision(amount=Decimal("95000"))
    sent = TrackingEvent.objects.filter(item=revision.tracking).latest("pk")
    # then the row holds the key and its parameters, and the French text for search
    assert sent.note_key == "revision.quote_sent"
    assert sent.note_params == {"amount": {"$money": ["95000.00", "XOF"]}}
    assert sent.note == "Diagnostic effectué, devis envoyé\u00a0: 95\u202f000\u00a0FCFA"
    # and each reader sees the notes in their language, on the page and in the JSON
    assert "Diagnostic effectué, devis envoyé" in _page(client, revision.tracking.number, "fr")
    english = _page(client, revision.tracking.number, "en")
    assert "Diagnosis done, quote sent: 95\u202f000\u00a0FCFA" in english
    assert "Diagnostic effectué" not in english
    data = client.get(f"/api/tracking/{revision.tracking.number}").json()
    assert [h["note"] for h in data["history"]][-1].startswith("Diagnosis done, quote sent")


def test_a_note_typed_by_staff_is_shown_as_typed_in_every_language(client):
    revision = make_revision()
    event_record(obj=revision, note="Pièce commandée chez le fournisseur.")
    assert "Pièce commandée chez le fournisseur." in _page(client, revision.tracking.number, "en")


def test_an_unknown_key_falls_back_to_the_stored_text():
    assert render(key="gone.away", params={}, fallback="Texte d'origine") == "Texte d'origine"
    assert render(key="revision.quote_sent", params={}, fallback="Texte d'origine") == "Texte d'origine"


def test_a_note_with_an_unregistered_key_is_refused_when_written():
    revision = make_revision()
    with pytest.raises(Exception, match="Unknown history note key"):
        event_record(obj=revision, note=Note("revision.nothing_like_this"))


def test_notes_written_before_keys_are_given_their_key_by_the_migration():
    migration = importlib.import_module("tracking.migrations.0003_event_note_key_and_customer_language")
    assert migration._keyed("Demande de révision reçue.") == ("revision.received", {})
    assert migration._keyed("Diagnostic effectué, devis envoyé\u00a0: 150\u202f000 FCFA") == (
        "revision.quote_sent",
        {"amount": {"$money": ["150000.00", "XOF"]}},
    )
    assert migration._keyed("Diagnostic effectué, devis envoyé\u00a0: 99,50 €") == (
        "revision.quote_sent",
        {"amount": {"$money": ["99.50", "EUR"]}},
    )
    hold = "Demande non confirmée sous 48 heures\u00a0: elle a expiré et les dates sont libérées. Vous pouvez..."
    # as written then (plain spaces), and after the typography pass (no-break spaces)
    for note in (hold, hold.replace("\u00a0", " ")):
        assert migration._keyed(note) == ("rental.hold_expired", {"hours": 48})
    assert migration._keyed("Diagnostic effectué, devis envoyé\u00a0: 150 000 FCFA".replace("\u00a0", " "))
    assert migration._keyed("Véhicule pris en charge à l'atelier.") is None


def test_the_request_keeps_the_customers_language_for_their_emails(client):
    client.cookies["django_language"] = "en"
    response = client.post("/revisions/", REVISION_FORM)
    assert response.status_code == 302
    revision = Revision.objects.select_related("tracking").get(client_email=REVISION_FORM["client_email"])
    assert revision.tracking.language == "en"


# --- the quote, in the order a customer decides ------------------------------------------


def test_a_waiting_quote_reads_diagnostic_work_amount_then_decision(client):
    revision = make_quoted_revision(amount=Decimal("95000"))
    html = _page(client, revision.tracking.number, devis=quote_token(revision=revision))
    positions = [
        html.index(marker)
        for marker in (
            'data-testid="quote-diagnostic"',
            'data-testid="quote-work"',
            'data-testid="quote-amount"',
            'data-testid="quote-decision"',
            'data-testid="next-steps"',
        )
    ]
    assert positions == sorted(positions)
    # and the step reads "Devis": nothing is validated before the customer agrees
    assert '<li class="step done current" aria-current="step">' in html
    assert '<span class="step-label">Devis</span>' in html and "Validé" not in html


def test_the_quote_shows_its_date_and_validity_and_what_happens_next(client):
    revision = make_quoted_revision(amount=Decimal("95000"))
    until = timezone.localtime(revision.quote_sent_at + timedelta(days=settings.REVISION_QUOTE_VALIDITY_DAYS))
    html = _page(client, revision.tracking.number)
    assert f"valable jusqu'au {until:%d/%m/%Y}" in html
    assert "Sans votre accord, aucune intervention n'est réalisée." in html
    data = client.get(f"/api/tracking/{revision.tracking.number}").json()
    assert data["details"]["quote_valid_until"] == revision.quote_valid_until.isoformat()


def test_a_quote_past_its_validity_can_no_longer_be_accepted(client, settings):
    # given a quote sent 31 days ago, valid 30 days
    settings.REVISION_QUOTE_VALIDITY_DAYS = 30
    revision = make_quoted_revision(amount=Decimal("95000"))
    Revision.objects.filter(pk=revision.pk).update(quote_sent_at=timezone.now() - timedelta(days=31))
    revision.refresh_from_db()
    # then the page says it expired and offers no answer, even with a fresh link
    html = _page(client, revision.tracking.number, devis=quote_token(revision=revision))
    assert "expiré le" in html and "Accepter le devis" not in html
    assert "Contactez l'atelier pour recevoir un nouveau devis." in html
    # and the service refuses the decision with its code
    with pytest.raises(RevisionError) as refused:
        revision_quote_decide(
            revision=revision,
            accept=True,
            token=quote_token(revision=revision),
            quote_version=revision.quote_version,
            origin=None,
        )
    assert refused.value.code == RevisionError.QUOTE_EXPIRED
    revision.refresh_from_db()
    assert revision.status == Revision.Status.DEVIS_ENVOYE


# --- confirmation page ---------------------------------------------------------------------


def test_the_confirmation_page_offers_copy_print_and_says_what_comes_next(client):
    revision = make_revision()
    html = client.get(f"/tracking/{revision.tracking.number}/confirmation/").content.decode()
    assert 'data-copy="#tracking-number-value"' in html and "Copier le numéro" in html
    assert "data-print" in html and "Imprimer" in html
    assert "Notre atelier vous envoie un diagnostic et un devis sous 2 jours ouvrés, par e-mail et SMS." in html
    rental = make_rental()
    html = client.get(f"/tracking/{rental.tracking.number}/confirmation/").content.decode()
    assert f"Notre équipe confirme votre location sous {settings.RENTAL_HOLD_HOURS} heures." in html


# --- the services, from the registry ---------------------------------------------------------


def test_lookup_and_home_list_the_registered_services_only(client):
    lookup = client.get("/tracking/").content.decode()
    legend = lookup.split('data-testid="prefixes"')[1].split("</ul>")[0]
    assert "REV-…" in legend and "LOC-…" in legend
    assert "CAR-" not in legend and "PCE-" not in legend
    home = client.get("/").content.decode()
    cards = home.split('data-testid="services"')[1].split("</section>")[0]
    assert cards.count('class="card link-card"') == len([s for s in registry.all_services() if s.request_url])
    assert 'href="/revisions/"' in cards and 'href="/locations/"' in cards


def test_a_new_service_joins_the_legend_and_the_home_page(client, monkeypatch):
    # given a service registered later (tickets, say)
    ticket = registry.TrackedService(
        prefix="TCK",
        label="Assistance",
        model=Revision,
        template="revisions/_tracking.html",
        status_choices=Revision.Status,
        transitions={},
        steps=(),
        details=lambda obj: {},
        request_url="revisions:request",
        description="Posez une question",
    )
    monkeypatch.setitem(registry._services, "TCK", ticket)
    assert "TCK-…" in client.get("/tracking/").content.decode()
    assert "Posez une question" in client.get("/").content.decode()


# --- form attributes --------------------------------------------------------------------------


def test_request_forms_help_phones_fill_them_in(client):
    today = timezone.localdate().isoformat()
    revision_form = client.get("/revisions/").content.decode()
    assert re.search(r'<input type="text" name="client_name"[^>]*autocomplete="name"', revision_form)
    assert re.search(r'<input type="email" name="client_email"[^>]*autocomplete="email"', revision_form)
    assert re.search(r'<input type="tel" name="client_phone"[^>]*autocomplete="tel"[^>]*inputmode="tel"', revision_form)
    assert re.search(rf'<input type="date" name="preferred_date"[^>]*min="{today}"', revision_form)
    RentalVehicleFactory()
    rental_form = client.get("/locations/").content.decode()
    assert re.search(rf'<input type="date" name="start_date"[^>]*min="{today}"', rental_form)
    assert re.search(rf'<input type="date" name="end_date"[^>]*min="{today}"', rental_form)
    assert re.search(r'<input type="tel" name="client_phone"', rental_form)


def test_errors_stand_next_to_their_field(client):
    response = client.post("/revisions/", {**REVISION_FORM, "client_phone": "abc"})
    assert response.status_code == 400
    html = response.content.decode()
    field = html.split('name="client_phone"')[1].split('<div class="field')[0]
    assert "Numéro de téléphone invalide." in field


# --- the rental fleet before the dates -------------------------------------------------------


def test_the_rental_form_shows_each_car_and_its_booked_days(client, django_assert_max_num_queries):
    car = RentalVehicleFactory(name="Hyundai Tucson 4x4", seats=7, daily_rate=Decimal("45000"))
    RentalVehicleFactory(name="Renault Clio")
    make_rental(vehicle=car, start_in_days=5, days=3)
    make_rental(vehicle=car, start_in_days=8, days=2, client_email="autre@example.com", client_phone="+221770000001")
    with django_assert_max_num_queries(4):
        html = client.get("/locations/").content.decode()
    fleet = html.split('data-testid="fleet"')[1].split("</ul>")[0]
    start = timezone.localdate() + timedelta(days=5)
    end = timezone.localdate() + timedelta(days=9)
    # back-to-back bookings read as one range; nobody's name or contact is shown
    assert f"du {start:%d/%m} au {end:%d/%m}" in fleet
    assert "7 places" in fleet and "45\u202f000\u00a0FCFA / jour" in fleet
    assert "Disponible à toutes les dates" in fleet
    assert "Awa" not in html and "awa.sarr" not in html


# --- 429 page ---------------------------------------------------------------------------------


def test_the_429_page_states_the_same_wait_as_retry_after(client, settings):
    settings.TRACKING_FAILED_LOOKUPS_RATE = "1/h"
    client.get("/tracking/REV-2026-AAAA-AAAA/")
    response = client.get("/tracking/REV-2026-BBBB-BBBB/")
    assert response.status_code == 429
    html = response.content.decode()
    retry_after = int(response["Retry-After"])
    assert f'data-retry-after="{retry_after}"' in html
    at = timezone.localtime() + timedelta(seconds=retry_after)
    assert f"Vous pourrez réessayer à partir de {at:%H:%M}" in html or f"du {at:%d/%m/%Y} à {at:%H:%M}" in html


# --- typography and amounts -------------------------------------------------------------------


def test_every_french_string_has_a_no_break_space_before_high_punctuation():
    # The compiled catalogue's keys are the French source strings of the whole project.
    with open(settings.BASE_DIR / "locale" / "en" / "LC_MESSAGES" / "django.mo", "rb") as mo:
        catalogue = gettext.GNUTranslations(mo)
    french = [key[0] if isinstance(key, tuple) else key for key in catalogue._catalog]
    wrong = [text for text in french if text and re.search(r"\S [:;?!»]|« ", text)]
    assert wrong == []


def test_amounts_in_francs_cfa_have_no_decimals():
    assert format_money(Decimal("95000.00"), "XOF") == "95\u202f000\u00a0FCFA"
    assert format_money(Decimal("95000.50"), "XOF") == "95\u202f001\u00a0FCFA"
    assert format_money(Decimal("99.50"), "EUR") == "99,50\u00a0€"
    assert format_money(Decimal("1250.00"), "MAD") == "1\u202f250\u00a0dhs"

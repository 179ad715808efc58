"""Customer pages in a real browser (issue 7): the waiting quote in the order a customer
decides, with its "Devis" step; the request forms' attributes and errors; the copy
button of the confirmation page; history notes in English; the rental price preview."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from revisions.quote_links import quote_link_url
from tests.factories import REVISION_FORM, RentalVehicleFactory, make_quoted_revision, make_revision

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def _path(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def _no_horizontal_scroll(page, viewport):
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], "horizontal scroll"


def test_a_waiting_quote_reads_in_order_under_the_quote_step(new_context):
    revision = make_quoted_revision(amount=Decimal("95000"))
    page = new_context().new_page()
    for viewport in (PHONE, DESKTOP):
        page.set_viewport_size(viewport)
        page.goto(_path(quote_link_url(revision=revision)))
        # the current step is "Devis", not "Validé"
        current = page.locator(".step.current")
        expect(current).to_have_count(1)
        expect(current.locator(".step-label")).to_have_text("Devis")
        expect(page.locator(".steps")).not_to_contain_text("Validé")
        # diagnostic, then the work and parts, then the amount, then the answer, then what next
        tops = [
            page.get_by_test_id(test_id).bounding_box()["y"]
            for test_id in ("quote-diagnostic", "quote-work", "quote-amount", "quote-decision", "next-steps")
        ]
        assert tops == sorted(tops), tops
        expect(page.get_by_test_id("quote")).to_have_text("95\u202f000\u00a0FCFA")
        expect(page.get_by_test_id("quote-validity")).to_contain_text("valable jusqu'au")
        expect(page.get_by_role("button", name="Accepter le devis")).to_be_visible()
        expect(page.get_by_test_id("quote-work").locator("li")).to_have_count(4)
        _no_horizontal_scroll(page, viewport)


def test_request_forms_have_phone_friendly_fields_and_errors_beside_them(new_context):
    page = new_context().new_page()
    page.set_viewport_size(PHONE)
    page.goto("/revisions/")
    today = timezone.localdate().isoformat()
    expect(page.locator("#id_client_name")).to_have_attribute("autocomplete", "name")
    expect(page.locator("#id_client_email")).to_have_attribute("type", "email")
    expect(page.locator("#id_client_email")).to_have_attribute("autocomplete", "email")
    expect(page.locator("#id_client_phone")).to_have_attribute("type", "tel")
    expect(page.locator("#id_client_phone")).to_have_attribute("autocomplete", "tel")
    expect(page.locator("#id_preferred_date")).to_have_attribute("min", today)
    # a wrong phone: the error stands in the phone's own field, and what was typed stays
    for field, value in REVISION_FORM.items():
        if value:
            page.locator(f"#id_{field}").fill(value)
    page.locator("#id_client_phone").fill("pas un numéro")
    page.get_by_role("button", name="Envoyer ma demande").click()
    phone_field = page.locator(".field", has=page.locator("#id_client_phone"))
    expect(phone_field.locator(".error")).to_have_text("Numéro de téléphone invalide.")
    expect(page.locator("#id_vehicle_model")).to_have_value(REVISION_FORM["vehicle_model"])
    _no_horizontal_scroll(page, PHONE)

    RentalVehicleFactory()
    page.goto("/locations/")
    expect(page.locator("#id_start_date")).to_have_attribute("min", today)
    expect(page.locator("#id_client_phone")).to_have_attribute("type", "tel")


def test_the_confirmation_page_copies_the_number(new_context):
    revision = make_revision()
    context = new_context()
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.set_viewport_size(PHONE)
    page.goto(f"/tracking/{revision.tracking.number}/confirmation/")
    page.get_by_test_id("copy-number").click()
    expect(page.get_by_test_id("copy-status")).to_have_text("Numéro copié")
    assert page.evaluate("navigator.clipboard.readText()") == revision.tracking.number
    expect(page.get_by_test_id("print")).to_be_visible()
    expect(page.get_by_test_id("expected-delay")).to_contain_text("diagnostic et un devis sous 2 jours ouvrés")
    _no_horizontal_scroll(page, PHONE)


def test_an_english_reader_sees_the_history_notes_in_english(new_context, live_server):
    revision = make_quoted_revision(amount=Decimal("95000"))
    context = new_context()
    context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page = context.new_page()
    page.goto(f"/tracking/{revision.tracking.number}/")
    history = page.locator(".timeline li")
    expect(history).to_have_count(2)
    expect(history.first).to_contain_text("Service request received.")
    expect(history.last).to_contain_text("Diagnosis done, quote sent: 95\u202f000\u00a0FCFA")
    expect(page.locator(".timeline")).not_to_contain_text("Diagnostic effectué")
    expect(page.locator(".step.current .step-label")).to_have_text("Quote")


def test_the_rental_price_preview_shows_only_for_valid_dates(new_context):
    RentalVehicleFactory(name="Renault Clio", daily_rate=Decimal("25000"))
    page = new_context().new_page()
    page.set_viewport_size(PHONE)
    page.goto("/locations/")
    preview = page.locator("#price-preview")
    page.get_by_role("link", name="Choisir ce véhicule").first.click()
    start = timezone.localdate() + timedelta(days=3)
    page.locator("#id_start_date").fill(start.isoformat())
    page.locator("#id_end_date").fill((start + timedelta(days=2)).isoformat())
    expect(preview).to_be_visible()
    expect(preview).to_have_text("3 jours × 25\u202f000\u00a0FCFA = 75\u202f000\u00a0FCFA")
    # the end before the start: no price
    page.locator("#id_end_date").fill((start - timedelta(days=1)).isoformat())
    expect(preview).to_be_hidden()
    # one day: singular
    page.locator("#id_end_date").fill(start.isoformat())
    expect(preview).to_have_text("1 jour × 25\u202f000\u00a0FCFA = 25\u202f000\u00a0FCFA")
    _no_horizontal_scroll(page, PHONE)

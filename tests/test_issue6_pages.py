"""What a customer and staff see on the pages issue 6 added or changed (found by a
walk-through in a real browser): the quote confirmation, the refused "Renvoyer le lien",
the rental hold and its expiry, the admin history's times."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from rentals.models import Rental
from rentals.services import rentals_expire_holds
from revisions.quote_links import quote_page_path, quote_token
from revisions.services import revision_quote_send
from tracking.models import TrackingEvent

from .factories import make_rental, make_revision

pytestmark = pytest.mark.django_db

UTC = ZoneInfo("UTC")


def _sent(amount="1250000"):
    revision = make_revision()
    return revision_quote_send(revision=revision, diagnostic="Usure", amount=Decimal(amount), notify=False)


def test_the_confirmation_sentence_keeps_the_amount_and_its_currency_together(client):
    revision = _sent()
    path = quote_page_path(number=revision.tracking.number, token=quote_token(revision=revision), confirm=True)
    html = client.get(path).content.decode()
    # On a phone, "1 250 000" must not end a line with "FCFA" alone on the next one.
    assert 'Vous acceptez le devis de <span class="nowrap">1\u202f250\u202f000\u00a0FCFA</span> pour' in html


def test_a_refused_resend_leads_back_to_the_request_instead_of_the_lost_number_advice(client):
    revision = _sent()
    number = revision.tracking.number
    assert client.post(f"/revisions/{number}/devis/lien/").status_code == 302
    refused = client.post(f"/revisions/{number}/devis/lien/")
    html = refused.content.decode()
    assert refused.status_code == 429
    assert f'href="/tracking/{number}/#devis"' in html and "Retour à ma demande" in html
    assert "Si vous avez perdu votre numéro de suivi" not in html


def test_the_lookup_429_page_still_helps_with_a_lost_number(client, settings):
    settings.TRACKING_FAILED_LOOKUPS_RATE = "1/h"
    client.get("/tracking/?number=REV-2026-AAAA-AAAA")
    refused = client.get("/tracking/?number=REV-2026-AAAA-AAAB")
    assert refused.status_code == 429
    assert "Si vous avez perdu votre numéro de suivi" in refused.content.decode()


def test_a_pending_rental_says_until_when_the_car_is_held_in_local_time(client, settings):
    settings.RENTAL_HOLD_HOURS = 48
    rental = make_rental()
    # 10 January 10:00 UTC is 11:00 in Casablanca (UTC+1 outside Ramadan).
    Rental.objects.filter(pk=rental.pk).update(created_at=datetime(2026, 1, 10, 10, 0, tzinfo=UTC))
    html = client.get(f"/tracking/{rental.tracking.number}/").content.decode()
    assert "Le véhicule vous est réservé jusqu'au 12/01/2026 à 11:00" in html


def test_an_expired_rental_explains_itself_and_offers_a_new_request(client):
    rental = make_rental()
    Rental.objects.filter(pk=rental.pk).update(created_at=timezone.now() - timedelta(hours=49))
    rentals_expire_holds()
    html = client.get(f"/tracking/{rental.tracking.number}/").content.decode()
    assert "Cette demande n'a pas été confirmée à temps" in html
    assert 'href="/locations/"' in html and "Faire une nouvelle demande" in html
    assert "vous est réservé" not in html


def test_the_admin_history_shows_times_in_the_site_time_zone(staff_client):
    rental = make_rental()
    TrackingEvent.objects.filter(item=rental.tracking).update(at=datetime(2026, 1, 10, 10, 5, tzinfo=UTC))
    html = staff_client.get(f"/admin/rentals/rental/{rental.pk}/change/").content.decode()
    assert '<td class="nowrap">10/01/2026 11:05</td>' in html

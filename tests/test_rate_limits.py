"""Every rate limit through the real stack (test client, real Redis): the public forms,
the tracking lookups, a bare django-ratelimit decorator. The license API's limits are
in tests/licenses/test_rate_limits.py."""

from datetime import timedelta
from types import SimpleNamespace

import django_ratelimit.core
import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import path
from django.utils import timezone, translation
from django_ratelimit.decorators import ratelimit

from config import urls as config_urls
from core.limits import wait_text
from rentals.models import Rental
from revisions.models import Revision
from tracking import numbers

from .factories import REVISION_FORM, RentalVehicleFactory, make_revision

pytestmark = pytest.mark.django_db

NOW = 1_900_000_000.0


@pytest.fixture
def frozen_clock(monkeypatch):
    """django-ratelimit's clock stopped at NOW, so the expected window end is exact."""
    monkeypatch.setattr(django_ratelimit.core, "time", SimpleNamespace(time=lambda: NOW))
    return NOW


def window_left(value: str, period: int) -> int:
    """Seconds until the window of `value` ends, from django-ratelimit's own window."""
    return django_ratelimit.core._get_window(value, period) + 1 - int(NOW)


def revision_data(n: int = 0, **overrides) -> dict:
    return {**REVISION_FORM, "vehicle_plate": f"DK-{1000 + n}-ZZ", **overrides}


def wait_in(language: str, response) -> str:
    with translation.override(language):
        return wait_text(int(response["Retry-After"]))


def styled(html: str) -> bool:
    return 'class="site-header"' in html and "</html>" in html


# --- public forms: per contact, successes only -----------------------------------------


def test_sixth_request_with_the_same_email_within_the_hour_is_refused_and_keeps_the_input(client):
    for n in range(5):
        assert client.post("/revisions/", revision_data(n)).status_code == 302
    # From another address: the limit follows the customer, not the IP.
    other_ip = Client(REMOTE_ADDR="198.51.100.20")
    response = other_ip.post("/revisions/", revision_data(6, problem_description="Freins qui grincent."))
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    html = response.content.decode()
    assert "Vous avez déjà envoyé plusieurs demandes" in html
    assert "Freins qui grincent." in html and 'value="Fatou Ndiaye"' in html  # nothing lost
    assert "Veuillez corriger les erreurs" not in html
    assert Revision.objects.count() == 5


def test_the_same_phone_with_another_email_is_refused_too(client):
    for n in range(5):
        assert client.post("/revisions/", revision_data(n)).status_code == 302
    response = client.post("/revisions/", revision_data(6, client_email="autre@example.com"))
    assert response.status_code == 429
    assert Revision.objects.count() == 5


def test_typo_corrections_do_not_count_against_the_customer(client):
    for n in range(10):
        assert client.post("/revisions/", revision_data(n, client_email="fatou@", mileage="-1")).status_code == 400
    for n in range(5):
        assert client.post("/revisions/", revision_data(n)).status_code == 302
    assert Revision.objects.count() == 5


def test_another_customer_behind_the_same_ip_is_not_blocked(client):
    """Carrier-grade NAT: many customers share one IP."""
    for n in range(5):
        assert client.post("/revisions/", revision_data(n)).status_code == 302
    neighbour = revision_data(9, client_email="awa@example.com", client_phone="+221 70 000 11 22")
    assert client.post("/revisions/", neighbour).status_code == 302


def test_contact_limit_comes_from_settings_and_covers_the_rental_form(client, settings):
    settings.PUBLIC_FORM_RATE_PER_CONTACT = "1/h"
    vehicle = RentalVehicleFactory()
    start = timezone.localdate() + timedelta(days=3)

    def booking(offset: int) -> dict:
        day = start + timedelta(days=offset * 5)
        return {
            "vehicle": vehicle.pk,
            "start_date": day.isoformat(),
            "end_date": (day + timedelta(days=1)).isoformat(),
            "pickup_place": "Dakar Plateau",
            "client_name": "Ibrahima Fall",
            "client_email": "ib@example.com",
            "client_phone": "+221 70 123 45 67",
        }

    assert client.post("/locations/", booking(0)).status_code == 302
    response = client.post("/locations/", booking(1))
    assert response.status_code == 429
    assert "Dakar Plateau" in response.content.decode()
    assert "Retry-After" in response
    assert Rental.objects.count() == 1


def test_a_refused_rental_does_not_count_as_a_success(client, settings):
    settings.PUBLIC_FORM_RATE_PER_CONTACT = "1/h"
    vehicle = RentalVehicleFactory()
    start = timezone.localdate() + timedelta(days=3)
    data = {
        "vehicle": vehicle.pk,
        "start_date": start.isoformat(),
        "end_date": (start + timedelta(days=1)).isoformat(),
        "pickup_place": "Dakar",
        "client_name": "Ibrahima Fall",
        "client_email": "ib@example.com",
        "client_phone": "+221701234567",
    }
    first = {**data, "client_email": "first@example.com", "client_phone": "+221709999999"}
    assert Client(REMOTE_ADDR="198.51.100.1").post("/locations/", first).status_code == 302
    assert client.post("/locations/", data).status_code == 400  # the dates are taken
    later = start + timedelta(days=10)
    data.update(start_date=later.isoformat(), end_date=(later + timedelta(days=1)).isoformat())
    assert client.post("/locations/", data).status_code == 302


# --- public forms: every attempt per IP ------------------------------------------------


def test_attempts_per_ip_are_capped_whatever_the_contact(client, settings):
    settings.PUBLIC_FORM_RATE_PER_IP = "3/h"
    for n in range(3):
        assert client.post("/revisions/", revision_data(n, client_email=f"c{n}@", mileage="x")).status_code == 400
    response = client.post("/revisions/", revision_data(4, client_email="new@example.com"))
    assert response.status_code == 429
    html = response.content.decode()
    assert "Trop de demandes envoyées depuis votre connexion" in html
    assert 'value="new@example.com"' in html
    assert Revision.objects.count() == 0
    # A GET (reading the form) is not an attempt.
    assert client.get("/revisions/").status_code == 200


def test_two_ipv4_addresses_do_not_share_a_counter(settings):
    settings.PUBLIC_FORM_RATE_PER_IP = "2/h"
    first, second = Client(REMOTE_ADDR="203.0.113.10"), Client(REMOTE_ADDR="203.0.113.11")
    for _ in range(2):
        assert first.post("/revisions/", {}).status_code == 400
    assert first.post("/revisions/", {}).status_code == 429
    assert second.post("/revisions/", {}).status_code == 400


def test_ipv6_clients_share_one_counter_per_64(settings):
    settings.PUBLIC_FORM_RATE_PER_IP = "2/h"
    assert Client(REMOTE_ADDR="2001:db8:1:2::1").post("/revisions/", {}).status_code == 400
    assert Client(REMOTE_ADDR="2001:db8:1:2:ffff:ffff:ffff:fff0").post("/revisions/", {}).status_code == 400
    assert Client(REMOTE_ADDR="2001:db8:1:2:abcd::9").post("/revisions/", {}).status_code == 429
    # The next /64 is another customer.
    assert Client(REMOTE_ADDR="2001:db8:1:3::1").post("/revisions/", {}).status_code == 400


# --- the 429 page: translated, styled, stating the wait --------------------------------


def test_refused_form_is_french_by_default_styled_and_states_the_wait(client, settings):
    settings.PUBLIC_FORM_RATE_PER_IP = "1/h"
    client.post("/revisions/", {})
    response = client.post("/revisions/", revision_data())
    assert response.status_code == 429
    html = response.content.decode()
    assert styled(html) and 'lang="fr"' in html
    assert f"Réessayez dans {wait_in('fr', response)}" in html


def test_refused_form_is_english_with_the_language_cookie(client, settings):
    settings.PUBLIC_FORM_RATE_PER_IP = "1/h"
    client.cookies["django_language"] = "en"
    client.post("/revisions/", {})
    response = client.post("/revisions/", revision_data())
    assert response.status_code == 429
    html = response.content.decode()
    assert styled(html) and 'lang="en"' in html
    assert f"Please try again in {wait_in('en', response)}" in html
    assert "Réessayez" not in html


def test_retry_after_is_what_is_left_of_the_contact_window(client, frozen_clock):
    for n in range(5):
        assert client.post("/revisions/", revision_data(n)).status_code == 302
    response = client.post("/revisions/", revision_data(6))
    assert response.status_code == 429
    assert int(response["Retry-After"]) == window_left("email:fatou@example.com", 3600)


def test_retry_after_is_what_is_left_of_the_ip_window(client, settings, frozen_clock):
    settings.PUBLIC_FORM_RATE_PER_IP = "1/10m"
    client.post("/revisions/", {})
    response = client.post("/revisions/", {})
    assert int(response["Retry-After"]) == window_left("127.0.0.1", 600)
    assert wait_in("fr", response) in response.content.decode()


def test_wait_is_stated_in_seconds_minutes_and_hours():
    with translation.override("fr"):
        assert [wait_text(s) for s in (1, 59, 60, 61, 3600, 3601, 7260)] == [
            "1 seconde",
            "59 secondes",
            "1 minute",
            "2 minutes",
            "1 heure",
            "1 heure et 1 minute",
            "2 heures et 1 minute",
        ]
    with translation.override("en"):
        assert wait_text(5400) == "1 hour and 30 minutes"


# --- tracking: failed lookups ----------------------------------------------------------


def _use_up_failed_lookups(client, settings, rate="2/h"):
    settings.TRACKING_FAILED_LOOKUPS_RATE = rate
    for _ in range(2):
        assert client.get(f"/api/tracking/{numbers.generate('REV', 2026)}").status_code == 404


def test_tracking_json_429_keeps_its_envelope_with_the_exact_retry_after(client, settings, frozen_clock):
    real = make_revision().tracking.number
    _use_up_failed_lookups(client, settings)
    response = client.get(f"/api/tracking/{real}")
    assert response.status_code == 429
    body = response.json()
    assert set(body) == {"error", "message", "retry_after"}
    assert body["error"] == "rate_limited"
    assert body["retry_after"] == int(response["Retry-After"]) == window_left("127.0.0.1", 3600)
    with translation.override("fr"):
        assert wait_text(body["retry_after"]) in body["message"]


def test_tracking_page_429_is_styled_translated_and_states_the_wait(client, settings):
    real = make_revision().tracking.number
    _use_up_failed_lookups(client, settings)
    page = client.get(f"/tracking/{real}/")
    assert page.status_code == 429
    assert styled(page.content.decode())
    assert f"Réessayez dans {wait_in('fr', page)}" in page.content.decode()
    client.cookies["django_language"] = "en"
    page = client.get(f"/tracking/{real}/")
    assert f"Please try again in {wait_in('en', page)}" in page.content.decode()


def test_quote_decision_goes_through_the_same_lookup_throttle(client, settings):
    real = make_revision().tracking.number
    _use_up_failed_lookups(client, settings)
    response = client.post(f"/revisions/{real}/devis/", {"decision": "accept"})
    assert response.status_code == 429
    assert "Retry-After" in response


# --- a bare django-ratelimit decorator gets the same styled 429 ------------------------


@ratelimit(key="ip", rate="1/h", block=True)
def _decorated(request):
    return HttpResponse("ok")


urlpatterns = [path("decorated/", _decorated), *config_urls.urlpatterns]  # base.html links to the site


@pytest.mark.urls(__name__)
def test_a_decorated_view_answers_the_styled_429_not_a_bare_403(client):
    assert client.get("/decorated/", REMOTE_ADDR="2001:db8::1").status_code == 200
    # Same /64, through django-ratelimit's own "ip" key (RATELIMIT_IP_META_KEY).
    response = client.get("/decorated/", REMOTE_ADDR="2001:db8::2")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    html = response.content.decode()
    assert styled(html) and "Trop de tentatives" in html


def test_cache_incr_counts_existing_keys_and_refuses_missing_ones():
    """django-ratelimit relies on incr() failing for a missing key (core.cache runs it in one round trip)."""
    from django.core.cache import cache

    cache.add("counter", 1, 60)
    assert cache.incr("counter") == 2
    assert cache.incr("counter", 3) == 5
    with pytest.raises(ValueError):
        cache.incr("missing-counter")
    assert cache.get("missing-counter") is None


def test_one_phone_written_two_ways_is_one_contact(client, settings):
    settings.PUBLIC_FORM_RATE_PER_CONTACT = "1/h"
    first = revision_data(1, client_email="a@example.com", client_phone="+221 77 123 45 67")
    assert client.post("/revisions/", first).status_code == 302
    again = revision_data(2, client_email="b@example.com", client_phone="+221-771234567")
    assert client.post("/revisions/", again).status_code == 429


def test_the_limiter_counts_on_django_ratelimit_s_own_keys(rf):
    # a @ratelimit decorator on the same group and key shares the counter
    from core import limits

    request = rf.get("/", REMOTE_ADDR="203.0.113.9")
    for _ in range(3):
        limits.enforce(request, group="shared-group", rate="10/m", ident="client-7")
    usage = django_ratelimit.core.get_usage(
        request, group="shared-group", key=lambda _group, _request: "client-7", rate="10/m", increment=False
    )
    assert usage["count"] == 3 and usage["limit"] == 10

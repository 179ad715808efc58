"""The public hot paths (issue 8): what they cost in queries, the cached pieces' CSRF
tokens, the fall-back to the full API layer, and the pages when Redis is down."""

import re

import pytest
from django.test import Client

from core.cache import redis_client
from rentals.services import rental_status_change
from revisions.quote_links import quote_token
from revisions.services import revision_status_change
from tracking import caching

from .factories import REVISION_FORM, RentalVehicleFactory, make_quoted_revision, make_rental

pytestmark = pytest.mark.django_db

DEAD_REDIS = {
    "default": {
        "BACKEND": "core.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/9",  # nothing listens there
        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
    }
}


def _csrf(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def test_a_cached_tracking_page_costs_no_query(client, django_assert_num_queries, django_capture_on_commit_callbacks):
    revision = make_quoted_revision()
    number = revision.tracking.number
    # built: the request with its history and its photos (one statement), then the support conversation
    with django_assert_num_queries(2):
        first = client.get(f"/tracking/{number}/").content.decode()
    with django_assert_num_queries(0):
        second = client.get(f"/tracking/{number}/").content.decode()
    assert "150\u202f000\u00a0FCFA" in second and first.count("<article") == second.count("<article") == 1


def test_cached_pages_give_each_visitor_their_own_csrf_token(django_capture_on_commit_callbacks):
    revision = make_quoted_revision()
    number = revision.tracking.number
    alice, bob = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    alice_page = alice.get(f"/tracking/{number}/").content.decode()
    bob_page = bob.get(f"/tracking/{number}/").content.decode()  # from the cache
    assert "csrf-hole" not in bob_page
    assert _csrf(alice_page) != _csrf(bob_page)
    # each token works for its own visitor: "Renvoyer le lien" from the cached page
    with django_capture_on_commit_callbacks(execute=True):
        response = bob.post(f"/revisions/{number}/devis/lien/", {"csrfmiddlewaretoken": _csrf(bob_page)})
    assert response.status_code == 302


def test_a_page_opened_from_a_signed_link_is_never_served_from_the_cache(client):
    revision = make_quoted_revision()
    number = revision.tracking.number
    client.get(f"/tracking/{number}/")  # cached without the link
    html = client.get(f"/tracking/{number}/", {"devis": quote_token(revision=revision)}).content.decode()
    assert "Accepter le devis" in html


def test_the_request_forms_are_cached_and_follow_the_fleet(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        client.get("/revisions/")
    RentalVehicleFactory(name="Renault Clio")
    client.get("/locations/")
    with django_assert_num_queries(0):
        assert "Disponible à toutes les dates" in client.get("/locations/").content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_booking_shows_on_the_booking_form_at_once():
    client = Client()
    car = RentalVehicleFactory(name="Renault Clio")
    assert "Disponible à toutes les dates" in client.get("/locations/").content.decode()
    rental = make_rental(vehicle=car)
    assert "Déjà réservé" in client.get("/locations/").content.decode()
    rental_status_change(rental=rental, to_status="annulee")
    assert "Disponible à toutes les dates" in client.get("/locations/").content.decode()


def test_a_number_not_written_as_we_write_it_goes_through_the_full_api(client):
    number = make_quoted_revision().tracking.number
    sloppy = number.lower().replace("-", "")
    response = client.get(f"/api/tracking/{sloppy}")
    assert response.status_code == 200 and response.json()["tracking_number"] == number
    assert response["Cache-Control"] == "private, no-store" or "no-store" in response["Cache-Control"]
    assert client.get("/api/tracking/docs").status_code == 200
    assert client.get("/api/tracking/openapi.json").status_code == 200


def test_unusual_validate_requests_get_the_same_answers_as_before(client):
    # extra fields, a missing one, another method: the full API layer answers them
    base = {"machine_id": "0" * 32, "license_key": "EF1.x.y"}
    for body, code in (
        ({**base, "extra": "x"}, 404),
        ({"license_key": "EF1.x.y"}, 422),
        ({**base, "machine_id": "nothex"}, 422),
    ):
        response = client.post("/api/v1/licenses/validate", body, content_type="application/json")
        assert response.status_code == code, body
    response = client.get("/api/v1/licenses/validate")
    assert response.status_code == 405 and response.json()["error"] == "METHOD_NOT_ALLOWED"


def test_public_pages_still_answer_when_redis_is_down(settings, django_capture_on_commit_callbacks):
    revision = make_quoted_revision()
    number = revision.tracking.number
    settings.CACHES = DEAD_REDIS
    client = Client()
    assert client.get(f"/tracking/{number}/").status_code == 200
    assert client.get(f"/api/tracking/{number}").json()["tracking_number"] == number
    assert client.get("/revisions/").status_code == 200
    assert client.get("/").status_code == 200
    # and a request can still be made (the limits fail open)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/revisions/", {**REVISION_FORM, "client_email": "down@example.com"}).status_code == 302


# --- the microcache ------------------------------------------------------------------------


def _redis_calls(monkeypatch):

    client, calls = redis_client(), []
    real = client.execute_command

    def counting(*args, **kwargs):
        calls.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(client, "execute_command", counting)
    return calls


def test_a_burst_on_one_number_is_served_from_the_process(client, settings, monkeypatch):
    settings.MICROCACHE_SECONDS = 1
    number = make_quoted_revision().tracking.number
    client.get(f"/api/tracking/{number}")  # built and cached in Redis
    client.get(f"/api/tracking/{number}")  # read from Redis, copied in the process
    calls = _redis_calls(monkeypatch)
    for _ in range(3):
        assert client.get(f"/api/tracking/{number}").json()["tracking_number"] == number
    assert calls == []


def test_a_change_is_seen_at_once_by_the_process_that_made_it(client, settings, django_capture_on_commit_callbacks):
    settings.MICROCACHE_SECONDS = 60
    revision = make_quoted_revision()
    number = revision.tracking.number
    client.get(f"/api/tracking/{number}")
    client.get(f"/api/tracking/{number}")
    with django_capture_on_commit_callbacks(execute=True):
        revision_status_change(revision=revision, to_status="annule")
    assert client.get(f"/api/tracking/{number}").json()["status"] == "annule"


def test_failed_lookups_still_block_at_once_in_the_process_that_counts_them(client, settings):
    settings.MICROCACHE_SECONDS = 60
    settings.TRACKING_FAILED_LOOKUPS_RATE = "2/h"
    number = make_quoted_revision().tracking.number
    assert client.get(f"/api/tracking/{number}").status_code == 200
    for _ in range(2):
        assert client.get("/api/tracking/REV-2026-AAAA-AAAA").status_code == 404
    # the count copied in the process was replaced by Redis's answer to each failure
    assert client.get(f"/api/tracking/{number}").status_code == 429


def test_the_csrf_token_never_lands_in_the_language_switch_s_next_path(client):
    html = client.get("/tracking/", {"x": "csrf-hole-8b3e5f1a0c9d4e72"}).content.decode()
    next_value = re.search(r'name="next" type="hidden" value="([^"]*)"', html).group(1)
    assert "csrf-hole-8b3e5f1a0c9d4e72" in next_value and _csrf(html) not in next_value


def test_a_preselected_car_is_not_cached(client):
    car = RentalVehicleFactory(name="Renault Clio")
    for made_up in ("1", "x" * 40, str(car.pk)):
        assert client.get("/locations/", {"vehicle": made_up}).status_code == 200
    assert not redis_client().keys("*rentals:form*")


def test_an_entry_built_before_a_change_and_stored_after_it_is_not_served(client, django_capture_on_commit_callbacks):
    # given a reader that read the version, then the data, before a change...

    revision = make_quoted_revision()
    number = revision.tracking.number
    key = caching.json_key(number, "fr")
    stale_version = caching.current({}, key, number)[1]
    # ...when the change commits, then the late reader stores what it built
    with django_capture_on_commit_callbacks(execute=True):
        revision_status_change(revision=revision, to_status="annule")
    caching.store(key, b'{"status": "devis_envoye"}', version=stale_version, changes_at=None)
    # then the next reader does not serve it
    assert client.get(f"/api/tracking/{number}").json()["status"] == "annule"


def test_the_wsgi_entry_point_leaves_what_it_loaded_out_of_the_collector():
    """A full collection walks only what requests left behind, not Django and the apps
    (config/wsgi.py: the p99 of the hot paths)."""
    import gc
    import importlib

    import config.wsgi

    gc.unfreeze()
    importlib.reload(config.wsgi)
    try:
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()

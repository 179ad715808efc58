import re

import pytest
from django.core.cache import cache
from django.test import Client

from revisions.quote_links import quote_token
from tracking import numbers
from tracking.services import status_transition

from .factories import REVISION_FORM, make_quoted_revision, make_rental, make_revision

pytestmark = pytest.mark.django_db

PERSONAL = ["jean.dupont@example.com", "+221771234567", "771234567", "Dupont", "AB-123-CD"]


def test_tracking_page_shows_the_revision_without_personal_data(client):
    revision = make_quoted_revision()
    response = client.get(f"/tracking/{revision.tracking.number}/")
    assert response.status_code == 200
    html = response.content.decode()
    for expected in [
        revision.tracking.number,
        "Devis envoyé",
        "Toyota",
        "Corolla",
        "2020",
        "45\u202f000 km",
        "A*******D",
        "Courroie de distribution usée",
        "Remplacement courroie",
        "Filtre à huile",
        "150\u202f000\u00a0FCFA",
        "Jean-Marc D.",
        "Pour accepter ou refuser, ouvrez le lien reçu par e-mail ou SMS.",
        "data-print",
    ]:
        assert expected in html, expected
    for secret in PERSONAL:
        assert secret not in html, secret


def test_tracking_json_has_the_documented_shape_and_no_personal_data(client):
    revision = make_quoted_revision()
    number = revision.tracking.number
    response = client.get(f"/api/tracking/{number}")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"tracking_number", "service", "status", "status_label", "steps", "details", "quote", "history"}
    assert body["tracking_number"] == number
    assert body["service"] == "REV"
    assert body["status"] == "devis_envoye"
    assert body["status_label"] == "Devis envoyé"
    assert body["quote"] == {"amount": "150000.00", "currency": "XOF"}
    assert [s["key"] for s in body["steps"]] == ["recu", "valide", "en_cours", "termine"]
    assert [(s["done"], s["current"]) for s in body["steps"]] == [
        (True, False),
        (True, True),
        (False, False),
        (False, False),
    ]
    assert body["details"]["vehicle"]["plate"] == "A*******D"
    assert [h["status"] for h in body["history"]] == ["en_attente", "devis_envoye"]
    assert set(body["history"][0]) == {"at", "status", "label", "note"}
    for secret in PERSONAL:
        assert secret not in response.content.decode(), secret


def test_quote_is_null_until_it_is_sent(client):
    revision = make_revision()
    assert client.get(f"/api/tracking/{revision.tracking.number}").json()["quote"] is None


def test_rental_is_tracked_with_its_price(client):
    rental = make_rental(days=3)
    body = client.get(f"/api/tracking/{rental.tracking.number}").json()
    assert body["service"] == "LOC"
    assert body["quote"] == {"amount": "75000.00", "currency": "XOF"}
    assert body["details"]["days"] == 3
    assert body["details"]["client"] == "Awa S."
    assert "awa.sarr@example.com" not in str(body)


def test_cancelled_request_shows_how_far_it_got(client):
    revision = make_quoted_revision()
    status_transition(obj=revision, to_status="annule", note="Annulé à la demande du client")
    body = client.get(f"/api/tracking/{revision.tracking.number}").json()
    assert body["status_label"] == "Annulé"
    assert [(s["done"], s["current"]) for s in body["steps"]] == [
        (True, False),
        (True, False),
        (False, False),
        (False, False),
    ]


def test_lookup_form_accepts_a_sloppily_typed_number(client):
    revision = make_revision()
    number = revision.tracking.number
    typed = number.lower().replace("-", " ")
    response = client.get("/tracking/", {"number": typed})
    assert response.status_code == 302
    assert response["Location"] == f"/tracking/{number}/"


def test_non_canonical_url_redirects_to_the_canonical_one(client):
    number = make_revision().tracking.number
    response = client.get(f"/tracking/{number.lower()}/")
    assert response.status_code == 301
    assert response["Location"] == f"/tracking/{number}/"


def _bad_check(number: str) -> str:
    last = number[-1]
    other = next(c for c in numbers.ALPHABET if c != last)
    return number[:-1] + other


def test_unknown_malformed_and_bad_check_numbers_get_the_same_404(client):
    real = make_revision().tracking.number
    unknown = numbers.generate("REV", 2026)
    candidates = [unknown, "not-a-number", _bad_check(real), numbers.generate("CAR", 2026)]
    pages = [client.get(f"/tracking/{c}/") for c in candidates]
    assert {p.status_code for p in pages} == {404}
    # Identical once the per-request CSRF token and the echoed input are set aside.
    bodies = {
        re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", p.content.decode()).replace(c, "")
        for p, c in zip(pages, candidates, strict=True)
    }
    assert len(bodies) == 1
    api = [client.get(f"/api/tracking/{c}") for c in candidates]
    assert {r.status_code for r in api} == {404}
    assert len({r.content for r in api}) == 1
    assert api[0].json()["error"] == "not_found"


def test_more_than_20_failed_lookups_per_hour_get_a_429(client):
    real = make_revision().tracking.number
    for i in range(20):
        assert client.get(f"/api/tracking/{numbers.generate('REV', 2026)}").status_code == 404, i
    page = client.get("/tracking/REV-2026-0000-0000/")
    assert page.status_code == 429
    assert "Trop de tentatives" in page.content.decode()
    api = client.get(f"/api/tracking/{real}")
    assert api.status_code == 429
    assert api.json()["error"] == "rate_limited"
    assert int(api["Retry-After"]) > 0
    # Another client IP is not affected.
    other = Client(REMOTE_ADDR="10.9.8.7")
    assert other.get(f"/api/tracking/{real}").status_code == 200


def test_successful_lookups_do_not_count(client):
    real = make_revision().tracking.number
    for _ in range(30):
        assert client.get(f"/api/tracking/{real}").status_code == 200


@pytest.mark.parametrize("history_length", [2, 12])
def test_tracking_page_and_json_use_a_constant_number_of_queries(client, django_assert_num_queries, history_length):
    revision = make_quoted_revision()
    for i in range(history_length - 2):
        status_transition(obj=revision, to_status="devis_envoye", note=f"révision {i}")
    number = revision.tracking.number
    # the revision with its history and its photos (one statement), then the support conversation
    with django_assert_num_queries(2):
        assert client.get(f"/tracking/{number}/").status_code == 200
    # the stored answer looked for (tracking.answers), the one statement, the answer stored
    with django_assert_num_queries(3):
        response = client.get(f"/api/tracking/{number}")
    assert len(response.json()["history"]) == history_length
    cache.clear()  # no Redis copy: the stored answer, in one query
    with django_assert_num_queries(1):
        assert client.get(f"/api/tracking/{number}").content == response.content


def test_rental_page_uses_two_queries(client, django_assert_num_queries):
    number = make_rental().tracking.number
    # the rental with its car and its history (one statement), then the support conversation
    with django_assert_num_queries(2):
        assert client.get(f"/tracking/{number}/").status_code == 200


def test_confirmation_page_shows_the_number_prominently(client):
    number = make_revision().tracking.number
    html = client.get(f"/tracking/{number}/confirmation/").content.decode()
    assert number in html
    assert "Conservez-le précieusement" in html
    assert f'href="/tracking/{number}/"' in html


def test_english_is_available(client):
    revision = make_quoted_revision()
    number, token = revision.tracking.number, quote_token(revision=revision)
    ui = {
        "fr": [
            'data-testid="status">Devis envoyé</span>',
            "Numéro de suivi",
            "Historique",
            'aria-label="Progression"',
            "Accepter le devis",
            '<span class="step-label">Devis</span>',
            "Demande de révision reçue.",
        ],
        "en": [
            'data-testid="status">Quote sent</span>',
            "Tracking number",
            "History",
            'aria-label="Progress"',
            "Accept the quote",
            '<span class="step-label">Quote</span>',
            "Service request received.",
        ],
    }
    for language, other in (("fr", "en"), ("en", "fr")):
        client.cookies["django_language"] = language
        html = client.get(f"/tracking/{number}/", {"devis": token}).content.decode()
        assert f'lang="{language}"' in html
        assert all(text in html for text in ui[language]), language
        assert not any(text in html for text in ui[other]), language


def test_json_is_served_from_cache_and_refreshed_after_each_change(
    client, django_assert_num_queries, django_capture_on_commit_callbacks
):
    revision = make_revision()
    number = revision.tracking.number
    assert client.get(f"/api/tracking/{number}").json()["status"] == "en_attente"
    with django_assert_num_queries(0):
        assert client.get(f"/api/tracking/{number}").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        status_transition(obj=revision, to_status="annule", note="Annulé")
    assert client.get(f"/api/tracking/{number}").json()["status"] == "annule"


def test_admin_edit_refreshes_the_cached_json(client, staff_client, django_capture_on_commit_callbacks):
    revision = make_revision()
    number = revision.tracking.number
    assert client.get(f"/api/tracking/{number}").json()["details"]["vehicle"]["mileage"] == 45000
    form = {
        "client_name": revision.client_name,
        "client_email": revision.client_email,
        "client_phone": revision.client_phone,
        "vehicle_make": "Toyota",
        "vehicle_model": "Corolla",
        "vehicle_year": "2020",
        "vehicle_plate": "AB-123-CD",
        "mileage": "46000",
        "problem_description": revision.problem_description,
        "preferred_date": "",
        "media-TOTAL_FORMS": "0",  # the photos and videos inline, empty
        "media-INITIAL_FORMS": "0",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(f"/admin/revisions/revision/{revision.pk}/change/", form)
    assert response.status_code == 302
    assert client.get(f"/api/tracking/{number}").json()["details"]["vehicle"]["mileage"] == 46000


def test_json_labels_follow_the_chosen_language(client):
    number = make_revision().tracking.number
    assert client.get(f"/api/tracking/{number}").json()["status_label"] == "Reçu"
    client.cookies["django_language"] = "en"
    assert client.get(f"/api/tracking/{number}").json()["status_label"] == "Received"


def test_failed_lookups_from_another_process_count_here(client):
    """Two processes (think two gunicorn workers) share one counter in Redis."""
    import subprocess
    import sys

    from django.conf import settings

    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings.test'; django.setup();"
        "from django.test import RequestFactory; from tracking import throttle;"
        "r = RequestFactory().get('/', REMOTE_ADDR='127.0.0.1');"
        "[throttle.record_failure(r) for _ in range(20)]"
    )
    env = {"PATH": "/usr/bin:/bin", "TEST_REDIS_URL": settings.CACHES["default"]["LOCATION"]}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    number = make_revision().tracking.number
    assert client.get(f"/api/tracking/{number}").status_code == 429


def _use_up_failed_lookups(client):
    for i in range(20):
        assert client.get(f"/api/tracking/{numbers.generate('REV', 2026)}").status_code == 404, i


def test_a_number_this_browser_opened_stays_reachable_when_its_ip_is_blocked(client):
    # given a customer who opened their request once, and other customers behind the
    # same carrier IP who then use up its failed lookups
    mine = make_revision().tracking.number
    assert client.get(f"/tracking/{mine}/").status_code == 200
    _use_up_failed_lookups(client)
    # when the customer comes back, their own request is still shown
    assert client.get(f"/tracking/{mine}/").status_code == 200
    # then any other number, existing or not, is still refused from that IP
    other = make_revision(client_email="other@example.com").tracking.number
    assert client.get(f"/tracking/{other}/").status_code == 429
    assert client.get("/tracking/REV-2026-0000-0000/").status_code == 429


def test_the_confirmation_page_after_a_request_is_never_blocked(client):
    _use_up_failed_lookups(client)
    response = client.post("/revisions/", REVISION_FORM)
    assert response.status_code == 302
    assert client.get(response["Location"]).status_code == 200


def test_a_forged_known_numbers_cookie_is_ignored(client):
    other = make_revision().tracking.number
    _use_up_failed_lookups(client)
    client.cookies["tracking_known"] = other
    assert client.get(f"/tracking/{other}/").status_code == 429


def test_the_known_numbers_cookie_does_not_contain_the_numbers(client):
    mine = make_revision().tracking.number
    response = client.get(f"/tracking/{mine}/")
    cookie = response.cookies["tracking_known"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    compact = mine.replace("-", "")
    assert mine not in cookie.value and compact not in cookie.value.replace("-", "")


def test_refusals_of_the_tracking_json_are_not_cached_either(client):
    _use_up_failed_lookups(client)
    refused = client.get(f"/api/tracking/{make_revision().tracking.number}")
    assert refused.status_code == 429
    assert refused["Cache-Control"] == "private, no-store"
    invalid = client.get("/api/tracking/REV-2026-%00AA-AAAA")
    assert invalid.status_code in (404, 422, 429)
    assert invalid["Cache-Control"] == "private, no-store"

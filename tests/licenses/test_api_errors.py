"""The API maps domain refusals to HTTP once: services raise codes, never statuses."""

import pytest

from core.errors import RateLimited
from licenses import services
from licenses.errors import LicenseError

pytestmark = pytest.mark.django_db


def test_a_service_refusal_gets_its_status_from_the_api_table(api, product):
    api.trial()

    response = api.trial()

    assert response.status_code == 409
    assert response.json()["error"] == "TRIAL_ALREADY_EXISTS"
    assert response.json()["existing_license"]["days_remaining"] == 30


def test_a_refusal_the_api_does_not_know_is_a_400_in_the_envelope_not_a_500(api, product, monkeypatch):
    def refuse(**kwargs):
        raise LicenseError("SOMETHING_NEW", "Refusé.", details={"why": "test"})

    monkeypatch.setattr(services, "license_trial_create", refuse)

    response = api.trial()

    assert response.status_code == 400
    body = response.json()
    assert (body["success"], body["error"], body["message"], body["details"]) == (
        False,
        "SOMETHING_NEW",
        "Refusé.",
        {"why": "test"},
    )


def test_the_platform_rate_limit_answers_429_rate_limit_exceeded_with_retry_after(api, product, monkeypatch):
    def limited(**kwargs):
        raise RateLimited("Trop de requêtes.", retry_after=42)

    monkeypatch.setattr(services, "license_trial_create", limited)

    response = api.trial()

    assert response.status_code == 429
    assert response.json()["error"] == "RATE_LIMIT_EXCEEDED"
    assert response.json()["retry_after"] == 42
    assert response["Retry-After"] == "42"


def test_malformed_json_is_still_400_invalid_request(api, product):
    response = api.post("/licenses/trial", raw="{not json")

    assert response.status_code == 400
    assert response.json()["error"] == "INVALID_REQUEST"

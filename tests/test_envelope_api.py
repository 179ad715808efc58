"""core.api.EnvelopeApi: every refusal in the shared envelope, statuses from its map."""

import json
import logging

import pytest
from django.http import Http404
from django.test import RequestFactory
from ninja.errors import AuthenticationError

from core.api import EnvelopeApi
from core.errors import DomainError, RateLimited


class ShopApi(EnvelopeApi):
    STATUS = {"OUT_OF_STOCK": 409}


api = ShopApi(urls_namespace="test-envelope-api", status={"TOO_BIG": 413})


@pytest.fixture
def request_():
    request = RequestFactory().get("/api/leads/x")
    request.request_id = "req-12345678"
    return request


def _answer(request, exc):
    response = api.on_exception(request, exc)
    return response.status_code, json.loads(response.content), response


def test_a_domain_error_takes_its_status_from_the_map(request_):
    status, body, _ = _answer(request_, DomainError("OUT_OF_STOCK", "Épuisé", details={"sku": "A1"}))
    assert status == 409
    assert body["success"] is False and body["error"] == "OUT_OF_STOCK" and body["message"] == "Épuisé"
    assert body["details"] == {"sku": "A1"} and body["request_id"] == "req-12345678" and body["timestamp"]
    assert _answer(request_, DomainError("TOO_BIG", "x"))[0] == 413


def test_an_unmapped_code_is_a_400_never_a_500(request_):
    assert _answer(request_, DomainError("WHATEVER", "x"))[0] == 400


def test_a_rate_limit_is_a_429_with_retry_after(request_):
    status, body, response = _answer(request_, RateLimited("Trop", retry_after=42))
    assert status == 429 and body["error"] == "RATE_LIMIT_EXCEEDED" and response["Retry-After"] == "42"


def test_missing_authentication_and_404_have_their_codes(request_):
    assert _answer(request_, AuthenticationError())[:2][1]["error"] == "UNAUTHORIZED"
    status, body, _ = _answer(request_, Http404())
    assert status == 404 and body["error"] == "NOT_FOUND"


def test_an_unexpected_error_is_logged_and_a_500_in_the_envelope(request_, caplog):
    with caplog.at_level(logging.ERROR):
        status, body, _ = _answer(request_, ValueError("boom"))
    assert status == 500 and body["error"] == "SERVER_ERROR" and "boom" not in json.dumps(body)
    assert any(record.exc_info for record in caplog.records)

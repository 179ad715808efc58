"""Every operation of every JSON API, driven by the API's own OpenAPI schema: whatever a
client sends (valid or not, NUL characters, huge numbers, odd dates...), the answer is
never a 5xx.

Schemathesis generates the requests (positive and negative cases) and sends them to the
Django WSGI application in-process, inside the test's database transaction. The number
of examples is bounded and the generation derandomized, so a run is reproducible and
stays well under a minute. A failure prints the request to replay.
"""

import os
from contextlib import contextmanager

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from accounts.personal_tokens import personal_token_create
from tests.leads.factories import make_campaign, make_influencer, make_lead, make_merchant
from tests.licenses.factories import LicenseFactory, ProductFactory

# New JSON APIs add their schema here (support, shop...), or, when their callers are not
# staff, a test of their own below (the leads API, with a merchant's and an influencer's
# personal tokens).
SCHEMAS = {
    "licenses": "/api/v1/openapi.json",
    "tracking": "/api/tracking/openapi.json",
    # Customers' operations are reached too: the superuser's staff token is a logged-in caller.
    "tickets": "/api/tickets/openapi.json",
}
LEADS_SCHEMA = "/api/leads/openapi.json"
EXAMPLES_PER_OPERATION = int(os.environ.get("FUZZ_EXAMPLES", "40"))

app = WSGIHandler()

pytestmark = pytest.mark.django_db


@contextmanager
def _in_the_test_transaction():
    # As Django's test client does: the WSGI handler would otherwise close the test's
    # database connection around each request, losing the test's transaction.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    # Rate limits would turn most examples into 429s before they reach the code under test.
    for name in (
        "LICENSE_RATE_TRIAL",
        "LICENSE_RATE_ACTIVATE",
        "LICENSE_RATE_VALIDATE",
        "LICENSE_RATE_HEARTBEAT",
        "LICENSE_RATE_TOKEN",
        "TRACKING_FAILED_LOOKUPS_RATE",
        "LEADS_RATE_CREATE",
        "SUPPORT_TICKET_RATE_PER_IP",
        "SUPPORT_TICKET_RATE_PER_EMAIL",
        "SUPPORT_MESSAGE_RATE_PER_NUMBER",
        "SUPPORT_MESSAGE_RATE_PER_IP",
    ):
        setattr(settings, name, "100000/h")


@pytest.fixture
def staff_token(client, django_user_model):
    """An access token obtained through the API, so admin operations get past authentication."""
    django_user_model.objects.create_user(
        username="fuzz-staff", password="pw-fuzz-123", is_staff=True, is_superuser=True
    )
    response = client.post(
        "/api/v1/admin/token",
        {"username": "fuzz-staff", "password": "pw-fuzz-123"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


@pytest.fixture
def some_licenses():
    ProductFactory()
    LicenseFactory.create_batch(3)
    LicenseFactory(revoked=True)


@schemathesis.pytest.parametrize(**{name: schemathesis.openapi.from_wsgi(path, app) for name, path in SCHEMAS.items()})
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    database=None,
    # The token and the licenses are set up once per operation and shared by its examples:
    # what the fixture health check warns about is intended here.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_no_input_makes_an_api_answer_a_server_error(case, staff_token, some_licenses):
    with _in_the_test_transaction():
        response = case.call(headers={"Authorization": f"Bearer {staff_token}"})

    case.validate_response(response, checks=[not_a_server_error])


# The leads operations only an influencer reaches; the others are sent as the merchant.
LEADS_INFLUENCER_PATHS = {"/api/leads/create", "/api/leads/influencer/stats", "/api/leads/payouts"}


@pytest.fixture
def marketplace():
    """A funded merchant with a campaign and a pending lead, an influencer with bank
    details: the Authorization headers of both, by role."""
    merchant = make_merchant(balance="5000")
    influencer = make_influencer(bank_holder="Fuzz", bank_rib="011780000012345678901234")
    make_lead(campaign=make_campaign(merchant), influencer=influencer)
    headers = {}
    for role, user in (("merchant", merchant.user), ("influencer", influencer.user)):
        _token, plaintext = personal_token_create(user=user, name="fuzz")
        headers[role] = {"Authorization": f"Bearer {plaintext}"}
    return headers


@schemathesis.pytest.parametrize(leads=schemathesis.openapi.from_wsgi(LEADS_SCHEMA, app))
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_no_input_makes_the_leads_api_answer_a_server_error(case, marketplace):
    # Sent as the role that gets past the endpoint's role check, to reach the code behind it.
    role = "influencer" if case.operation.path in LEADS_INFLUENCER_PATHS else "merchant"
    with _in_the_test_transaction():
        response = case.call(headers=marketplace[role])
    case.validate_response(response, checks=[not_a_server_error])

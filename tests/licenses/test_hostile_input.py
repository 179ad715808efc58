"""Hostile input the license API used to answer with 500 SERVER_ERROR (found by fuzzing
/api/v1/openapi.json): text with NUL characters, integers beyond 64 bits, datetimes
PostgreSQL cannot store, bodies over the upload limit. Each is now the client's error,
in the API's envelope, with the field named."""

import json

import pytest

from licenses import permissions
from licenses.models import ActivationCode, License
from tests.licenses.factories import StaffFactory

from .conftest import MACHINE
from .factories import LicenseFactory

pytestmark = pytest.mark.django_db

NUL = "\x00"
API_CODENAMES = [name.split(".")[1] for name in permissions.API]


@pytest.fixture
def token(api):
    StaffFactory(username="ops", permissions=API_CODENAMES)
    return api.post("/admin/token", {"username": "ops", "password": "pw-staff-12345"}).json()["access_token"]


def assert_invalid(response, field, status=422, code="INVALID_REQUEST"):
    body = response.json()
    assert response.status_code == status, body
    assert (body["success"], body["error"]) == (False, code)
    assert field in body["details"], body["details"]


# --- NUL characters ----------------------------------------------------------------


def test_a_nul_character_in_a_trial_is_a_422_naming_the_field(api, product):
    response = api.post(
        "/licenses/trial", {"machine_id": MACHINE, "email": "client@example.com", "product": f"easy{NUL}facture"}
    )

    assert_invalid(response, "product")
    assert not License.objects.exists()


def test_a_nul_character_in_a_heartbeat_is_a_422(api, product):
    response = api.post("/licenses/heartbeat", {"machine_id": MACHINE, "license_key": "EF1.x.y", "os_info": NUL})

    assert_invalid(response, "os_info")


def test_a_nul_character_in_the_admin_token_request_is_a_422(api, token):
    response = api.post("/admin/token", {"username": f"ops{NUL}", "password": "pw-ops-12345"})

    assert_invalid(response, "username")


def test_a_nul_character_in_an_admin_list_filter_is_a_422(api, token):
    assert_invalid(api.get("/admin/licenses", token=token, email=f"a{NUL}@example.com"), "email")
    assert_invalid(api.get("/admin/licenses", token=token, product=NUL), "product")


def test_a_nul_character_in_a_revoke_reason_is_a_422_and_revokes_nothing(api, product, token):
    lic = LicenseFactory(machine_id=MACHINE)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    in_query = api.client.delete(f"/api/v1/admin/licenses/{MACHINE}?reason=fraud%00", **auth)
    in_body = api.client.delete(
        f"/api/v1/admin/licenses/{MACHINE}",
        json.dumps({"reason": f"fraud{NUL}"}),
        content_type="application/json",
        **auth,
    )

    assert_invalid(in_query, "reason")
    assert_invalid(in_body, "reason")
    lic.refresh_from_db()
    assert not lic.is_revoked


def test_a_revoke_reason_in_the_body_is_validated_like_a_declared_one(api, product, token):
    LicenseFactory(machine_id=MACHINE)

    response = api.client.delete(
        f"/api/v1/admin/licenses/{MACHINE}",
        json.dumps({"reason": "x" * 501}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )

    assert_invalid(response, "reason")


def test_a_nul_character_in_a_path_parameter_is_a_422(api, token):
    response = api.client.delete("/api/v1/admin/licenses/0123%00", HTTP_AUTHORIZATION=f"Bearer {token}")

    assert_invalid(response, "machine_id", code="INVALID_MACHINE_ID")


def test_a_nul_character_in_activation_code_notes_is_a_422(api, product, token):
    response = api.post(
        "/admin/activation-codes", {"license_type": "annual", "duration_days": 365, "notes": NUL}, token=token
    )

    assert_invalid(response, "notes")
    assert not ActivationCode.objects.exists()


def test_a_nul_character_in_a_key_or_a_nested_value_is_refused_too(api, product):
    body = {"machine_id": MACHINE, "email": "client@example.com", "product": "easyfacture"}

    assert_invalid(api.post("/licenses/trial", {**body, f"x{NUL}": 1}), f"x{NUL}")
    assert_invalid(api.post("/licenses/trial", {**body, "extra": [{"deep": NUL}]}), "extra.0.deep")


def test_an_unpaired_surrogate_is_refused_like_a_nul(api, product):
    # json.dumps writes it as the escape "\ud800", which json.loads turns back into a lone surrogate.
    body = {"machine_id": MACHINE, "email": "client@example.com", "product": "easy\ud800"}

    assert_invalid(api.post("/licenses/trial", body), "product")


def test_an_e_mail_address_longer_than_its_column_is_a_422(api, product):
    # Django's validator accepts up to 320 characters; the column holds 254.
    email = "a" * 64 + "@" + ".".join(["b" * 60] * 4) + ".com"

    assert_invalid(api.trial(email=email), "email")


# --- integers beyond 64 bits ---------------------------------------------------------


@pytest.mark.parametrize("page", [2**62, 2**63, 2**70, 10**30])
def test_a_page_number_beyond_what_postgresql_can_offset_is_a_422(api, token, page):
    assert_invalid(api.get("/admin/licenses", token=token, page=page, page_size=200), "page")


def test_the_last_allowed_page_is_simply_empty(api, token):
    response = api.get("/admin/licenses", token=token, page=(2**63 - 1) // 200, page_size=200)

    assert response.status_code == 200
    assert response.json()["items"] == []


def test_a_count_beyond_64_bits_is_a_422(api, product, token):
    response = api.post("/admin/activation-codes", {"license_type": "annual", "duration_days": 2**64}, token=token)

    assert_invalid(response, "duration_days")


# --- datetimes PostgreSQL cannot store -----------------------------------------------


@pytest.mark.parametrize(
    "expires_at",
    [
        "2030-01-01T00:00:00+23:59",  # Python accepts ±23:59, PostgreSQL stops before ±16:00
        "2030-01-01T00:00:00-16:00",
        "0001-01-01T00:00:00+05:00",  # year 0 in UTC
        "9999-12-31T23:59:00-05:00",  # year 10000 in UTC
    ],
)
def test_an_activation_code_expiry_postgresql_cannot_store_is_a_422(api, product, token, expires_at):
    response = api.post(
        "/admin/activation-codes",
        {"license_type": "annual", "duration_days": 365, "expires_at": expires_at},
        token=token,
    )

    assert_invalid(response, "expires_at")
    assert not ActivationCode.objects.exists()


def test_an_expiry_with_an_unusual_but_storable_offset_is_kept_as_the_same_instant(api, product, token):
    response = api.post(
        "/admin/activation-codes",
        {"license_type": "annual", "duration_days": 365, "expires_at": "2030-01-01T00:00:00+15:30"},
        token=token,
    )

    assert response.status_code == 201
    assert ActivationCode.objects.get().expires_at.isoformat() == "2029-12-31T08:30:00+00:00"


# --- bodies over the upload limit ----------------------------------------------------


def test_a_body_over_the_upload_limit_is_a_413_in_the_envelope(api, product, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = {"machine_id": MACHINE, "email": "client@example.com", "product": "easyfacture", "version": "x" * 2000}

    response = api.post("/licenses/trial", body)

    body = response.json()
    assert response.status_code == 413
    assert (body["success"], body["error"], body["details"]) == (False, "PAYLOAD_TOO_LARGE", {"max_bytes": 1000})
    assert not License.objects.exists()


def test_a_body_over_the_default_limit_of_two_and_a_half_megabytes_is_a_413(api, product):
    raw = json.dumps({"machine_id": MACHINE, "email": "client@example.com", "product": "x", "os": "y" * 2_700_000})

    response = api.post("/licenses/trial", raw=raw)

    assert response.status_code == 413
    assert response.json()["error"] == "PAYLOAD_TOO_LARGE"

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from licenses import signing
from licenses.models import ActivationCode, License, LicenseEvent
from licenses.services import activation_codes_generate, license_activate, license_revoke
from tests.concurrency import run_at_once

from .conftest import MACHINE, OTHER_MACHINE

pytestmark = pytest.mark.django_db

ENVELOPE = {"success", "error", "message", "details", "timestamp", "request_id"}


def _codes(product, license_type="annual", days=365, count=1, **kw):
    return [
        c.code
        for c in activation_codes_generate(
            product=product, license_type=license_type, duration_days=days, count=count, **kw
        )
    ]


# --- trial ------------------------------------------------------------------------


def test_trial_is_created_for_30_days(api, product):
    response = api.trial(machine=MACHINE.upper())
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"success", "license_key", "license_type", "expires_at", "days_remaining", "message"}
    assert body["success"] is True and body["license_type"] == "trial" and body["days_remaining"] == 30
    assert response["X-Request-ID"]
    lic = License.objects.get()
    assert lic.machine_id == MACHINE  # stored lowercase
    assert signing.verify(body["license_key"])["mid"] == MACHINE
    assert LicenseEvent.objects.filter(license=lic, action="trial_created").count() == 1


def test_second_trial_for_same_machine_is_refused_even_after_expiry(api, product):
    api.trial()
    License.objects.update(expires_at=timezone.now() - timedelta(days=1))
    response = api.trial(email="other@example.com")
    assert response.status_code == 409
    body = response.json()
    assert body["error"] == "TRIAL_ALREADY_EXISTS" and set(body) >= ENVELOPE
    assert body["existing_license"]["days_remaining"] == 0 and body["existing_license"]["expires_at"]


def test_trials_per_email_are_capped(api, product, settings):
    settings.LICENSE_TRIALS_PER_EMAIL = 2
    assert api.trial(machine="a" * 32, ip="1.1.1.1").status_code == 201
    assert api.trial(machine="b" * 32, ip="1.1.1.2").status_code == 201
    response = api.trial(machine="c" * 32, ip="1.1.1.3")
    assert response.status_code == 409 and response.json()["error"] == "TRIAL_LIMIT_REACHED"


def test_unknown_product_is_a_422(api, product):
    body = {"machine_id": MACHINE, "email": "a@example.com", "product": "nope", "version": "1"}
    response = api.post("/licenses/trial", body)
    assert response.status_code == 422 and response.json()["error"] == "INVALID_PRODUCT"


@pytest.mark.parametrize(
    "body,code",
    [
        ({"email": "a@example.com", "product": "easyfacture"}, "MACHINE_ID_REQUIRED"),
        ({"machine_id": "xyz", "email": "a@example.com", "product": "easyfacture"}, "INVALID_MACHINE_ID"),
        ({"machine_id": "g" * 32, "email": "a@example.com", "product": "easyfacture"}, "INVALID_MACHINE_ID"),
        ({"machine_id": MACHINE, "email": "not-an-email", "product": "easyfacture"}, "INVALID_REQUEST"),
        ({"machine_id": MACHINE, "email": ["a"], "product": "easyfacture"}, "INVALID_REQUEST"),
        ({"machine_id": 12, "email": "a@example.com", "product": "easyfacture"}, "INVALID_MACHINE_ID"),
    ],
)
def test_bad_input_gets_a_422_in_the_envelope(api, product, body, code):
    response = api.post("/licenses/trial", body)
    assert response.status_code == 422
    data = response.json()
    assert set(data) >= ENVELOPE and data["error"] == code and data["details"]
    assert data["request_id"] == response["X-Request-ID"]
    assert not License.objects.exists()


@pytest.mark.parametrize("raw", ["{not json", "[1, 2]", '"text"', "\xff"])
def test_malformed_json_gets_a_400_in_the_envelope(api, product, raw):
    response = api.post("/licenses/validate", raw=raw)
    assert response.status_code == 400
    assert response.json()["error"] == "INVALID_REQUEST"


# --- activate ---------------------------------------------------------------------------


def test_activation_creates_a_paid_license(api, product):
    code = _codes(product)[0]
    response = api.post(
        "/licenses/activate",
        {"machine_id": MACHINE, "activation_code": code.lower().replace("-", ""), "email": "buyer@example.com"},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["license_type"] == "annual" and body["days_remaining"] == 365
    assert ActivationCode.objects.get(code=code).used_by.machine_id == MACHINE


def test_activation_upgrades_a_trial(api, product):
    api.trial()
    code = _codes(product, "monthly", 30)[0]
    body = api.post(
        "/licenses/activate", {"machine_id": MACHINE, "activation_code": code, "email": "client@example.com"}
    ).json()
    assert body["license_type"] == "monthly" and body["days_remaining"] == 30
    assert License.objects.count() == 1


def test_activation_on_a_paid_license_adds_after_current_expiry(api, product):
    first, second = _codes(product, count=2)
    license_activate(machine_id=MACHINE, activation_code=first, email="a@example.com")
    body = api.post(
        "/licenses/activate", {"machine_id": MACHINE, "activation_code": second, "email": "a@example.com"}
    ).json()
    assert body["days_remaining"] == 730


def test_lifetime_code_has_no_expiry(api, product):
    code = _codes(product, "lifetime", None)[0]
    body = api.post(
        "/licenses/activate", {"machine_id": MACHINE, "activation_code": code, "email": "a@example.com"}
    ).json()
    assert body["license_type"] == "lifetime" and body["expires_at"] is None and body["days_remaining"] is None


@pytest.mark.parametrize("state", ["unknown", "used", "expired", "malformed"])
def test_unknown_used_or_expired_code_is_a_404(api, product, state):
    code = _codes(product)[0]
    if state == "used":
        license_activate(machine_id=OTHER_MACHINE, activation_code=code, email="a@example.com")
    elif state == "expired":
        ActivationCode.objects.filter(code=code).update(expires_at=timezone.now() - timedelta(minutes=1))
    elif state == "unknown":
        code = "ABCD-EFGH-JKMN-PQRS"
    else:
        code = "hello"
    response = api.post(
        "/licenses/activate", {"machine_id": MACHINE, "activation_code": code, "email": "a@example.com"}
    )
    assert response.status_code == 404 and response.json()["error"] == "INVALID_ACTIVATION_CODE"


def test_activation_on_a_revoked_license_is_refused_and_keeps_the_code(api, product):
    api.trial()
    license_revoke(license=License.objects.get(), reason="fraud")
    code = _codes(product)[0]
    response = api.post(
        "/licenses/activate", {"machine_id": MACHINE, "activation_code": code, "email": "a@example.com"}
    )
    assert response.status_code == 403 and response.json()["error"] == "LICENSE_REVOKED"
    assert ActivationCode.objects.get(code=code).used_at is None


@pytest.mark.django_db(transaction=True)
def test_two_machines_using_one_code_at_the_same_moment_exactly_one_wins(product):
    from licenses.errors import LicenseError

    code = _codes(product)[0]
    outcomes = run_at_once(
        *[
            lambda machine=machine: license_activate(machine_id=machine, activation_code=code, email="a@example.com")
            for machine in (MACHINE, OTHER_MACHINE)
        ]
    )
    results = [o.code if isinstance(o, LicenseError) else "won" for o in outcomes]
    assert sorted(results) == ["INVALID_ACTIVATION_CODE", "won"]
    assert License.objects.count() == 1


# --- validate --------------------------------------------------------------------------


def _trial_key(api):
    return api.trial().json()["license_key"]


def test_valid_license_validates(api, product):
    key = _trial_key(api)
    response = api.post("/licenses/validate", {"machine_id": MACHINE, "license_key": key})
    assert response.status_code == 200
    body = response.json()
    assert body["valid"] is True and body["success"] is True and body["license_type"] == "trial"
    assert body["days_remaining"] == 30 and body["is_active"] is True
    assert body["customer_email"] == "client@example.com" and body["license_key"] == key and body["expires_at"]
    assert License.objects.get().last_validated_at


def test_expired_license_says_when_and_where_to_renew(api, product):
    key = _trial_key(api)
    License.objects.update(expires_at=timezone.now() - timedelta(days=2))
    body = api.post("/licenses/validate", {"machine_id": MACHINE, "license_key": key}).json()
    assert body["valid"] is False and body["error"] == "LICENSE_EXPIRED"
    assert body["expired_at"] and body["renewal_url"] == "https://easyfacture.com/renew"


def test_revoked_license_is_invalid(api, product):
    key = _trial_key(api)
    license_revoke(license=License.objects.get(), reason="chargeback")
    body = api.post("/licenses/validate", {"machine_id": MACHINE, "license_key": key}).json()
    assert body["valid"] is False and body["error"] == "LICENSE_REVOKED"


def test_key_used_on_another_machine_is_a_mismatch(api, product):
    key = _trial_key(api)
    body = api.post("/licenses/validate", {"machine_id": OTHER_MACHINE, "license_key": key}).json()
    assert body["valid"] is False and body["error"] == "MACHINE_MISMATCH"


def test_a_key_we_never_issued_is_not_found(api, product):
    key = _trial_key(api)
    License.objects.all().delete()
    for candidate in [key, "EF1.abc.def", "garbage", ""]:
        response = api.post("/licenses/validate", {"machine_id": MACHINE, "license_key": candidate})
        assert response.status_code == 404 and response.json()["error"] == "LICENSE_NOT_FOUND", candidate


def test_changing_any_byte_of_a_key_makes_it_fail(api, product):
    key = _trial_key(api)
    for i, char in enumerate(key):
        replacement = "A" if char != "A" else "B"
        tampered = key[:i] + replacement + key[i + 1 :]
        with pytest.raises(signing.InvalidLicenseKey):
            signing.verify(tampered)
    tampered = key[:20] + ("x" if key[20] != "x" else "y") + key[21:]
    assert api.post("/licenses/validate", {"machine_id": MACHINE, "license_key": tampered}).status_code == 404


def test_validate_runs_two_queries_and_logs_the_validation(api, product, django_assert_num_queries):
    key = _trial_key(api)
    with django_assert_num_queries(2):
        response = api.post(
            "/licenses/validate", {"machine_id": MACHINE, "license_key": key}, HTTP_USER_AGENT="EasyFacture/1.6.0"
        )
    assert response.json()["valid"] is True
    event = LicenseEvent.objects.get(action="validated")
    assert event.ip_address == "10.0.0.1" and event.user_agent == "EasyFacture/1.6.0" and event.details == {}
    assert License.objects.get().last_validated_at == event.created_at


def test_rotated_keys_stay_verifiable_by_key_id(api, product, settings):
    old_key = _trial_key(api)
    old_kid = signing.keyring().signing_key_id
    old_public = signing.keyring().public_key_b64(old_kid)
    settings.LICENSE_SIGNING_KEYS = signing.generate_key_entry("k2026b")
    settings.LICENSE_VERIFY_KEYS = f"{old_kid}:{old_public}"
    signing.keyring.cache_clear()
    assert api.post("/licenses/validate", {"machine_id": MACHINE, "license_key": old_key}).json()["valid"] is True
    new = api.trial(machine=OTHER_MACHINE, email="b@example.com").json()["license_key"]
    assert signing.verify(new)["kid"] == "k2026b"
    public = api.get("/licenses/public-key").json()
    assert public["key_id"] == "k2026b" and {k["key_id"] for k in public["keys"]} == {"k2026b", old_kid}
    # Dropping the old key entirely makes its keys unverifiable.
    settings.LICENSE_VERIFY_KEYS = ""
    signing.keyring.cache_clear()
    assert api.post("/licenses/validate", {"machine_id": MACHINE, "license_key": old_key}).status_code == 404


def test_public_key_verifies_issued_keys_offline(api, product):
    import base64

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    key = _trial_key(api)
    body = api.get("/licenses/public-key").json()
    assert body["algorithm"] == "Ed25519" and body["key_id"]
    public = Ed25519PublicKey.from_public_bytes(base64.b64decode(body["public_key"]))
    signed, _, signature = key.rpartition(".")
    public.verify(signing.b64url_decode(signature), signed.encode())
    payload = json.loads(signing.b64url_decode(signed.split(".")[1]))
    assert {"lid", "mid", "prd", "typ", "iat", "exp", "kid"} <= set(payload)


# --- heartbeat ----------------------------------------------------------------------------


def test_heartbeat_is_recorded_once_a_day_per_machine(api, product):
    key = _trial_key(api)
    body = {"machine_id": MACHINE, "license_key": key, "app_version": "1.6.1", "os_info": "Windows 11 Pro"}
    response = api.post("/licenses/heartbeat", body)
    assert response.status_code == 200
    assert set(response.json()) == {"success", "message", "last_check"}
    lic = License.objects.get()
    assert lic.last_heartbeat_at and lic.app_version == "1.6.1" and lic.os_info == "Windows 11 Pro"
    again = api.post("/licenses/heartbeat", body, ip="10.9.9.9")  # another IP, same machine
    assert again.status_code == 429 and again.json()["error"] == "RATE_LIMIT_EXCEEDED"
    # The rest of the machine's day-long window: django-ratelimit shifts each key's window
    # by a jitter of its own, so how much is left depends on the time of day the test runs.
    assert 0 < int(again["Retry-After"]) <= 24 * 3600


def test_heartbeat_with_a_key_from_another_machine_is_refused(api, product):
    key = _trial_key(api)
    response = api.post("/licenses/heartbeat", {"machine_id": OTHER_MACHINE, "license_key": key})
    assert response.status_code == 403 and response.json()["error"] == "MACHINE_MISMATCH"


@pytest.mark.parametrize(
    "method,path,status,code",
    [
        ("get", "/api/v1/licenses/trial", 405, "METHOD_NOT_ALLOWED"),
        ("put", "/api/v1/licenses/validate", 405, "METHOD_NOT_ALLOWED"),
        ("get", "/api/v1/nope", 404, "NOT_FOUND"),
    ],
)
def test_unknown_routes_and_wrong_methods_answer_in_the_envelope(client, method, path, status, code):
    response = getattr(client, method)(path)
    assert response.status_code == status and response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) >= ENVELOPE and body["error"] == code and body["request_id"] == response["X-Request-ID"]

import uuid
from datetime import timedelta

import jwt
import pytest
from django.utils import timezone

from accounts import tokens as staff_tokens
from licenses.models import ActivationCode, License, LicenseEvent, WebhookDelivery, WebhookEndpoint

from .conftest import MACHINE, OTHER_MACHINE
from .factories import StaffFactory

pytestmark = pytest.mark.django_db


ALL_API_PERMISSIONS = [
    "view_license",
    "revoke_license",
    "reinstate_license",
    "generate_activation_codes",
    "view_license_stats",
]


@pytest.fixture
def manager():
    return StaffFactory(username="ops", permissions=ALL_API_PERMISSIONS)


def token_for(api, user) -> str:
    response = api.post("/admin/token", {"username": user.username, "password": "pw-staff-12345"})
    assert response.status_code == 200, response.json()
    return response.json()["access_token"]


@pytest.fixture
def tokens(api, manager):
    response = api.post("/admin/token", {"username": "ops", "password": "pw-staff-12345"})
    assert response.status_code == 200
    return response.json()


def test_token_pair_is_issued_to_a_license_manager(tokens):
    assert tokens["token_type"] == "bearer" and tokens["expires_in"] == 3600
    assert tokens["access_token"] and tokens["refresh_token"]


def test_wrong_password_or_missing_permission_gets_no_token(api, manager, django_user_model):
    assert api.post("/admin/token", {"username": "ops", "password": "nope"}).status_code == 401
    StaffFactory(username="staff2", permissions=["change_license", "extend_license"])  # no API permission
    response = api.post("/admin/token", {"username": "staff2", "password": "pw-staff-12345"})
    assert response.status_code == 401 and response.json()["error"] == "INVALID_CREDENTIALS"


def test_refresh_token_gives_a_new_access_token(api, tokens):
    response = api.post("/admin/token/refresh", {"refresh_token": tokens["refresh_token"]})
    assert response.status_code == 200
    assert api.get("/admin/licenses", token=response.json()["access_token"]).status_code == 200


def test_refresh_token_is_not_an_access_token(api, tokens):
    response = api.get("/admin/licenses", token=tokens["refresh_token"])
    assert response.status_code == 401 and response.json()["error"] == "INVALID_TOKEN"
    assert api.post("/admin/token/refresh", {"refresh_token": tokens["access_token"]}).status_code == 401


def test_expired_token_is_refused(api, manager):
    now = timezone.now()
    token = staff_tokens.encode(
        user=manager,
        typ=staff_tokens.ACCESS,
        jti=uuid.uuid4(),
        family=uuid.uuid4(),
        issued_at=now - timedelta(hours=1),
        expires_at=now - timedelta(seconds=1),
    )
    response = api.get("/admin/licenses", token=token)
    assert response.status_code == 401 and response.json()["error"] == "TOKEN_EXPIRED"


def test_forged_token_is_refused(api, tokens):
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    forged = jwt.encode(claims, "not-the-server-secret-but-long-enough-for-hs256", "HS256")
    response = api.get("/admin/licenses", token=forged)
    assert response.status_code == 401 and response.json()["error"] == "INVALID_TOKEN"
    unsigned = jwt.encode(claims, None, "none")
    assert api.get("/admin/licenses", token=unsigned).status_code == 401


def test_missing_token_is_a_401_in_the_envelope(api):
    for response in [api.get("/admin/licenses"), api.get("/admin/stats"), api.delete(f"/admin/licenses/{MACHINE}")]:
        assert response.status_code == 401
        assert {"success", "error", "message", "details", "timestamp", "request_id"} <= set(response.json())


def test_permission_removed_cuts_access_at_once(api, tokens, manager):
    manager.user_permissions.clear()
    assert api.get("/admin/licenses", token=tokens["access_token"]).status_code == 401


def test_revoke_and_reinstate_a_machine(api, product, tokens):
    key = api.trial().json()["license_key"]
    token = tokens["access_token"]
    response = api.client.delete(
        f"/api/v1/admin/licenses/{MACHINE}?reason=chargeback", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert response.status_code == 200 and response.json()["success"] is True
    lic = License.objects.get()
    assert lic.is_revoked and lic.revoked_reason == "chargeback"
    assert api.post("/licenses/validate", {"machine_id": MACHINE, "license_key": key}).json()["error"] == (
        "LICENSE_REVOKED"
    )
    assert api.post(f"/admin/licenses/{MACHINE}/reinstate", token=token).status_code == 200
    assert api.post("/licenses/validate", {"machine_id": MACHINE, "license_key": key}).json()["valid"] is True


def test_revoking_an_unknown_machine_is_a_404(api, tokens):
    assert api.delete(f"/admin/licenses/{OTHER_MACHINE}", token=tokens["access_token"]).status_code == 404
    assert api.delete("/admin/licenses/zzz", token=tokens["access_token"]).status_code == 422


def test_list_filters_and_paginates(api, product, tokens):
    for i in range(5):
        api.trial(machine=f"{i:032x}", email=f"u{i}@example.com", ip=f"10.0.1.{i}")
    License.objects.filter(machine_id=f"{0:032x}").update(expires_at=timezone.now() - timedelta(days=1))
    token = tokens["access_token"]
    page = api.get("/admin/licenses", token=token, page=2, page_size=2).json()
    assert page["total"] == 5 and page["pages"] == 3 and len(page["items"]) == 2
    assert api.get("/admin/licenses", token=token, status="expired").json()["total"] == 1
    assert api.get("/admin/licenses", token=token, status="active", type="trial").json()["total"] == 4
    assert api.get("/admin/licenses", token=token, email="U3@example.com").json()["items"][0]["email"] == (
        "u3@example.com"
    )
    assert api.get("/admin/licenses", token=token, product="other").json()["total"] == 0
    assert api.get("/admin/licenses", token=token, status="bogus").status_code == 422


def test_the_license_json_is_the_same_in_the_admin_list_and_in_webhooks(api, product, tokens):
    WebhookEndpoint.objects.create(url="https://hooks.example.com/ef", secret="s", events=["license.created"])
    api.trial()

    [item] = api.get("/admin/licenses", token=tokens["access_token"]).json()["items"]

    [delivery] = WebhookDelivery.objects.filter(event="license.created")
    assert delivery.payload["data"] == item
    assert item["machine_id"] == MACHINE and item["product"] == "easyfacture" and item["is_revoked"] is False
    assert item["expires_at"].endswith("Z") and item["days_remaining"] == 30


def test_activation_codes_are_generated(api, product, tokens):
    body = {"license_type": "annual", "duration_days": 365, "count": 5, "notes": "salon"}
    response = api.post("/admin/activation-codes", body, token=tokens["access_token"])
    assert response.status_code == 201
    codes = response.json()["codes"]
    assert list(response.json()) == ["codes"] and len(set(codes)) == 5
    assert all(len(c) == 19 and c.count("-") == 3 for c in codes)
    assert ActivationCode.objects.filter(code__in=codes, notes="salon", created_by__username="ops").count() == 5
    bad = api.post("/admin/activation-codes", {"license_type": "annual", "count": 1}, token=tokens["access_token"])
    assert bad.status_code == 422


def test_stats_are_reported(api, product, tokens):
    api.trial()
    response = api.get("/admin/stats", token=tokens["access_token"])
    assert response.status_code == 200 and response.json()["success"] is True


def test_revocation_by_the_staff_api_records_who_did_it(api, product, tokens, manager):
    # the bearer token sets the user, without any session cookie
    api.trial()
    response = api.client.delete(
        f"/api/v1/admin/licenses/{MACHINE}?reason=chargeback", HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}"
    )
    assert response.status_code == 200
    assert LicenseEvent.objects.get(action=LicenseEvent.Action.REVOKED).actor == manager

"""The platform's staff API token: issued at /api/v1/admin/token, rotated at each
refresh, revocable, refused at once after a password change, a deactivation or the
loss of every API permission."""

import time
import uuid
from datetime import timedelta

import jwt
import pytest
from django.apps import apps
from django.contrib.auth.models import Permission
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.utils import timezone

from accounts import services, tokens
from accounts.models import StaffRefreshToken
from accounts.permissions import api_permissions, require_permission
from accounts.tasks import purge_expired_refresh_tokens
from tests.concurrency import run_at_once
from tests.licenses.conftest import Api

from .conftest import PASSWORD, login

pytestmark = pytest.mark.django_db


def refresh(api, pair):
    return api.post("/admin/token/refresh", {"refresh_token": pair["refresh_token"]})


def licenses_list(api, pair):
    return api.get("/admin/licenses", token=pair["access_token"])


def session_of(pair) -> uuid.UUID:
    return uuid.UUID(jwt.decode(pair["refresh_token"], options={"verify_signature": False})["fam"])


def never_stored_refresh_token(user) -> str:
    """A refresh token signed with the server's secret but never issued."""
    now = timezone.now()
    return tokens.encode(
        user=user,
        typ=tokens.REFRESH,
        jti=uuid.uuid4(),
        family=uuid.uuid4(),
        issued_at=now,
        expires_at=now + timedelta(days=1),
    )


def assert_invalid_token(response):
    assert response.status_code == 401, response.json()
    assert response.json()["error"] == "INVALID_TOKEN"


@pytest.fixture
def other_api_permission(monkeypatch):
    """Another app's API checks `tracking.view_trackeditem` (as leads or support will)."""
    monkeypatch.setattr(
        apps.get_app_config("tracking"), "api_permissions", ["tracking.view_trackeditem"], raising=False
    )
    api_permissions.cache_clear()  # read once per process; this test changes the registry
    yield Permission.objects.get(codename="view_trackeditem")
    monkeypatch.undo()
    api_permissions.cache_clear()


# --- issuing -----------------------------------------------------------------------


def test_staff_without_any_api_permission_cannot_get_a_token(api, manager, django_user_model):
    django_user_model.objects.create_user(username="staff2", password=PASSWORD, is_staff=True)
    not_staff = django_user_model.objects.create_user(username="notstaff", password=PASSWORD)
    not_staff.user_permissions.add(Permission.objects.get(codename="view_license"))
    manager.is_active = False
    manager.save()

    for username in ("staff2", "notstaff", "ops"):
        response = api.post("/admin/token", {"username": username, "password": PASSWORD})
        assert response.status_code == 401 and response.json()["error"] == "INVALID_CREDENTIALS"
    assert not StaffRefreshToken.objects.exists()


def test_any_api_permission_gets_a_token_but_each_api_checks_its_own(api, django_user_model, other_api_permission):
    user = django_user_model.objects.create_user(username="agent", password=PASSWORD, is_staff=True)
    user.user_permissions.add(other_api_permission)

    pair = login(api, username="agent")

    response = licenses_list(api, pair)
    assert response.status_code == 403
    assert response.json()["error"] == "FORBIDDEN"
    assert response.json()["details"] == {"permission": "licenses.view_license"}


def test_an_api_checking_an_undeclared_permission_is_a_configuration_error(manager):
    with pytest.raises(ImproperlyConfigured):
        require_permission(manager, "licenses.not_declared_anywhere")


# --- rotation and reuse ------------------------------------------------------------


def test_refresh_returns_a_new_pair_and_spends_the_refresh_token(api, tokens):
    response = refresh(api, tokens)

    assert response.status_code == 200
    pair = response.json()
    assert set(pair) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert pair["token_type"] == "bearer" and pair["expires_in"] == 3600
    assert pair["refresh_token"] != tokens["refresh_token"]
    assert licenses_list(api, pair).status_code == 200
    spent, current = StaffRefreshToken.objects.order_by("issued_at")
    assert spent.used_at is not None and current.used_at is None
    assert spent.family == current.family and current.revoked_at is None


def test_a_spent_refresh_token_used_again_revokes_its_whole_session(api, tokens):
    other_session = login(api)
    rotated = refresh(api, tokens).json()

    assert_invalid_token(refresh(api, tokens))

    # The pair obtained with the token is refused too: the thief and the owner both
    # have to log in again.
    assert_invalid_token(refresh(api, rotated))
    assert_invalid_token(licenses_list(api, rotated))
    family = StaffRefreshToken.objects.filter(family=session_of(tokens))
    assert family.count() == 2
    assert set(family.values_list("revoked_reason", flat=True)) == {"reuse"}
    # The user's other sessions are not affected.
    assert refresh(api, other_session).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_refreshes_with_one_token_cannot_both_succeed(manager, monkeypatch):
    pair = login(Api(Client()))
    # Widen the race: the winner holds the claimed row for a while before it commits,
    # so the other request is certainly running meanwhile.
    issue = services._issue

    def slow_issue(**kwargs):
        time.sleep(0.3)
        return issue(**kwargs)

    monkeypatch.setattr(services, "_issue", slow_issue)

    def use_refresh_token(ip: str) -> tuple[int, dict]:
        response = Api(Client()).post("/admin/token/refresh", {"refresh_token": pair["refresh_token"]}, ip=ip)
        return response.status_code, response.json()

    results = run_at_once(*[lambda ip=ip: use_refresh_token(ip) for ip in ("10.0.0.1", "10.0.0.2")])

    assert sorted(status for status, _ in results) == [200, 401]
    [winner] = [body for status, body in results if status == 200]
    [loser] = [body for status, body in results if status == 401]
    assert loser["error"] == "INVALID_TOKEN"
    # The second use is a replay: the session is revoked, the winner's new pair with it.
    assert_invalid_token(refresh(Api(Client()), winner))
    assert not StaffRefreshToken.objects.filter(revoked_at__isnull=True).exists()


# --- revocation --------------------------------------------------------------------


def test_revoke_logs_the_session_out_and_answers_the_same_when_repeated(api, tokens):
    other_session = login(api)

    response = api.post("/admin/token/revoke", {"refresh_token": tokens["refresh_token"]})

    assert response.status_code == 200
    assert response.json()["success"] is True and response.json()["message"]
    assert_invalid_token(refresh(api, tokens))
    assert_invalid_token(licenses_list(api, tokens))
    again = api.post("/admin/token/revoke", {"refresh_token": tokens["refresh_token"]})
    assert again.status_code == 200 and again.json()["success"] is True
    assert set(StaffRefreshToken.objects.filter(revoked_at__isnull=False).values_list("revoked_reason", flat=True)) == {
        "logout"
    }
    assert licenses_list(api, other_session).status_code == 200


def test_revoke_refuses_forged_unknown_and_access_tokens(api, tokens, manager):
    claims = jwt.decode(tokens["refresh_token"], options={"verify_signature": False})
    forged = jwt.encode(claims, "not-the-server-secret-but-long-enough-for-hs256", "HS256")
    never_issued = never_stored_refresh_token(manager)

    for token in (forged, never_issued, tokens["access_token"], "not-a-jwt"):
        assert_invalid_token(api.post("/admin/token/revoke", {"refresh_token": token}))
    assert not StaffRefreshToken.objects.filter(revoked_at__isnull=False).exists()


def test_changing_the_password_refuses_every_token_issued_before(api, tokens, manager):
    manager.set_password("a-new-password-67890")
    manager.save()

    assert_invalid_token(licenses_list(api, tokens))
    assert_invalid_token(refresh(api, tokens))
    assert StaffRefreshToken.objects.get().revoked_reason == "password_changed"
    assert licenses_list(api, login(api, password="a-new-password-67890")).status_code == 200


def test_deactivating_the_user_revokes_every_session_for_good(api, tokens, manager):
    other_session = login(api)

    manager.is_active = False
    manager.save()

    assert_invalid_token(licenses_list(api, tokens))
    assert set(StaffRefreshToken.objects.values_list("revoked_reason", flat=True)) == {"deactivated"}
    # Reactivating the account does not bring the old sessions back.
    manager.is_active = True
    manager.save()
    for pair in (tokens, other_session):
        assert_invalid_token(refresh(api, pair))
        assert_invalid_token(licenses_list(api, pair))
    assert licenses_list(api, login(api)).status_code == 200


def test_removing_every_api_permission_refuses_the_tokens_at_once(api, tokens, manager):
    manager.user_permissions.clear()

    assert_invalid_token(licenses_list(api, tokens))
    assert_invalid_token(refresh(api, tokens))


def test_removing_staff_status_refuses_the_tokens_at_once(api, tokens, manager):
    manager.is_staff = False
    manager.save()

    assert_invalid_token(licenses_list(api, tokens))


def test_removing_one_api_permission_keeps_the_token_but_answers_403(api, manager, other_api_permission):
    manager.user_permissions.add(other_api_permission)
    pair = login(api)

    manager.user_permissions.remove(Permission.objects.get(codename="view_license"))

    response = licenses_list(api, pair)
    assert response.status_code == 403 and response.json()["error"] == "FORBIDDEN"
    assert refresh(api, pair).status_code == 200


# --- purge -------------------------------------------------------------------------


def test_expired_refresh_tokens_are_purged_by_the_daily_job(tokens, manager, settings):
    now = timezone.now()
    StaffRefreshToken.objects.create(
        jti=uuid.uuid4(),
        family=uuid.uuid4(),
        user=manager,
        issued_at=now - timedelta(days=8),
        expires_at=now - timedelta(days=1),
    )

    assert purge_expired_refresh_tokens.delay().get() == 1

    assert StaffRefreshToken.objects.count() == 1 and StaffRefreshToken.objects.get().expires_at > now
    assert purge_expired_refresh_tokens.delay().get() == 0
    assert "accounts.purge_expired_refresh_tokens" in {job["task"] for job in settings.CELERY_BEAT_SCHEDULE.values()}


def test_staff_sessions_are_listed_read_only_in_admin(staff_client, tokens):
    response = staff_client.get("/admin/accounts/staffrefreshtoken/")

    assert response.status_code == 200
    assert b"ops" in response.content
    row = StaffRefreshToken.objects.get()
    assert staff_client.post(f"/admin/accounts/staffrefreshtoken/{row.pk}/delete/").status_code == 403


def test_a_password_change_revokes_the_stored_sessions_at_once(api, tokens, manager):
    # given a live session, when the password changes (any door: here the model API)
    manager.set_password("a-new-password-67890")
    manager.save()
    # then the session row says so before any token is presented again
    session = StaffRefreshToken.objects.get()
    assert session.revoked_at is not None and session.revoked_reason == "password_changed"

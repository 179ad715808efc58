"""One permission per action, whatever the door: the Django admin and the admin API ask
for the same permission for the same action."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from licenses.models import ActivationCode, License

from .conftest import Api
from .factories import LicenseFactory, StaffFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:licenses_license_changelist")
GENERATE = reverse("admin:licenses_activationcode_generate")
ACTIONS = {
    "view_license",
    "revoke_license",
    "reinstate_license",
    "extend_license",
    "generate_activation_codes",
    "view_license_stats",
}
CODES = {"license_type": "annual", "duration_days": 365, "count": 1}


def admin_action(client, action, *licenses, **extra):
    data = {"action": action, ACTION_CHECKBOX_NAME: [lic.pk for lic in licenses], **extra}
    return client.post(CHANGELIST, data)


def api_token(api, user) -> str:
    response = api.post("/admin/token", {"username": user.username, "password": "pw-staff-12345"})
    assert response.status_code == 200, response.json()
    return response.json()["access_token"]


def assert_forbidden(response, permission):
    assert response.status_code == 403
    body = response.json()
    assert (body["success"], body["error"]) == (False, "FORBIDDEN")
    assert body["details"] == {"permission": permission}


# --- only revoke ---------------------------------------------------------------------


def test_a_staff_user_who_may_only_revoke_can_revoke_in_the_admin(client, product):
    client.force_login(StaffFactory(permissions=["revoke_license"]))
    lic = LicenseFactory(product=product)

    changelist = client.get(CHANGELIST)
    response = admin_action(client, "revoke_selected", lic, post="yes", reason="Remboursement")

    assert changelist.status_code == 200
    offered = {name for name, _label in changelist.context["action_form"].fields["action"].choices}
    assert offered == {"", "revoke_selected"}
    assert response.status_code == 302
    lic.refresh_from_db()
    assert lic.is_revoked and lic.revoked_reason == "Remboursement"


def test_a_staff_user_who_may_only_revoke_can_revoke_through_the_api(client, product):
    api = Api(client)
    key = api.trial().json()["license_key"]
    token = api_token(api, StaffFactory(permissions=["revoke_license"]))

    response = api.delete(f"/admin/licenses/{License.objects.get().machine_id}", token=token)

    assert response.status_code == 200 and response.json()["revoked"] == 1
    machine = License.objects.get().machine_id
    assert api.post("/licenses/validate", {"machine_id": machine, "license_key": key}).json()["error"] == (
        "LICENSE_REVOKED"
    )


def test_a_staff_user_who_may_only_revoke_cannot_generate_codes_in_either_door(client, product):
    user = StaffFactory(permissions=["revoke_license"])
    api = Api(client)
    token = api_token(api, user)
    client.force_login(user)

    in_admin = client.post(GENERATE, {"product": product.pk, **CODES})
    in_api = api.post("/admin/activation-codes", CODES, token=token)

    assert in_admin.status_code == 403
    assert_forbidden(in_api, "licenses.generate_activation_codes")
    assert not ActivationCode.objects.exists()


def test_a_staff_user_who_may_only_revoke_cannot_list_reinstate_or_see_stats_through_the_api(client, product):
    api = Api(client)
    api.trial()
    token = api_token(api, StaffFactory(permissions=["revoke_license"]))
    machine = License.objects.get().machine_id

    assert_forbidden(api.get("/admin/licenses", token=token), "licenses.view_license")
    assert_forbidden(api.post(f"/admin/licenses/{machine}/reinstate", token=token), "licenses.reinstate_license")
    assert_forbidden(api.get("/admin/stats", token=token), "licenses.view_license_stats")


# --- without revoke ------------------------------------------------------------------


@pytest.mark.parametrize("others", [["reinstate_license"], ["change_license", "extend_license"]])
def test_a_staff_user_without_the_revoke_permission_is_refused_in_the_admin_and_the_api(client, product, others):
    user = StaffFactory(permissions=["view_license", *others])
    api = Api(client)
    api.trial()
    lic = License.objects.get()
    token = api_token(api, user) if "reinstate_license" in others else None
    client.force_login(user)

    in_admin = admin_action(client, "revoke_selected", lic, post="yes", reason="Fraude")

    assert in_admin.status_code == 403
    if token:
        assert_forbidden(api.delete(f"/admin/licenses/{lic.machine_id}", token=token), "licenses.revoke_license")
    lic.refresh_from_db()
    assert not lic.is_revoked


def test_changing_a_license_no_longer_allows_extending_it(client, product):
    client.force_login(StaffFactory(permissions=["change_license"]))
    lic = LicenseFactory(product=product)
    before = lic.expires_at

    assert admin_action(client, "extend_30_days", lic).status_code == 403

    lic.refresh_from_db()
    assert lic.expires_at == before


def test_the_code_generation_page_needs_the_same_permission_as_the_api(client, product):
    client.force_login(StaffFactory(permissions=["generate_activation_codes"]))

    page = client.get(reverse("admin:licenses_activationcode_changelist"))
    response = client.post(GENERATE, {"product": product.pk, **CODES})

    assert page.status_code == 200 and GENERATE in page.content.decode()
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert ActivationCode.objects.count() == 1


def test_the_statistics_need_the_same_permission_on_the_page_and_in_the_api(client, product):
    user = StaffFactory(permissions=["view_license_stats"])
    api = Api(client)
    token = api_token(api, user)
    client.force_login(user)

    assert client.get(reverse("licenses:stats")).status_code == 200
    assert api.get("/admin/stats", token=token).status_code == 200


# --- upgrade -------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_nobody_loses_a_right_at_the_upgrade_to_per_action_permissions(django_user_model):
    executor = MigrationExecutor(connection)
    executor.migrate([("licenses", "0005_webhook_delivery_no_response_body")])
    content_type = ContentType.objects.get(app_label="licenses", model="license")
    manage = Permission.objects.create(content_type=content_type, codename="manage_licenses", name="Peut gérer")
    api_user = django_user_model.objects.create_user(username="ops", password="pw", is_staff=True)
    api_user.user_permissions.add(manage)
    desk = Group.objects.create(name="Support")
    desk.permissions.add(Permission.objects.get(codename="change_license"))
    clerk = django_user_model.objects.create_user(username="clerk", password="pw", is_staff=True)
    clerk.groups.add(desk)
    seller = django_user_model.objects.create_user(username="seller", password="pw", is_staff=True)
    seller.user_permissions.add(Permission.objects.get(codename="add_activationcode"))

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    def rights(user):
        user = django_user_model.objects.get(pk=user.pk)
        return {p.split(".")[1] for p in user.get_all_permissions() if p.split(".")[1] in ACTIONS}

    assert rights(api_user) == {
        "view_license",
        "revoke_license",
        "reinstate_license",
        "generate_activation_codes",
        "view_license_stats",
    }
    assert rights(clerk) == {"revoke_license", "reinstate_license", "extend_license"}
    assert rights(seller) == {"generate_activation_codes"}
    assert not Permission.objects.filter(codename="manage_licenses").exists()

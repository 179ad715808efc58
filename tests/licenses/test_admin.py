import csv
import io
import re
from datetime import timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils import timezone

from core.origin import SYSTEM
from licenses.models import ActivationCode, License, LicenseEvent
from licenses.services import activation_codes_generate, license_validate

from .factories import LicenseFactory

pytestmark = pytest.mark.django_db

CODE_FORMAT = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$")
CHANGELIST = "admin:licenses_license_changelist"


def run_action(client, action, *objects, url=CHANGELIST, **extra):
    data = {"action": action, ACTION_CHECKBOX_NAME: [o.pk for o in objects], "index": 0, **extra}
    data = {key: value for key, value in data.items() if value is not None}
    return client.post(reverse(url), data, REMOTE_ADDR="192.0.2.10", HTTP_USER_AGENT="pytest-admin")


def read_csv(response):
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment;")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


# --- licenses ----------------------------------------------------------------------


def test_license_changelist_lists_licenses_with_their_status(staff_client, product):
    LicenseFactory(n=1)
    LicenseFactory(n=2, revoked=True)
    LicenseFactory(n=3, expires_at=timezone.now() - timedelta(days=1))
    response = staff_client.get(reverse(CHANGELIST))
    assert response.status_code == 200
    body = response.content.decode()
    assert f"{1:032x}" in body and f"{3:032x}" in body
    assert "Active" in body and "Révoquée" in body and "Expirée" in body
    assert reverse("licenses:stats") in body


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": "active"}, {1, 4}),
        ({"status": "revoked"}, {2}),
        ({"status": "expired"}, {3}),
        ({"expiry": "expired"}, {3}),
        ({"expiry": "7d"}, {2}),
        ({"expiry": "30d"}, {1, 2}),
        ({"expiry": "lifetime"}, {4}),
        ({"q": "client4@"}, {4}),
        ({"q": f"{2:032x}"}, {2}),
    ],
)
def test_license_filters_and_search_select_the_right_rows(staff_client, product, query, expected):
    now = timezone.now()
    LicenseFactory(n=1, expires_at=now + timedelta(days=20))
    LicenseFactory(n=2, expires_at=now + timedelta(days=3), revoked=True)
    LicenseFactory(n=3, expires_at=now - timedelta(days=1))
    LicenseFactory(n=4, lifetime=True)
    response = staff_client.get(reverse(CHANGELIST), query)
    assert response.status_code == 200
    shown = {int(lic.machine_id, 16) for lic in response.context["cl"].result_list}
    assert shown == expected


def test_revoke_action_asks_for_a_reason_then_revokes_and_logs(staff_client, product):
    lic = LicenseFactory()
    confirm = run_action(staff_client, "revoke_selected", lic)
    assert confirm.status_code == 200
    assert "Révoquée depuis l&#x27;admin" in confirm.content.decode()
    lic.refresh_from_db()
    assert not lic.is_revoked

    done = run_action(staff_client, "revoke_selected", lic, index=None, post="yes", reason="Remboursement")
    assert done.status_code == 302
    lic.refresh_from_db()
    assert lic.is_revoked and lic.revoked_reason == "Remboursement" and lic.revoked_at is not None
    event = LicenseEvent.objects.get(license=lic)
    assert event.action == LicenseEvent.Action.REVOKED
    assert event.actor == staff_client.user
    assert event.ip_address == "192.0.2.10" and event.user_agent == "pytest-admin"
    assert event.details == {"reason": "Remboursement"}


def test_revoke_action_with_the_default_reason(staff_client, product):
    lic = LicenseFactory()
    run_action(staff_client, "revoke_selected", lic, index=None, post="yes", reason="Révoquée depuis l'admin")
    lic.refresh_from_db()
    assert lic.is_revoked and lic.revoked_reason == "Révoquée depuis l'admin"


def test_revoke_action_without_a_reason_revokes_nothing(staff_client, product):
    lic = LicenseFactory()
    response = run_action(staff_client, "revoke_selected", lic, index=None, post="yes", reason="")
    assert response.status_code == 200 and response.context["form"].errors
    lic.refresh_from_db()
    assert not lic.is_revoked and not LicenseEvent.objects.exists()


def test_reinstate_action_lifts_the_revocation_and_logs(staff_client, product):
    lic = LicenseFactory(revoked=True)
    active = LicenseFactory()
    assert run_action(staff_client, "reinstate_selected", lic, active).status_code == 302
    lic.refresh_from_db()
    assert not lic.is_revoked and lic.revoked_reason == "" and lic.revoked_at is None
    assert list(LicenseEvent.objects.values_list("license_id", "action", "actor")) == [
        (lic.pk, "reinstated", staff_client.user.pk)
    ]


@pytest.mark.parametrize(("action", "days"), [("extend_30_days", 30), ("extend_365_days", 365)])
def test_extend_actions_push_the_expiry_and_reissue_the_key(staff_client, product, action, days):
    lic = LicenseFactory()
    before = lic.expires_at
    lifetime = LicenseFactory(lifetime=True)
    assert run_action(staff_client, action, lic, lifetime).status_code == 302
    lic.refresh_from_db()
    assert lic.expires_at == before + timedelta(days=days)
    assert lic.license_key.startswith("EF1.") and lic.license_key != "EF1.test.sig"
    assert license_validate(machine_id=lic.machine_id, license_key=lic.license_key, origin=SYSTEM).valid
    event = LicenseEvent.objects.get(license=lic, action="extended")
    assert event.details == {"days": days} and event.actor == staff_client.user
    lifetime.refresh_from_db()
    assert lifetime.expires_at is None and not lifetime.events.exists()


def test_license_cannot_be_added_or_deleted(staff_client, product):
    lic = LicenseFactory()
    assert staff_client.get(reverse("admin:licenses_license_add")).status_code == 403
    assert staff_client.get(reverse("admin:licenses_license_delete", args=[lic.pk])).status_code == 403
    assert (
        staff_client.post(reverse("admin:licenses_license_delete", args=[lic.pk]), {"post": "yes"}).status_code == 403
    )
    changelist = staff_client.get(reverse(CHANGELIST))
    assert "delete_selected" not in dict(changelist.context["action_form"].fields["action"].choices)
    run_action(staff_client, "delete_selected", lic, post="yes")
    assert License.objects.filter(pk=lic.pk).exists()


def test_license_change_page_only_edits_the_email(staff_client, product):
    lic = LicenseFactory(expires_at=timezone.now() + timedelta(days=10))
    url = reverse("admin:licenses_license_change", args=[lic.pk])
    response = staff_client.post(
        url,
        {
            "email": "new@example.com",
            "license_key": "EF1.forged.sig",
            "key_id": "evil",
            "license_type": "lifetime",
            "is_revoked": "on",
        },
    )
    assert response.status_code == 302
    lic.refresh_from_db()
    assert lic.email == "new@example.com"
    assert (lic.license_key, lic.key_id, lic.license_type, lic.is_revoked) == ("EF1.test.sig", "k1", "trial", False)


def test_license_change_page_shows_the_activity_read_only(staff_client, product):
    lic = LicenseFactory()
    LicenseEvent.objects.create(license=lic, action="heartbeat", ip_address="198.51.100.7", app_version="1.6.0")
    LicenseEvent.objects.create(license=lic, action="validated", ip_address="198.51.100.8")
    response = staff_client.get(reverse("admin:licenses_license_change", args=[lic.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "198.51.100.7" in body and "198.51.100.8" in body and "Heartbeat" in body and "Validée" in body
    assert 'name="license_key"' not in body and 'name="email"' in body


# --- activity log ------------------------------------------------------------------


def test_activity_log_is_listed_searchable_and_read_only(staff_client, product):
    lic = LicenseFactory(n=1)
    other = LicenseFactory(n=2)
    event = LicenseEvent.objects.create(license=lic, action="validated", ip_address="203.0.113.5", os_info="Win 11")
    LicenseEvent.objects.create(license=other, action="heartbeat", ip_address="203.0.113.99")
    changelist = reverse("admin:licenses_licenseevent_changelist")

    response = staff_client.get(changelist)
    assert response.status_code == 200 and len(response.context["cl"].result_list) == 2
    for term in ("203.0.113.5", "client1@", f"{1:032x}"):
        found = staff_client.get(changelist, {"q": term}).context["cl"].result_list
        assert [e.pk for e in found] == [event.pk], term
    assert [e.pk for e in staff_client.get(changelist, {"action": "validated"}).context["cl"].result_list] == [event.pk]

    change = reverse("admin:licenses_licenseevent_change", args=[event.pk])
    page = staff_client.get(change)
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert staff_client.post(change, {"action": "revoked"}).status_code == 403
    assert staff_client.get(reverse("admin:licenses_licenseevent_add")).status_code == 403
    assert staff_client.post(reverse("admin:licenses_licenseevent_delete", args=[event.pk])).status_code == 403
    event.refresh_from_db()
    assert event.action == "validated" and LicenseEvent.objects.count() == 2


# --- activation codes --------------------------------------------------------------


def test_generate_codes_page_downloads_a_csv_of_new_codes(staff_client, product):
    url = reverse("admin:licenses_activationcode_generate")
    assert staff_client.get(url).status_code == 200
    response = staff_client.post(
        url,
        {"product": product.pk, "license_type": "annual", "duration_days": 365, "count": 7, "notes": "Salon 2026"},
    )
    assert response.status_code == 200
    header, *rows = read_csv(response)
    assert header == ["code", "product", "license_type", "duration_days", "expires_at", "notes"]
    assert len(rows) == 7 and len({r[0] for r in rows}) == 7
    assert all(CODE_FORMAT.match(r[0]) for r in rows)
    assert {tuple(r[1:]) for r in rows} == {("easyfacture", "annual", "365", "", "Salon 2026")}
    saved = ActivationCode.objects.filter(code__in=[r[0] for r in rows])
    assert saved.count() == 7 == ActivationCode.objects.count()
    assert set(saved.values_list("created_by", "duration_days", "used_at")) == {(staff_client.user.pk, 365, None)}


def test_generate_lifetime_codes_with_an_expiry(staff_client, product):
    expires = (timezone.localtime() + timedelta(days=60)).replace(second=0, microsecond=0)
    response = staff_client.post(
        reverse("admin:licenses_activationcode_generate"),
        {
            "product": product.pk,
            "license_type": "lifetime",
            "duration_days": 30,
            "count": 2,
            "expires_at": expires.strftime("%Y-%m-%dT%H:%M"),
        },
    )
    _header, *rows = read_csv(response)
    assert len(rows) == 2 and all(r[3] == "" and r[4] == expires.isoformat() for r in rows)
    assert set(ActivationCode.objects.values_list("license_type", "duration_days", "expires_at")) == {
        ("lifetime", None, expires)
    }


@pytest.mark.parametrize(
    "data",
    [
        {"license_type": "monthly", "count": 5},  # no duration
        {"license_type": "monthly", "duration_days": 30, "count": 1001},
        {"license_type": "monthly", "duration_days": 30, "count": 0},
        {"license_type": "trial", "duration_days": 30, "count": 1},
        {"license_type": "monthly", "duration_days": 30, "count": 1, "expires_at": "2001-01-01T10:00"},
    ],
)
def test_generate_codes_page_refuses_invalid_requests(staff_client, product, data):
    response = staff_client.post(reverse("admin:licenses_activationcode_generate"), {"product": product.pk, **data})
    assert response.status_code == 400 and response.context["form"].errors
    assert not ActivationCode.objects.exists()


def test_code_changelist_links_to_the_generator_and_cannot_add(staff_client, product):
    response = staff_client.get(reverse("admin:licenses_activationcode_changelist"))
    assert reverse("admin:licenses_activationcode_generate") in response.content.decode()
    assert staff_client.get(reverse("admin:licenses_activationcode_add")).status_code == 403


def test_csv_action_downloads_only_the_selected_codes(staff_client, product):
    codes = activation_codes_generate(product=product, license_type="monthly", duration_days=30, count=3, notes="=1+1")
    response = run_action(staff_client, "download_csv", *codes[:2], url="admin:licenses_activationcode_changelist")
    assert response.status_code == 200
    header, *rows = read_csv(response)
    assert header[0] == "code"
    assert sorted(r[0] for r in rows) == sorted(c.code for c in codes[:2])
    # Spreadsheet formula injection is defused.
    assert {r[5] for r in rows} == {"'=1+1"}


def test_code_filters_and_search(staff_client, product):
    used, unused = activation_codes_generate(product=product, license_type="monthly", duration_days=30, count=2)
    lic = LicenseFactory()
    ActivationCode.objects.filter(pk=used.pk).update(used_at=timezone.now(), used_by=lic)
    changelist = reverse("admin:licenses_activationcode_changelist")
    assert [c.pk for c in staff_client.get(changelist, {"used": "yes"}).context["cl"].result_list] == [used.pk]
    assert [c.pk for c in staff_client.get(changelist, {"used": "no"}).context["cl"].result_list] == [unused.pk]
    sloppy = unused.code.replace("-", " ").lower()
    assert [c.pk for c in staff_client.get(changelist, {"q": sloppy}).context["cl"].result_list] == [unused.pk]


def test_used_code_cannot_be_deleted(staff_client, product):
    used, unused = activation_codes_generate(product=product, license_type="monthly", duration_days=30, count=2)
    ActivationCode.objects.filter(pk=used.pk).update(used_at=timezone.now(), used_by=LicenseFactory())
    assert staff_client.post(reverse("admin:licenses_activationcode_delete", args=[used.pk])).status_code == 403
    response = staff_client.post(reverse("admin:licenses_activationcode_delete", args=[unused.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert list(ActivationCode.objects.values_list("pk", flat=True)) == [used.pk]


# --- products and webhooks ---------------------------------------------------------


def test_other_license_admin_pages_render(staff_client, product):
    from licenses.models import WebhookDelivery, WebhookEndpoint

    endpoint = WebhookEndpoint.objects.create(url="https://hooks.example.com/ef", secret="s3cret", events=[])
    delivery = WebhookDelivery.objects.create(endpoint=endpoint, event="license.created", payload={"event": "x"})
    for url in [
        reverse("admin:app_list", args=["licenses"]),
        reverse("admin:licenses_product_changelist"),
        reverse("admin:licenses_product_change", args=[product.pk]),
        reverse("admin:licenses_webhookendpoint_changelist"),
        reverse("admin:licenses_webhookendpoint_add"),
        reverse("admin:licenses_webhookdelivery_changelist"),
        reverse("admin:licenses_webhookdelivery_change", args=[delivery.pk]),
    ]:
        assert staff_client.get(url).status_code == 200, url
    assert staff_client.get(reverse("admin:licenses_webhookdelivery_add")).status_code == 403


def test_webhook_endpoint_events_are_picked_from_the_known_events(staff_client, monkeypatch):
    import ipaddress

    from core import netguard

    # The URL is resolved when saved (only public addresses are accepted): no real DNS in tests.
    monkeypatch.setattr(netguard, "resolve", lambda host, port: [ipaddress.ip_address("93.184.215.14")])
    response = staff_client.post(
        reverse("admin:licenses_webhookendpoint_add"),
        {
            "url": "https://hooks.example.com/ef",
            "events": ["license.revoked", "license.expired"],
            "secret": "shared-secret",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    from licenses.models import WebhookEndpoint

    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.events == ["license.revoked", "license.expired"] and endpoint.secret == "shared-secret"
    assert endpoint.wants("license.revoked") and not endpoint.wants("license.created")

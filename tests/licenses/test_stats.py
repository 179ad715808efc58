import csv
import io
from datetime import datetime, time, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from licenses.models import LicenseEvent
from licenses.selectors import license_stats, license_stats_json

from .factories import LicenseFactory, ProductFactory, StaffFactory

pytestmark = pytest.mark.django_db

STATS = reverse("licenses:stats")
STATS_CSV = reverse("licenses:stats-csv")


def at(days_ago: int) -> datetime:
    """Noon, local time, `days_ago` days before today: far from day boundaries."""
    return timezone.make_aware(datetime.combine(timezone.localdate() - timedelta(days=days_ago), time(12)))


@pytest.fixture
def seeded(db):
    """Six licenses on two products; see the expected figures in each test."""
    facture = ProductFactory()
    stock = ProductFactory(slug="easystock", name="EasyStock")
    win11, win10 = "Windows 11 Pro 23H2", "Windows 10 Home"
    l1 = LicenseFactory(
        product=facture, trial_started_at=at(0), last_heartbeat_at=at(1), app_version="1.6.0", os_info=win11
    )
    # Expired trial, last seen 10 days ago: in use over 30 days, not active over 7.
    LicenseFactory(
        product=facture,
        trial_started_at=at(3),
        expires_at=timezone.now() - timedelta(days=1),
        last_heartbeat_at=at(10),
        app_version="1.5.0",
        os_info=win10,
    )
    # Trial converted to annual.
    l3 = LicenseFactory(
        product=facture,
        license_type="annual",
        trial_started_at=at(3),
        activated_at=at(2),
        expires_at=timezone.now() + timedelta(days=300),
        last_heartbeat_at=at(3),
        app_version="1.6.0",
        os_info=win11,
    )
    # Old trial converted to lifetime, not seen for 40 days.
    LicenseFactory(
        product=stock,
        license_type="lifetime",
        trial_started_at=at(40),
        expires_at=None,
        last_heartbeat_at=at(40),
        app_version="1.0.0",
        os_info="Windows 7",
    )
    # Bought without a trial, then revoked.
    LicenseFactory(product=facture, license_type="monthly", trial_started_at=None, is_revoked=True, revoked_at=at(1))
    # Same machine as l1, other product: one machine, not two.
    LicenseFactory(
        product=stock,
        machine_id=l1.machine_id,
        trial_started_at=at(5),
        last_heartbeat_at=at(2),
        app_version="1.6.0",
        os_info=win11,
    )
    for lic, days_ago in [(l1, 0), (l1, 0), (l1, 1), (l3, 29), (l3, 30), (l3, 45)]:
        LicenseEvent.objects.create(license=lic, action="validated", created_at=at(days_ago))
    LicenseEvent.objects.create(license=l1, action="heartbeat", created_at=at(0))
    LicenseEvent.objects.create(license=l1, action="trial_created", created_at=at(0))


def test_stats_figures_for_a_seeded_dataset(seeded, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        stats = license_stats()

    assert stats.total == 6
    assert {b.key: b.value for b in stats.by_type} == {"trial": 3, "monthly": 1, "annual": 1, "lifetime": 1}
    assert {b.key: b.value for b in stats.by_status} == {"active": 4, "expired": 1, "revoked": 1}
    assert [(b.key, b.value) for b in stats.by_product] == [("easyfacture", 4), ("easystock", 2)]

    today = timezone.localdate()
    trials = dict(stats.trials_per_day)
    assert len(trials) == 30 and min(trials) == today - timedelta(days=29) and max(trials) == today
    assert {day: n for day, n in trials.items() if n} == {
        today: 1,
        today - timedelta(days=3): 2,
        today - timedelta(days=5): 1,
    }

    assert (stats.trials, stats.converted, stats.conversion_rate) == (5, 2, 40.0)

    validations = dict(stats.validations_per_day)
    assert {day: n for day, n in validations.items() if n} == {
        today: 2,
        today - timedelta(days=1): 1,
        today - timedelta(days=29): 1,
    }

    assert stats.active_machines == 2
    assert [(b.key, b.value) for b in stats.app_versions] == [("1.6.0", 3), ("1.5.0", 1)]
    assert [(b.key, b.value) for b in stats.os_info] == [("Windows 11 Pro 23H2", 3), ("Windows 10 Home", 1)]


def test_stats_without_data_are_zero_and_conversion_is_undefined(db):
    stats = license_stats()
    assert stats.total == 0 and stats.trials == 0 and stats.conversion_rate is None
    assert len(stats.trials_per_day) == 30 and all(n == 0 for _day, n in stats.trials_per_day)
    assert stats.by_product == [] and stats.app_versions == []


def test_stats_json_for_the_admin_api(seeded):
    data = license_stats_json()
    assert data["total"] == 6 and data["by_type"]["trial"] == 3 and data["active_machines_7d"] == 2
    assert data["conversion"] == {"trials": 5, "converted": 2, "rate_percent": 40.0}
    assert data["app_versions_30d"] == {"1.6.0": 3, "1.5.0": 1}
    assert sum(d["count"] for d in data["validations_per_day"]) == 4


def test_stats_page_shows_the_figures_to_a_superuser(staff_client, seeded, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        response = staff_client.get(STATS)
    assert response.status_code == 200
    assert response.context["stats"].total == 6
    body = response.content.decode()
    assert "40,0 %" in body  # French number format
    assert "Windows 11 Pro 23H2" in body and "1.6.0" in body and "EasyStock" in body
    # Two server-rendered column charts of 30 days each, no chart library.
    assert body.count('class="bar"') == 60
    assert "<svg" in body and "cdn" not in body.lower()
    assert STATS_CSV in body


def test_stats_page_is_linked_from_the_licenses_admin(staff_client, seeded):
    response = staff_client.get(reverse("admin:app_list", args=["licenses"]))
    assert response.status_code == 200 and STATS in response.content.decode()


def test_staff_with_the_permission_sees_the_stats(client, django_user_model, seeded):
    client.force_login(StaffFactory(permissions=["view_license_stats"]))
    assert client.get(STATS).status_code == 200
    assert client.get(STATS_CSV).status_code == 200


def test_staff_without_the_permission_gets_a_403(client, django_user_model):
    user = django_user_model.objects.create_user(username="clerk", password="pw-clerk-12345", is_staff=True)
    client.force_login(user)
    assert client.get(STATS).status_code == 403
    assert client.get(STATS_CSV).status_code == 403


@pytest.mark.parametrize("url", [STATS, STATS_CSV])
def test_anonymous_and_non_staff_are_sent_to_the_admin_login(client, django_user_model, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login")) and "next=" in response["Location"]
    user = django_user_model.objects.create_user(username="customer", password="pw-cust-12345")
    user.user_permissions.add(Permission.objects.get(codename="view_license_stats"))
    client.force_login(user)
    assert client.get(url).status_code == 302


def test_stats_csv_export_has_the_same_figures(staff_client, seeded, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        response = staff_client.get(STATS_CSV)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="licences-statistiques-')
    header, *rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert header == ["metric", "key", "value"]
    values = {(metric, key): value for metric, key, value in rows}
    today = timezone.localdate()
    assert values[("licenses_total", "")] == "6"
    assert values[("licenses_by_type", "trial")] == "3"
    assert values[("licenses_by_type", "lifetime")] == "1"
    assert values[("licenses_by_status", "revoked")] == "1"
    assert values[("licenses_by_product", "easystock")] == "2"
    assert values[("trials_per_day", (today - timedelta(days=3)).isoformat())] == "2"
    assert values[("trials_per_day", (today - timedelta(days=1)).isoformat())] == "0"
    assert values[("trial_conversion", "trials")] == "5"
    assert values[("trial_conversion", "converted")] == "2"
    assert values[("trial_conversion", "rate_percent")] == "40.0"
    assert values[("validations_per_day", today.isoformat())] == "2"
    assert values[("active_machines_7d", "")] == "2"
    assert values[("app_versions_30d", "1.6.0")] == "3"
    assert values[("os_30d", "Windows 10 Home")] == "1"
    assert sum(1 for metric, _key, _value in rows if metric == "validations_per_day") == 30

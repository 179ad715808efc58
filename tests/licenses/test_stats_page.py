"""What staff read on the statistics page: French short dates, and "Aucune donnée"
rather than empty frames; and event details with their times in the site's time zone."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from core.templatetags.platform import short_date
from licenses.models import LicenseEvent

from .factories import LicenseFactory

pytestmark = pytest.mark.django_db

STATS = reverse("licenses:stats")


def test_short_dates_use_the_french_abbreviations():
    with translation.override("fr"):
        assert short_date(date(2024, 10, 24)) == "24\u00a0oct."
        assert short_date(date(2024, 10, 24), "weekday") == "jeu.\u00a024\u00a0oct."
        assert short_date(date(2024, 10, 24), "weekday year") == "jeu.\u00a024\u00a0oct.\u00a02024"
        assert [short_date(date(2026, month, 1)) for month in (2, 3, 6, 7, 8, 12)] == [
            "1\u00a0févr.",
            "1\u00a0mars",
            "1\u00a0juin",
            "1\u00a0juil.",
            "1\u00a0août",
            "1\u00a0déc.",
        ]
        assert short_date(None) == ""


def test_stats_without_any_data_say_so_in_every_chart_and_table(staff_client):
    body = staff_client.get(STATS).content.decode()
    # Two charts and five breakdown tables, none drawn as a frame of zeros.
    assert body.count("Aucune donnée.") == 7
    assert 'class="bar"' not in body and "max. 0" not in body
    assert "À vie" not in body  # no column of types at 0


def test_stats_chart_axis_and_figures_use_short_french_dates(staff_client):
    today = timezone.localdate()
    LicenseFactory()  # one trial today: the trials chart is drawn, validations are empty
    body = staff_client.get(STATS).content.decode()
    first, last = today - timedelta(days=29), today
    assert f"<span>{short_date(first)}</span>" in body and f"<span>{short_date(last)}</span>" in body
    assert f"<title>{short_date(today, 'weekday')}\u00a0: 1</title>" in body
    assert f"<td>{short_date(today, 'weekday year')}</td>" in body
    # Not Django's "M"/"D" ("2 Déc", "mer 2 Déc").
    assert date_format(today, "j M") not in body and date_format(today, "D j M") not in body
    # The validations chart, empty, says so; the trials chart does not.
    assert body.count("Aucune donnée.") == 1 + 2  # validations, and the two 30-day tables without heartbeats


def test_stats_page_renders_in_english(staff_client):
    LicenseFactory()
    staff_client.cookies["django_language"] = "en"
    response = staff_client.get(STATS)
    assert response.status_code == 200 and '<html lang="en"' in response.content.decode()


def test_event_details_show_times_in_the_site_time_zone(staff_client):
    lic = LicenseFactory()
    event = LicenseEvent.objects.create(
        license=lic, action=LicenseEvent.Action.EXPIRED, details={"expires_at": "2026-01-10T10:05:00+00:00"}
    )
    for url in [
        reverse("admin:licenses_license_change", args=[lic.pk]),
        reverse("admin:licenses_licenseevent_change", args=[event.pk]),
    ]:
        html = staff_client.get(url).content.decode()
        assert "10/01/2026 11:05" in html, url  # Africa/Casablanca, UTC+1
        assert "2026-01-10T10:05:00+00:00" not in html, url

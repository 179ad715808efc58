"""Support statistics (support.stats), the staff page /support/stats/ and its CSV export.

Tickets are opened through the real service, then their stored times are set with
.update() (no clock library in the project): every expected figure is worked out by
hand from those times."""

import csv
import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone, translation

from support import stats
from support.models import Ticket

from .factories import make_support_staff, make_ticket

pytestmark = pytest.mark.django_db

S, C, P = Ticket.Status, Ticket.Category, Ticket.Priority
HOUR = timedelta(hours=1)


def ticket(
    *,
    created=None,
    answered_after=None,
    resolved_after=None,
    status=S.OPEN,
    category=C.GENERAL,
    priority=P.NORMAL,
) -> Ticket:
    """A ticket opened at `created` (now by default), first answered and resolved that
    long after it was opened."""
    t = make_ticket(category=category, priority=priority)
    created = created or timezone.now()
    fields = {"created_at": created, "status": status}
    if answered_after is not None:
        fields["first_response_at"] = created + answered_after
    if resolved_after is not None:
        fields["resolved_at"] = created + resolved_after
    if status == S.CLOSED:
        fields["closed_at"] = created + (resolved_after or HOUR)
    Ticket.objects.filter(pk=t.pk).update(**fields)
    return t


# --- ticket_stats ------------------------------------------------------------------


def test_without_tickets_every_key_is_there_with_zero_counts_and_no_averages():
    assert stats.ticket_stats() == {
        "total": 0,
        "by_status": {"open": 0, "in_progress": 0, "waiting": 0, "resolved": 0, "closed": 0},
        "by_category": {"general": 0, "technical": 0, "billing": 0, "feature": 0},
        "by_priority": {"low": 0, "normal": 0, "high": 0, "urgent": 0},
        "avg_first_response_seconds": None,
        "avg_resolution_seconds": None,
        "avg_resolution_time": None,
        "open_older_than_7_days": 0,
    }


def test_counts_list_every_choice_by_its_code():
    # given
    ticket(status=S.OPEN, category=C.BILLING, priority=P.HIGH)
    ticket(status=S.OPEN, category=C.BILLING, priority=P.URGENT)
    ticket(status=S.IN_PROGRESS, category=C.TECHNICAL, answered_after=HOUR)
    ticket(status=S.CLOSED, category=C.GENERAL, answered_after=HOUR, resolved_after=2 * HOUR)
    # when
    figures = stats.ticket_stats()
    # then
    assert figures["total"] == 4
    assert figures["by_status"] == {"open": 2, "in_progress": 1, "waiting": 0, "resolved": 0, "closed": 1}
    assert figures["by_category"] == {"general": 1, "technical": 1, "billing": 2, "feature": 0}
    assert figures["by_priority"] == {"low": 0, "normal": 2, "high": 1, "urgent": 1}
    assert list(figures) == [
        "total",
        "by_status",
        "by_category",
        "by_priority",
        "avg_first_response_seconds",
        "avg_resolution_seconds",
        "avg_resolution_time",
        "open_older_than_7_days",
    ]


def test_first_response_is_averaged_over_the_answered_tickets_only():
    # 1 h, 2 h and 6 h: (3600 + 7200 + 21600) / 3 = 10800 s; the unanswered one is left out.
    for hours in (1, 2, 6):
        ticket(status=S.IN_PROGRESS, answered_after=hours * HOUR)
    ticket(status=S.OPEN)
    figures = stats.ticket_stats()
    assert figures["avg_first_response_seconds"] == 10800.0
    assert figures["avg_resolution_seconds"] is None
    assert figures["avg_resolution_time"] is None


def test_resolution_is_averaged_over_the_tickets_with_a_resolution_time():
    # 4 h and 5 h: 4.5 h = 16200 s; a resolved-then-reopened ticket has no resolved_at.
    ticket(status=S.RESOLVED, answered_after=HOUR, resolved_after=4 * HOUR)
    ticket(status=S.CLOSED, answered_after=HOUR, resolved_after=5 * HOUR)
    ticket(status=S.OPEN, answered_after=HOUR)
    figures = stats.ticket_stats()
    assert figures["avg_resolution_seconds"] == 16200.0
    assert figures["avg_resolution_time"] == "4,5 heures"
    with translation.override("en"):
        assert stats.ticket_stats()["avg_resolution_time"] == "4.5 hours"


def test_averages_are_rounded_to_a_tenth_of_a_second():
    # 10 s and 10.25 s: 10.125 s, rounded to 10.1.
    ticket(status=S.IN_PROGRESS, answered_after=timedelta(seconds=10))
    ticket(status=S.IN_PROGRESS, answered_after=timedelta(seconds=10.25))
    assert stats.ticket_stats()["avg_first_response_seconds"] == 10.1


def test_open_older_than_7_days_counts_unfinished_tickets_strictly_older_than_a_week(monkeypatch):
    # given: the clock stopped at `now` for the computation
    now = timezone.now().replace(microsecond=0)
    week = timedelta(days=7)
    ticket(created=now - week, status=S.OPEN)  # exactly 7 days: not more than 7
    ticket(created=now - week - timedelta(seconds=1), status=S.OPEN)
    ticket(created=now - timedelta(days=10), status=S.WAITING, answered_after=HOUR)
    ticket(created=now - timedelta(days=30), status=S.IN_PROGRESS, answered_after=HOUR)
    ticket(created=now - timedelta(days=30), status=S.RESOLVED, resolved_after=HOUR)
    ticket(created=now - timedelta(days=30), status=S.CLOSED, resolved_after=HOUR)
    ticket(created=now - timedelta(days=1), status=S.OPEN)
    monkeypatch.setattr(timezone, "now", lambda: now)
    # when / then
    assert stats.ticket_stats()["open_older_than_7_days"] == 3
    backlog = {row["status"]: row for row in stats.backlog_by_status()}
    assert {s: (r["count"], r["older_than_7_days"]) for s, r in backlog.items()} == {
        "open": (3, 1),
        "in_progress": (1, 1),
        "waiting": (1, 1),
    }


def test_since_and_until_keep_the_tickets_opened_in_between():
    now = timezone.now()
    ticket(created=now - timedelta(days=40), status=S.RESOLVED, resolved_after=10 * HOUR)
    ticket(created=now - timedelta(days=20), status=S.RESOLVED, resolved_after=2 * HOUR)
    ticket(created=now - timedelta(days=2), status=S.OPEN)
    recent = stats.ticket_stats(since=now - timedelta(days=30))
    assert recent["total"] == 2 and recent["avg_resolution_seconds"] == 7200.0
    middle = stats.ticket_stats(since=now - timedelta(days=30), until=now - timedelta(days=10))
    assert middle["total"] == 1 and middle["by_status"]["resolved"] == 1
    # `until` is excluded, `since` included.
    created = Ticket.objects.order_by("created_at").first().created_at
    assert stats.ticket_stats(since=created, until=created + timedelta(microseconds=1))["total"] == 1
    assert stats.ticket_stats(until=created)["total"] == 0


# --- the human duration ------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "french", "english"),
    [
        (20, "moins d'une minute", "under a minute"),
        (60, "1 minute", "1 minute"),
        (45 * 60, "45 minutes", "45 minutes"),
        (59 * 60 + 29, "59 minutes", "59 minutes"),
        (3600, "1,0 heure", "1.0 hours"),
        (1.5 * 3600, "1,5 heure", "1.5 hours"),
        (16200, "4,5 heures", "4.5 hours"),
        (47.9 * 3600, "47,9 heures", "47.9 hours"),
        (48 * 3600, "2,0 jours", "2.0 days"),
        (3.2 * 86400, "3,2 jours", "3.2 days"),
        (None, None, None),
    ],
)
def test_duration_text_in_minutes_hours_or_days(seconds, french, english):
    assert stats.duration_text(seconds) == french
    with translation.override("en"):
        assert stats.duration_text(seconds) == english


# --- series ------------------------------------------------------------------------


def test_daily_by_category_is_zero_filled_and_counts_local_days(settings):
    # A site nine hours ahead of UTC: 00:30 there yesterday is the day before in UTC.
    settings.TIME_ZONE = "Asia/Tokyo"
    tokyo = ZoneInfo("Asia/Tokyo")
    today = timezone.now().astimezone(tokyo).date()
    yesterday = today - timedelta(days=1)
    ticket(created=datetime(yesterday.year, yesterday.month, yesterday.day, 0, 30, tzinfo=tokyo), category=C.BILLING)
    ticket(created=datetime(yesterday.year, yesterday.month, yesterday.day, 23, 30, tzinfo=tokyo), category=C.BILLING)
    ticket(created=datetime(yesterday.year, yesterday.month, yesterday.day, 12, 0, tzinfo=tokyo), category=C.FEATURE)
    ticket(created=timezone.now() - timedelta(days=8))  # outside 7 days
    days = stats.daily_by_category(days=7)
    assert [d["date"] for d in days] == [today - timedelta(days=n) for n in range(6, -1, -1)]
    by_date = {d["date"]: d for d in days}
    assert by_date[yesterday]["by_category"] == {"general": 0, "technical": 0, "billing": 2, "feature": 1}
    assert by_date[yesterday]["total"] == 3
    assert sum(d["total"] for d in days) == 3


def test_weekly_times_average_per_iso_week_of_creation_in_hours(settings):
    settings.TIME_ZONE = "Asia/Tokyo"
    tokyo = ZoneInfo("Asia/Tokyo")
    today = timezone.now().astimezone(tokyo).date()
    monday = today - timedelta(days=today.weekday())
    last_monday = monday - timedelta(days=7)
    # Last week's Sunday 23:00 in Tokyo (Sunday 14:00 UTC) belongs to last week.
    sunday = datetime(last_monday.year, last_monday.month, last_monday.day, 23, tzinfo=tokyo) + timedelta(days=6)
    ticket(created=sunday, status=S.RESOLVED, answered_after=HOUR, resolved_after=10 * HOUR)
    ticket(created=sunday - timedelta(days=1), status=S.RESOLVED, answered_after=2 * HOUR, resolved_after=20 * HOUR)
    ticket(created=sunday - timedelta(days=2), status=S.OPEN)
    weeks = stats.weekly_times(weeks=3)
    assert [w["week"] for w in weeks] == [monday - timedelta(days=14), last_monday, monday]
    year, number, _ = last_monday.isocalendar()
    assert weeks[1] == {
        "week": last_monday,
        "iso_week": f"{year}-W{number:02d}",
        "tickets": 3,
        "answered": 2,
        "first_response_hours": 1.5,
        "resolved": 2,
        "resolution_hours": 15.0,
    }
    assert weeks[0]["tickets"] == 0 and weeks[0]["first_response_hours"] is None
    assert weeks[0]["resolution_hours"] is None


def test_each_figure_is_one_query_whatever_the_number_of_tickets(django_assert_num_queries):
    for hours in range(1, 13):
        ticket(
            status=S.RESOLVED,
            category=C.values[hours % 4],
            created=timezone.now() - timedelta(days=hours),
            answered_after=hours * HOUR,
            resolved_after=2 * hours * HOUR,
        )
    with django_assert_num_queries(1):
        stats.ticket_stats(since=timezone.now() - timedelta(days=30))
    with django_assert_num_queries(1):
        stats.daily_by_category(days=90)
    with django_assert_num_queries(1):
        stats.weekly_times(weeks=13)
    with django_assert_num_queries(1):
        stats.backlog_by_status()


# --- the page ----------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    for url in ("/support/stats/", "/support/stats/export.csv"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == f"/compte/connexion/?next={url}"


def test_staff_without_the_permission_get_the_styled_403(client):
    client.force_login(make_support_staff("clerk", perms=()))
    for url in ("/support/stats/", "/support/stats/export.csv"):
        response = client.get(url)
        assert response.status_code == 403
        assert "Accès refusé" in response.content.decode()


def test_the_permission_without_staff_status_is_refused(client):
    user = make_support_staff("customer", perms=("view_ticket",))
    type(user).objects.filter(pk=user.pk).update(is_staff=False)
    client.force_login(user)
    assert client.get("/support/stats/").status_code == 403


@pytest.fixture
def agent_client(client):
    client.force_login(make_support_staff("viewer", perms=("view_ticket",)))
    return client


def test_the_page_shows_the_figures_charts_and_tables(agent_client):
    # given: 4,5 h to resolve, 3 h to answer, one billing ticket open for 10 days
    now = timezone.now()
    ticket(created=now - 5 * HOUR, status=S.RESOLVED, answered_after=HOUR, resolved_after=4 * HOUR)
    ticket(created=now - 6 * HOUR, status=S.CLOSED, answered_after=5 * HOUR, resolved_after=5 * HOUR)
    ticket(created=now - timedelta(days=10), status=S.OPEN, category=C.BILLING)
    # when
    response = agent_client.get("/support/stats/")
    # then
    assert response.status_code == 200
    html = response.content.decode()
    assert "Statistiques du support" in html
    assert "<strong>4,5 heures</strong>" in html  # resolution
    assert "<strong>3,0 heures</strong>" in html  # first response
    assert html.count('<svg viewBox="0 0 600 161"') == 3  # per day, two weekly charts
    assert 'aria-current="page">30 jours' in html
    assert "<details>" in html and 'class="cat-billing"' in html
    assert "Facturation" in html
    assert 'href="/support/stats/export.csv?jours=30"' in html


def test_the_page_in_english(agent_client):
    ticket(created=timezone.now() - 5 * HOUR, status=S.RESOLVED, resolved_after=4.5 * HOUR)
    agent_client.cookies["django_language"] = "en"
    html = agent_client.get("/support/stats/?jours=7").content.decode()
    assert "Support statistics" in html and "4.5 hours" in html
    assert 'aria-current="page">7 days' in html


def test_the_page_without_tickets_says_so(agent_client):
    html = agent_client.get("/support/stats/?jours=90").content.decode()
    assert "Aucun ticket sur la période." in html
    assert html.count("—") >= 2  # no average


def test_an_unknown_period_is_refused_with_the_choices(agent_client):
    for raw in ("13", "abc", "-7"):
        response = agent_client.get(f"/support/stats/?jours={raw}")
        assert response.status_code == 400
        assert "choisissez 7, 30 ou 90 jours." in response.content.decode()
    assert agent_client.get("/support/stats/export.csv?jours=13").status_code == 400


def test_the_page_costs_the_same_queries_whatever_the_number_of_tickets(agent_client, django_assert_num_queries):
    ticket(created=timezone.now() - HOUR, status=S.RESOLVED, answered_after=HOUR / 2, resolved_after=HOUR)
    agent_client.get("/support/stats/")  # the session and header caches warmed up
    # session, user, its permissions (user's and groups'), then the 4 figures' queries
    with django_assert_num_queries(8):
        agent_client.get("/support/stats/")
    for days in range(2, 40):
        ticket(created=timezone.now() - timedelta(days=days), status=S.OPEN, category=C.values[days % 4])
    with django_assert_num_queries(8):
        assert agent_client.get("/support/stats/?jours=90").status_code == 200


# --- CSV -----------------------------------------------------------------------------


def test_csv_has_a_row_per_day_and_category_then_the_weeks(agent_client, django_assert_num_queries):
    now = timezone.now()
    ticket(created=now, status=S.RESOLVED, category=C.TECHNICAL, answered_after=HOUR / 2, resolved_after=3.5 * HOUR)
    # session, user, its permissions (user's and groups'), the days, the weeks
    with django_assert_num_queries(6):
        response = agent_client.get("/support/stats/export.csv?jours=7")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="support-statistiques-7j-')
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeffkind;start;category;tickets;first_response_avg_hours;resolution_avg_hours\r\n")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff")), delimiter=";"))[1:]
    day_rows = [r for r in rows if r[0] == "day"]
    week_rows = [r for r in rows if r[0] == "week"]
    assert len(day_rows) == 7 * 4 and len(week_rows) == 12
    today = timezone.localdate().isoformat()
    assert ["day", today, "technical", "1", "", ""] in day_rows
    assert ["day", today, "billing", "0", "", ""] in day_rows
    assert week_rows[-1][3:] == ["1", "0,5", "3,5"]
    assert week_rows[0][3:] == ["0", "", ""]


def test_the_admin_home_links_the_page_and_its_export(client):
    agent = make_support_staff("boss", perms=("view_ticket",))
    client.force_login(agent)
    html = client.get("/admin/").content.decode()
    module = html.split('id="dashboards-module"', 1)[1].split("</table>", 1)[0]
    assert 'href="/support/stats/">Statistiques du support</a>' in module
    assert 'href="/support/stats/export.csv"' in module
    client.force_login(make_support_staff("nobody", perms=("change_ticket",)))
    assert "/support/stats/" not in client.get("/admin/").content.decode()

"""The support statistics page on a phone and on a desktop, in French and in English:
nothing wider than the screen, the charts drawn, their figures one click away."""

from datetime import timedelta

import pytest
from django.utils import timezone

from support.models import Ticket
from tests.support.factories import make_support_staff, make_ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _tickets():
    now = timezone.now()
    for n, category in enumerate(Ticket.Category.values * 3):
        ticket = make_ticket(category=category)
        created = now - timedelta(days=n, hours=3)
        Ticket.objects.filter(pk=ticket.pk).update(
            created_at=created,
            first_response_at=created + timedelta(hours=n + 1),
            resolved_at=created + timedelta(hours=10 * n + 2) if n % 2 else None,
            status=Ticket.Status.RESOLVED if n % 2 else Ticket.Status.IN_PROGRESS,
        )


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("width", [390, 1280])
def test_the_statistics_page_fits_and_draws_its_charts(new_context, live_server, language, width):
    _tickets()
    make_support_staff("viewer", perms=("view_ticket",))
    context = new_context(viewport={"width": width, "height": 900})
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page = context.new_page()
    page.goto("/admin/login/?next=/support/stats/")
    page.fill("#id_username", "viewer")
    page.fill("#id_password", "pw-agent-123")
    page.click("[type=submit]")
    page.wait_for_url("**/support/stats/")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    charts = page.locator("svg[role=img]")
    assert charts.count() == 3
    for index in range(3):
        box = charts.nth(index).bounding_box()
        assert box and box["width"] > 200 and box["height"] > 100
    assert page.locator(".stats-kpi").count() == 4
    first = page.locator(".stats-chart details").first
    first.locator("summary").click()
    assert first.locator("tbody tr").count() == 30
    # The table scrolls inside its box, the page does not.
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert context.server_errors == []

import html as htmllib

from core.models import OutboundMessage
from support.models import Ticket

from .factories import customer_reply, make_support_staff, make_ticket, staff_reply


def test_contact_to_reply_cycle(client, db, django_capture_on_commit_callbacks):
    agent = make_support_staff()
    with django_capture_on_commit_callbacks(execute=True):
        ticket = make_ticket()
    number = ticket.tracking.number
    assert number.startswith("TCK-")
    page = client.get(f"/tracking/{number}/")
    assert page.status_code == 200
    assert "j'attends depuis 10 jours" in htmllib.unescape(page.content.decode())
    with django_capture_on_commit_callbacks(execute=True):
        staff_reply(ticket, "Colis retrouvé.", author=agent)
        staff_reply(ticket, "Note secrète du dépôt", author=agent, internal=True)
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.IN_PROGRESS and ticket.first_response_at
    html = client.get(f"/tracking/{number}/").content.decode()
    assert "Colis retrouvé." in html and "Note secrète" not in html
    data = client.get(f"/api/tracking/{number}").json()
    assert [m["side"] for m in data["details"]["messages"]] == ["customer", "staff"]
    assert "Note secrète" not in str(data)
    with django_capture_on_commit_callbacks(execute=True):
        customer_reply(ticket)
        response = client.post(f"/tracking/{number}/messages/", {"body": "Encore une question"})
    assert response.status_code == 302
    assert ticket.messages.count() == 5
    assert not OutboundMessage.objects.filter(body__contains="Note secrète").exists()

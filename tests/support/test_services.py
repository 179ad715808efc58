"""Tickets' state machine, stored times, targets, the nightly closing and the questions
asked from other requests' tracking pages, through the real services."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from core.models import OutboundMessage
from support import services, targets
from support.errors import TICKET_CLOSED, TRANSITION_NOT_ALLOWED, TicketError
from support.models import Ticket
from support.tracking import TRANSITIONS
from tests.concurrency import run_at_once
from tests.factories import make_revision
from tracking.models import TrackingEvent

from .factories import customer_reply, make_support_staff, make_ticket, staff_reply

pytestmark = pytest.mark.django_db
S = Ticket.Status
CASABLANCA = ZoneInfo("Africa/Casablanca")


@pytest.fixture
def clock(monkeypatch):
    """timezone.now() under the test's control (services and auto_now fields read it)."""

    class Clock:
        now = datetime(2026, 3, 4, 10, 0, tzinfo=CASABLANCA)  # a Wednesday

        def advance(self, **delta):
            self.now += timedelta(**delta)

    clock = Clock()
    monkeypatch.setattr(timezone, "now", lambda: clock.now)
    return clock


def _in_status(status: str) -> Ticket:
    ticket = make_ticket()
    fields = {"status": status}
    if status == S.CLOSED:
        fields["closed_at"] = timezone.now()
    if status in (S.RESOLVED, S.CLOSED):
        fields["resolved_at"] = timezone.now()
    Ticket.objects.filter(pk=ticket.pk).update(**fields)
    return Ticket.objects.select_related("tracking").get(pk=ticket.pk)


PAIRS = [(a, b) for a in S.values for b in S.values if a != b]


@pytest.mark.parametrize(("from_status", "to_status"), PAIRS)
def test_every_transition_is_allowed_or_refused_by_the_one_map(from_status, to_status):
    ticket = _in_status(from_status)
    allowed = to_status in TRANSITIONS[from_status]
    if allowed:
        services.ticket_status_change(ticket=ticket, to_status=to_status)
        ticket.refresh_from_db()
        assert ticket.status == to_status
        row = TrackingEvent.objects.filter(item=ticket.tracking).last()
        assert (row.from_status, row.status) == (from_status, to_status)
    else:
        with pytest.raises(TicketError) as refused:
            services.ticket_status_change(ticket=ticket, to_status=to_status)
        assert refused.value.code == TRANSITION_NOT_ALLOWED
        assert refused.value.details["allowed"] == sorted(TRANSITIONS[from_status])
        ticket.refresh_from_db()
        assert ticket.status == from_status


def test_a_closed_ticket_is_final_and_every_other_can_be_closed():
    assert TRANSITIONS[S.CLOSED] == frozenset()
    assert all(S.CLOSED in TRANSITIONS[s] for s in S.values if s != S.CLOSED)


def test_times_are_stored_when_they_happen(clock):
    agent = make_support_staff()
    created = clock.now
    ticket = make_ticket()
    assert ticket.created_at == created and ticket.first_response_at is None
    clock.advance(hours=1)
    staff_reply(ticket, "Note", author=agent, internal=True)  # an internal note is no response
    ticket.refresh_from_db()
    assert ticket.first_response_at is None and ticket.status == S.OPEN
    clock.advance(hours=1)
    staff_reply(ticket, "Bonjour, nous regardons.", author=agent)
    ticket.refresh_from_db()
    assert ticket.first_response_at == created + timedelta(hours=2)
    assert ticket.status == S.IN_PROGRESS
    clock.advance(hours=3)
    staff_reply(ticket, "Encore nous.", author=agent)  # the first response stays the first
    services.ticket_status_change(ticket=ticket, to_status=S.RESOLVED)
    ticket.refresh_from_db()
    assert ticket.first_response_at == created + timedelta(hours=2)
    assert ticket.resolved_at == created + timedelta(hours=5)
    clock.advance(hours=1)
    customer_reply(ticket, "Non, ça ne marche pas.")  # reopens: the resolution is cancelled
    ticket.refresh_from_db()
    assert (ticket.status, ticket.resolved_at) == (S.OPEN, None)
    clock.advance(hours=2)
    services.ticket_status_change(ticket=ticket, to_status=S.RESOLVED)
    clock.advance(hours=1)
    services.ticket_status_change(ticket=ticket, to_status=S.CLOSED)
    ticket.refresh_from_db()
    assert ticket.resolved_at == created + timedelta(hours=8)
    assert ticket.closed_at == created + timedelta(hours=9)


def test_a_customer_reply_reopens_a_ticket_waiting_for_them():
    ticket = _in_status(S.WAITING)
    customer_reply(ticket)
    ticket.refresh_from_db()
    assert ticket.status == S.OPEN and ticket.last_message_side == Ticket.Side.CUSTOMER


def test_a_closed_ticket_refuses_replies_and_offers_a_linked_one():
    ticket = _in_status(S.CLOSED)
    with pytest.raises(TicketError) as refused:
        customer_reply(ticket)
    assert refused.value.code == TICKET_CLOSED and refused.value.details["follow_up"] is True
    follower = services.ticket_follow_up(ticket=ticket, message="Le problème revient.")
    assert follower.follows == ticket and follower.customer_email == ticket.customer_email
    assert follower.tracking.number != ticket.tracking.number
    assert ticket.tracking.number in follower.subject


def test_only_staff_write_internal_notes():
    ticket = make_ticket()
    with pytest.raises(TicketError):
        services.message_add(ticket=ticket, body="x", side=Ticket.Side.CUSTOMER, internal=True)


@pytest.mark.parametrize(
    ("priority", "start", "due"),
    [
        ("urgent", datetime(2026, 3, 6, 15, 0), datetime(2026, 3, 6, 16, 0)),  # Friday: hours of the clock
        ("high", datetime(2026, 3, 6, 22, 0), datetime(2026, 3, 7, 2, 0)),
        ("normal", datetime(2026, 3, 4, 10, 0), datetime(2026, 3, 5, 10, 0)),  # Wednesday → Thursday
        ("normal", datetime(2026, 3, 6, 15, 0), datetime(2026, 3, 9, 15, 0)),  # Friday → Monday
        ("normal", datetime(2026, 3, 7, 11, 0), datetime(2026, 3, 9, 11, 0)),  # Saturday → Monday
        ("low", datetime(2026, 3, 5, 9, 30), datetime(2026, 3, 10, 9, 30)),  # Thursday → Tuesday
    ],
)
def test_first_response_targets(priority, start, due):
    start, due = start.replace(tzinfo=CASABLANCA), due.replace(tzinfo=CASABLANCA)
    assert targets.first_response_due(start=start, priority=priority) == due


def test_targets_come_from_settings(settings):
    settings.SUPPORT_FIRST_RESPONSE_TARGETS = {**settings.SUPPORT_FIRST_RESPONSE_TARGETS, "urgent": "2h"}
    start = datetime(2026, 3, 4, 10, 0, tzinfo=CASABLANCA)
    assert targets.first_response_due(start=start, priority="urgent") == start + timedelta(hours=2)


def test_a_new_priority_moves_the_target_until_someone_answers(clock):
    ticket = make_ticket(priority="low")
    services.ticket_priority_set(ticket=ticket, priority="urgent")
    ticket.refresh_from_db()
    assert ticket.first_response_due_at == ticket.created_at + timedelta(hours=1)


def test_resolved_tickets_close_themselves_after_seven_days(clock, django_capture_on_commit_callbacks):
    old, recent, open_one = make_ticket(), make_ticket(), make_ticket()
    services.ticket_status_change(ticket=old, to_status=S.RESOLVED, notify=False)
    clock.advance(days=3)
    services.ticket_status_change(ticket=recent, to_status=S.RESOLVED, notify=False)
    clock.advance(days=4, seconds=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.close_resolved() == 1
    assert services.close_resolved() == 0  # idempotent
    states = dict(Ticket.objects.values_list("pk", "status"))
    assert (states[old.pk], states[recent.pk], states[open_one.pk]) == (S.CLOSED, S.RESOLVED, S.OPEN)
    old.refresh_from_db()
    assert old.closed_at == clock.now
    assert OutboundMessage.objects.filter(to=old.customer_email, subject__contains="Fermé").count() == 1


def test_assigning_leaves_a_staff_only_history_row():
    agent = make_support_staff()
    ticket = make_ticket()
    services.ticket_assign(ticket=ticket, assignee=agent)
    ticket.refresh_from_db()
    assert ticket.assignee == agent
    row = TrackingEvent.objects.filter(item=ticket.tracking).last()
    assert row.internal and agent.username in row.note


def test_only_support_staff_can_be_assigned(django_user_model):
    outsider = django_user_model.objects.create_user(username="client", email="c@example.com")
    with pytest.raises(TicketError):
        services.ticket_assign(ticket=make_ticket(), assignee=outsider)


def test_questions_on_a_revision_page_make_one_ticket_about_it():
    revision = make_revision()
    item = revision.tracking
    customer = services.Customer(name=revision.client_name, email=revision.client_email)
    first = services.tracking_question(item=item, customer=customer, body="Quand est-ce prêt ?")
    second = services.tracking_question(item=item, customer=customer, body="Et le prix ?")
    ticket = first.ticket
    assert second.ticket == ticket
    assert ticket.related_item == item and ticket.category == Ticket.Category.GENERAL
    assert ticket.customer_email == revision.client_email
    services.ticket_status_change(ticket=ticket, to_status=S.CLOSED)
    third = services.tracking_question(item=item, customer=customer, body="Une autre question")
    assert third.ticket != ticket and third.ticket.follows == ticket


@pytest.mark.django_db(transaction=True)
def test_two_first_questions_at_once_make_one_ticket():
    revision = make_revision()
    customer = services.Customer(name=revision.client_name, email=revision.client_email)

    def ask():
        return services.tracking_question(item=revision.tracking, customer=customer, body="Question ?")

    outcomes = run_at_once(ask, ask, ask)
    assert all(not isinstance(o, Exception) for o in outcomes), outcomes
    assert Ticket.objects.filter(related_item=revision.tracking).count() == 1
    assert Ticket.objects.get().messages.count() == 3


@pytest.mark.django_db(transaction=True)
def test_a_reply_and_a_close_at_once_never_leave_a_reply_on_a_closed_ticket():
    ticket = _in_status(S.RESOLVED)

    outcomes = run_at_once(
        lambda: customer_reply(Ticket.objects.get(pk=ticket.pk)),
        lambda: services.ticket_status_change(ticket=Ticket.objects.get(pk=ticket.pk), to_status=S.CLOSED),
    )
    ticket.refresh_from_db()
    reply_ok = not isinstance(outcomes[0], Exception)
    close_ok = not isinstance(outcomes[1], Exception)
    assert close_ok or reply_ok
    if ticket.status == S.CLOSED:
        last = ticket.messages.order_by("-created_at").first()
        # Either the reply came first (and reopened it before it was closed), or it was refused.
        assert reply_ok is False or last.created_at <= ticket.closed_at
    else:
        assert ticket.status == S.OPEN and isinstance(outcomes[1], TicketError)

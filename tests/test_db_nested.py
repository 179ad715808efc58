"""core.db.NestedRows: the rows of a related table carried in one JSON column of the outer
statement, read back exactly as the ORM reads them; and the tracking lookup built on it,
which answers exactly as the plain ORM queries do (issue 8)."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import NotSupportedError, connection, models
from django.db.models import OuterRef
from django.utils import translation

from core.db import NestedRows, _loader
from core.origin import SYSTEM
from revisions.models import Revision
from revisions.services import revision_media_add
from support.services import message_add
from tracking.models import TrackedItem, TrackingEvent
from tracking.selectors import tracking_lookup
from tracking.services import event_record, status_transition

from .factories import make_quoted_revision, make_rental, make_revision
from .support.factories import make_ticket
from .test_revision_media import photo_upload

pytestmark = pytest.mark.django_db


def _nested(queryset, outer_pk: int, **kwargs):
    nested = NestedRows(queryset, **kwargs)
    value = TrackedItem.objects.filter(pk=outer_pk).annotate(_rows=nested).values_list("_rows", flat=True).get()
    return nested, value


def _same_as_the_orm(built, expected) -> None:
    assert len(built) == len(expected)
    for one, other in zip(built, expected, strict=True):
        for field in type(other)._meta.concrete_fields:
            mine, theirs = getattr(one, field.attname), getattr(other, field.attname)
            assert mine == theirs and type(mine) is type(theirs), (field.name, mine, theirs)
            if isinstance(theirs, Decimal):  # the scale too: "150000.00", not "150000.0"
                assert str(mine) == str(theirs)


def test_every_field_comes_back_as_the_orm_reads_it():
    revision = make_quoted_revision(amount=Decimal("150000.50"))
    # an instant without microseconds (written "…:00+00:00" in JSON) and one with
    seen = event_record(obj=revision, note="Vu")
    TrackingEvent.objects.filter(pk=seen.pk).update(ip="196.1.2.3", at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    item = revision.tracking

    nested, value = _nested(Revision.objects.filter(tracking_id=OuterRef("pk")), item.pk)
    _same_as_the_orm(nested.objects(value), [Revision.objects.get(pk=revision.pk)])

    events = TrackingEvent.objects.filter(item_id=OuterRef("pk")).order_by("at", "pk")
    nested, value = _nested(events, item.pk)
    expected = list(TrackingEvent.objects.filter(item=item).order_by("at", "pk"))
    assert len(expected) >= 3 and any(e.note_params for e in expected) and any(e.ip for e in expected)
    _same_as_the_orm(nested.objects(value), expected)


def test_the_order_of_the_queryset_is_kept():
    revision = make_revision()
    early = datetime(2020, 5, 1, tzinfo=UTC)
    # written last, dated first: the order is the queryset's (at), not the insertion's
    TrackingEvent.objects.filter(pk=event_record(obj=revision, note="Plus tôt").pk).update(at=early)
    nested, value = _nested(
        TrackingEvent.objects.filter(item_id=OuterRef("pk")).order_by("at", "pk"), revision.tracking_id
    )
    notes = [e.note for e in nested.objects(value)]
    assert notes[0] == "Plus tôt" and len(notes) == 2
    nested, value = _nested(TrackingEvent.objects.filter(item_id=OuterRef("pk")).order_by("-pk"), revision.tracking_id)
    assert [e.note for e in nested.objects(value)][-1] != "Plus tôt"


def test_no_rows_and_a_subset_of_fields():
    revision = make_revision()
    nested, value = _nested(TrackingEvent.objects.filter(item_id=OuterRef("pk"), internal=True), revision.tracking_id)
    assert value == [] and nested.objects(value) == [] and nested.rows(None) == []
    nested, value = _nested(
        TrackingEvent.objects.filter(item_id=OuterRef("pk")), revision.tracking_id, fields=("status", "at")
    )
    ((status, at),) = nested.rows(value)  # in the order asked for
    assert at == revision.tracking.events.get().at and status == revision.status
    with pytest.raises(ValueError, match="unknown fields"):
        NestedRows(TrackingEvent.objects.all(), fields=("status", "nope"))


def test_a_field_json_cannot_carry_is_refused_when_the_query_is_built():
    with pytest.raises(NotSupportedError, match="BinaryField"):
        _loader(models.BinaryField(name="blob"))


def _orm_view(number: str, monkeypatch):
    # The lookup's other branch (the demo's SQLite): prefetch_related and plain querysets.
    with monkeypatch.context() as patched:
        patched.setattr(connection, "vendor", "orm")
        return tracking_lookup(raw_number=number)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_lookup_answers_as_the_plain_orm_queries_do(monkeypatch, language):
    photographed = make_quoted_revision()
    for label in ("after", "diagnostic"):
        revision_media_add(
            revision=photographed, file=photo_upload(size=(40, 30)), label=label, caption="Vue", origin=SYSTEM
        )
    cancelled = make_revision()
    status_transition(obj=cancelled, to_status="annule", note="Annulé, appelez le 77 123 45 67")
    ticket = make_ticket()
    message_add(ticket=ticket, body="Merci", side=ticket.Side.STAFF)
    numbers = [
        photographed.tracking.number,
        cancelled.tracking.number,
        make_rental().tracking.number,
        ticket.tracking.number,
    ]
    with translation.override(language):
        for number in numbers:
            one_statement, plain = tracking_lookup(raw_number=number), _orm_view(number, monkeypatch)
            assert one_statement.as_json() == plain.as_json()
            assert [h.at for h in one_statement.history] == [h.at for h in plain.history]
    assert len(tracking_lookup(raw_number=numbers[0]).details["media"]) == 2


def test_notes_render_in_each_language_with_their_plural_forms():
    from tracking.notes import render

    def note(language, key, **params):
        with translation.override(language):
            return render(key=key, params=params)

    for _ in range(2):
        assert note("fr", "revision.received") == "Demande de révision reçue."
        assert note("en", "revision.received") == "Service request received."
        one = note("fr", "rental.hold_expired", hours=1)
        many = note("en", "rental.hold_expired", hours=48)
        assert "sous 1 heure\u00a0:" in one and "within 48 hours" in many

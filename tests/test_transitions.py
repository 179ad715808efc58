import itertools

import pytest

from rentals.models import Rental
from rentals.tracking import TRANSITIONS as LOC_TRANSITIONS
from revisions.models import Revision
from revisions.tracking import TRANSITIONS as REV_TRANSITIONS
from tracking.models import TrackingEvent
from tracking.services import TransitionError, status_transition

from .factories import make_rental, make_revision

REV_ALLOWED = {
    ("en_attente", "devis_envoye"),
    ("en_attente", "annule"),
    ("devis_envoye", "devis_envoye"),
    ("devis_envoye", "devis_accepte"),
    ("devis_envoye", "devis_refuse"),
    ("devis_envoye", "annule"),
    ("devis_accepte", "en_cours"),
    ("devis_accepte", "annule"),
    ("devis_refuse", "devis_envoye"),
    ("devis_refuse", "annule"),
    ("en_cours", "termine"),
    ("en_cours", "annule"),
}
LOC_ALLOWED = {
    ("en_attente", "confirmee"),
    ("en_attente", "annulee"),
    ("en_attente", "expiree"),
    ("confirmee", "en_cours"),
    ("confirmee", "annulee"),
    ("en_cours", "terminee"),
    ("en_cours", "annulee"),
}


def test_revision_transition_map_is_the_documented_one():
    actual = {(a, b) for a, targets in REV_TRANSITIONS.items() for b in targets}
    assert actual == REV_ALLOWED


def test_rental_transition_map_is_the_documented_one():
    actual = {(a, b) for a, targets in LOC_TRANSITIONS.items() for b in targets}
    assert actual == LOC_ALLOWED


def _force_status(obj, status):
    type(obj).objects.filter(pk=obj.pk).update(status=status)
    obj.status = status


@pytest.mark.django_db
@pytest.mark.parametrize("from_status,to_status", list(itertools.product(Revision.Status.values, repeat=2)))
def test_every_revision_transition_is_allowed_or_refused(from_status, to_status):
    revision = make_revision()
    _force_status(revision, from_status)
    events_before = TrackingEvent.objects.count()
    if (from_status, to_status) in REV_ALLOWED:
        status_transition(obj=revision, to_status=to_status, note="ok")
        revision.refresh_from_db()
        assert revision.status == to_status
        event = TrackingEvent.objects.latest("pk")
        assert (event.from_status, event.status) == (from_status, to_status)
    else:
        with pytest.raises(TransitionError):
            status_transition(obj=revision, to_status=to_status)
        revision.refresh_from_db()
        assert revision.status == from_status
        assert TrackingEvent.objects.count() == events_before


@pytest.mark.django_db
@pytest.mark.parametrize("from_status,to_status", list(itertools.product(Rental.Status.values, repeat=2)))
def test_every_rental_transition_is_allowed_or_refused(from_status, to_status):
    rental = make_rental()
    _force_status(rental, from_status)
    if (from_status, to_status) in LOC_ALLOWED:
        status_transition(obj=rental, to_status=to_status)
        rental.refresh_from_db()
        assert rental.status == to_status
    else:
        with pytest.raises(TransitionError):
            status_transition(obj=rental, to_status=to_status)
        rental.refresh_from_db()
        assert rental.status == from_status


@pytest.mark.django_db
def test_a_stale_instance_cannot_overwrite_a_concurrent_change():
    revision = make_revision()
    stale = Revision.objects.get(pk=revision.pk)
    status_transition(obj=revision, to_status="annule")
    with pytest.raises(TransitionError):
        status_transition(obj=stale, to_status="devis_envoye")
    assert Revision.objects.get(pk=revision.pk).status == "annule"

"""How revisions appear in unified tracking (registered from RevisionsConfig.ready)."""

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.masking import mask_contacts
from core.money import Money
from tracking.registry import Customer, Step, TrackedService
from tracking.selectors import mask_middle, public_name

from .models import Revision, RevisionMedia

S = Revision.Status
OPEN = {S.EN_ATTENTE, S.DEVIS_ENVOYE, S.DEVIS_ACCEPTE, S.DEVIS_REFUSE, S.EN_COURS}

TRANSITIONS: dict[str, frozenset[str]] = {
    S.EN_ATTENTE: frozenset({S.DEVIS_ENVOYE, S.ANNULE}),
    # A quote can be revised (sent again) until the customer answers.
    S.DEVIS_ENVOYE: frozenset({S.DEVIS_ENVOYE, S.DEVIS_ACCEPTE, S.DEVIS_REFUSE, S.ANNULE}),
    S.DEVIS_ACCEPTE: frozenset({S.EN_COURS, S.ANNULE}),
    # After a refusal the workshop may send a new quote.
    S.DEVIS_REFUSE: frozenset({S.DEVIS_ENVOYE, S.ANNULE}),
    S.EN_COURS: frozenset({S.TERMINE, S.ANNULE}),
    S.TERMINE: frozenset(),
    S.ANNULE: frozenset(),
}


def check_transitions(transitions: dict[str, frozenset[str]]) -> None:
    """Every open revision can be cancelled (the workshop can always stop a job it will
    not do). Run when the app registers, so a broken map stops the start-up even under
    `python -O`, which strips asserts."""
    stuck = sorted(s for s in OPEN if S.ANNULE not in transitions.get(s, frozenset()))
    if stuck:
        raise ImproperlyConfigured(f"Revision statuses that cannot be cancelled: {', '.join(stuck)}")


STEPS = (
    Step("recu", _("Reçu"), frozenset({S.EN_ATTENTE})),
    # "Devis", not "Validé": nothing is validated until the customer agrees. The key stays
    # (it is part of the public JSON).
    Step("valide", _("Devis"), frozenset({S.DEVIS_ENVOYE, S.DEVIS_ACCEPTE, S.DEVIS_REFUSE})),
    Step("en_cours", _("En cours"), frozenset({S.EN_COURS})),
    Step("termine", _("Terminé"), frozenset({S.TERMINE})),
)


def _media_note(message) -> Callable[[dict], str]:
    """A note about a photo or video, params {"kind", "label", "caption"}: the kind and
    label in the reader's language, then the caption as typed."""

    def render(params: dict) -> str:
        text = message % {
            "kind": RevisionMedia.Kind(params["kind"]).label,
            "label": RevisionMedia.Label(params["label"]).label,
        }
        return f"{text} · {params['caption']}" if params.get("caption") else text

    return render


# History notes, by key (tracking.notes): each reader sees them in their language.
NOTES = {
    "revision.received": _("Demande de révision reçue."),
    "revision.quote_sent": _("Diagnostic effectué, devis envoyé : %(amount)s"),
    "revision.quote_accepted": _("Devis accepté par le client."),
    "revision.quote_declined": _("Devis refusé par le client."),
    # Staff-only rows (internal): photos and videos added, relabelled, removed. Photo and
    # vidéo are both feminine: one message for both.
    "revision.media_added": _media_note(_("%(kind)s ajoutée (%(label)s)")),
    "revision.media_changed": _media_note(_("%(kind)s modifiée (%(label)s)")),
    "revision.media_removed": _media_note(_("%(kind)s supprimée (%(label)s)")),
}


# The public page groups photos and videos in this order.
MEDIA_LABEL_ORDER = {label: i for i, label in enumerate(RevisionMedia.Label.values)}


def media_public(rev: Revision) -> list[dict]:
    """The revision's photos and videos as anyone holding the number sees them, grouped
    by label (diagnostic, before, after, other), in the order staff added them: one
    query, whatever their number. Served by revisions.views.media_file, never /media/."""
    number = rev.tracking.number
    found = sorted(rev.media.all(), key=lambda m: (MEDIA_LABEL_ORDER.get(m.label, 99), m.position, m.pk))
    return [
        {
            "id": m.pk,
            "kind": m.kind,
            "label": m.label,
            "label_text": str(m.get_label_display()),
            "caption": mask_contacts(m.caption),
            "url": reverse("revision-media:file", args=[number, m.pk]),
            "thumbnail_url": reverse("revision-media:thumbnail", args=[number, m.pk]) if m.thumbnail else None,
            "content_type": m.content_type,
            "width": m.width,
            "height": m.height,
        }
        for m in found
    ]


def details(rev: Revision) -> dict:
    # Anyone holding the number reads these: contact details typed into free text
    # (by the customer or by staff) are masked.
    return {
        "client": public_name(rev.client_name),
        "vehicle": {
            "make": mask_contacts(rev.vehicle_make),
            "model": mask_contacts(rev.vehicle_model),
            "year": rev.vehicle_year,
            "mileage": rev.mileage,
            "plate": mask_middle(rev.vehicle_plate),
        },
        "problem": mask_contacts(rev.problem_description),
        "preferred_date": rev.preferred_date.isoformat() if rev.preferred_date else None,
        "diagnostic": mask_contacts(rev.diagnostic) or None,
        "interventions": mask_contacts(rev.planned_interventions) or None,
        "parts": mask_contacts(rev.needed_parts) or None,
        "quote_sent_at": rev.quote_sent_at.isoformat() if rev.quote_sent_at else None,
        "quote_valid_until": rev.quote_valid_until.isoformat() if rev.quote_valid_until else None,
        "can_decide_quote": rev.status == S.DEVIS_ENVOYE and not rev.quote_expired,
        "media": media_public(rev),
    }


def expected_delay(rev: Revision) -> str:
    days = settings.REVISION_RESPONSE_DAYS
    return ngettext(
        "Notre atelier vous envoie un diagnostic et un devis sous %(days)s jour ouvré, par e-mail et SMS.",
        "Notre atelier vous envoie un diagnostic et un devis sous %(days)s jours ouvrés, par e-mail et SMS.",
        days,
    ) % {"days": days}


def changes_at(rev: Revision):
    """A waiting quote stops being acceptable at its validity date."""
    if rev.status == S.DEVIS_ENVOYE and not rev.quote_expired:
        return rev.quote_valid_until
    return None


def customer(rev: Revision) -> Customer:
    return Customer(name=rev.client_name, email=rev.client_email, phone=rev.client_phone)


def quote(rev: Revision) -> Money | None:
    if rev.quote_amount is None or rev.quote_sent_at is None:
        return None
    return Money(rev.quote_amount, rev.quote_currency)


SERVICE = TrackedService(
    prefix="REV",
    label=_("Révision mécanique"),
    model=Revision,
    template="revisions/_tracking.html",
    status_choices=Revision.Status,
    transitions=TRANSITIONS,
    steps=STEPS,
    details=details,
    quote=quote,
    status_email="revisions/email/status",
    customer=customer,
    customer_email_field="client_email",
    notes=NOTES,
    request_url="revisions:request",
    description=_("Décrivez le problème, recevez un diagnostic et un devis, acceptez-le en ligne."),
    expected_delay=expected_delay,
    changes_at=changes_at,
    # The photos and videos, in the lookup's round trip.
    prefetch=("media",),
)

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.money import Money, quantize
from core.notify import notify_email, notify_sms, tracking_url
from core.origin import SYSTEM, Origin
from tracking.services import status_change, status_transition, tracked_fields_update, tracked_item_allocate

from .models import Revision

S = Revision.Status


@transaction.atomic
def revision_create(
    *,
    client_name: str,
    client_email: str,
    client_phone: str,
    vehicle_make: str,
    vehicle_model: str,
    vehicle_year: int,
    vehicle_plate: str,
    mileage: int,
    problem_description: str,
    preferred_date: date | None,
    origin: Origin = SYSTEM,
) -> Revision:
    item = tracked_item_allocate(
        prefix="REV", initial_status=S.EN_ATTENTE, note=_("Demande de révision reçue."), origin=origin
    )
    revision = Revision(
        tracking=item,
        client_name=client_name.strip(),
        client_email=client_email.strip().lower(),
        client_phone=client_phone.strip(),
        vehicle_make=vehicle_make.strip(),
        vehicle_model=vehicle_model.strip(),
        vehicle_year=vehicle_year,
        vehicle_plate=vehicle_plate.strip().upper(),
        mileage=mileage,
        problem_description=problem_description.strip(),
        preferred_date=preferred_date,
    )
    revision.full_clean()
    revision.save()
    notify_email(
        key=f"revision:{revision.pk}:created:email",
        to=revision.client_email,
        template="revisions/email/created",
        context={"revision": revision, "number": item.number, "url": tracking_url(item.number)},
    )
    return revision


@transaction.atomic
def revision_quote_send(
    *,
    revision: Revision,
    diagnostic: str,
    amount: Decimal,
    currency: str = "XOF",
    interventions: str = "",
    parts: str = "",
    notify: bool,
    origin: Origin = SYSTEM,
) -> Revision:
    """Staff validates the diagnostic and sends the quote (status → devis_envoye)."""
    errors = {}
    if not (diagnostic or "").strip():
        errors["diagnostic"] = _("Le diagnostic technique est obligatoire.")
    if amount is None or amount <= 0:
        errors["amount"] = _("Le montant du devis doit être supérieur à zéro.")
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    quote = Money(quantize(amount), currency)
    event = status_transition(
        obj=revision,
        to_status=S.DEVIS_ENVOYE,
        note=_("Diagnostic effectué, devis envoyé : %(amount)s") % {"amount": quote},
        origin=origin,
        fields={
            "diagnostic": diagnostic.strip(),
            "planned_interventions": (interventions or "").strip(),
            "needed_parts": (parts or "").strip(),
            "quote_amount": quote.amount,
            "quote_currency": currency,
            "diagnostic_at": now,
            "quote_sent_at": now,
            "quote_decided_at": None,
        },
    )
    if notify:
        number = revision.tracking.number
        context = {"revision": revision, "number": number, "quote": quote, "url": tracking_url(number)}
        # Keyed on the history row: a re-sent quote is a new message, a retried task is not.
        notify_email(
            key=f"revision:event:{event.pk}:email",
            to=revision.client_email,
            template="revisions/email/quote",
            context=context,
        )
        notify_sms(
            key=f"revision:event:{event.pk}:sms",
            to=revision.client_phone,
            template="revisions/email/quote",
            context=context,
        )
    return revision


@transaction.atomic
def revision_quote_decide(*, revision: Revision, accept: bool, origin: Origin) -> Revision:
    """The customer accepts or declines the quote from the tracking page."""
    # Lock the row so two clicks (accept then decline) are applied one after the other:
    # the second then fails the transition check instead of overwriting the first.
    revision = Revision.objects.select_for_update().select_related("tracking").get(pk=revision.pk)
    to_status = S.DEVIS_ACCEPTE if accept else S.DEVIS_REFUSE
    note = _("Devis accepté par le client.") if accept else _("Devis refusé par le client.")
    status_transition(
        obj=revision, to_status=to_status, note=note, origin=origin, fields={"quote_decided_at": timezone.now()}
    )
    return revision


@transaction.atomic
def revision_status_change(
    *, revision: Revision, to_status: str, note: str = "", notify: bool = False, origin: Origin = SYSTEM
) -> Revision:
    """Staff moves a revision along (en cours, terminé, annulé)."""
    if to_status == S.DEVIS_ENVOYE:
        raise ValidationError(_("Utilisez « Valider le devis » pour envoyer un devis."))
    status_change(obj=revision, to_status=to_status, note=note, notify=notify, origin=origin)
    return revision


# What staff may correct on a request from the admin change form; the diagnostic and
# quote go through revision_quote_send, the status through revision_status_change.
REVISION_EDITABLE = frozenset(
    {
        "client_name",
        "client_email",
        "client_phone",
        "vehicle_make",
        "vehicle_model",
        "vehicle_year",
        "vehicle_plate",
        "mileage",
        "problem_description",
        "preferred_date",
    }
)


def revision_update(*, revision: Revision, changes: dict, origin: Origin) -> Revision:
    """Staff correct a request's customer or vehicle fields; the change is audited."""
    unknown = set(changes) - REVISION_EDITABLE
    if unknown:
        # A programming error (the admin form lists the editable fields), not a user's.
        raise ValueError(f"Not editable here: {', '.join(sorted(unknown))}")
    cleaned = {name: value.strip() if isinstance(value, str) else value for name, value in changes.items()}
    if "client_email" in cleaned:
        cleaned["client_email"] = cleaned["client_email"].lower()
    if "vehicle_plate" in cleaned:
        cleaned["vehicle_plate"] = cleaned["vehicle_plate"].upper()
    tracked_fields_update(obj=revision, changes=cleaned, origin=origin)
    return revision

"""Demo revisions, one per interesting status. Identified by their e-mail address so
that re-running the seed finds them instead of creating new ones."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from core.origin import SYSTEM

from .models import Revision
from .quote_links import quote_link_url, quote_token
from .services import revision_create, revision_quote_decide, revision_quote_send, revision_status_change

QUOTE_EMAIL = "demo.rev.quote@example.com"

DEMO = [
    (
        QUOTE_EMAIL,
        "Aminata Diallo",
        "+221771234567",
        "Toyota",
        "Corolla",
        2020,
        "DK-2045-AB",
        45000,
        "Bruit anormal au niveau du moteur au démarrage.",
        "quote",
    ),
    (
        "demo.rev.new@example.com",
        "Youssef El Amrani",
        "+212612345678",
        "Dacia",
        "Logan",
        2017,
        "12345-A-6",
        132000,
        "Voyant moteur allumé et perte de puissance.",
        "new",
    ),
    (
        "demo.rev.progress@example.com",
        "Claire Martin",
        "+33612345678",
        "Peugeot",
        "208",
        2019,
        "AB-123-CD",
        61000,
        "Freins qui grincent, révision des 60 000 km.",
        "progress",
    ),
]


def seed() -> list[str]:
    numbers = []
    for email, name, phone, make, model, year, plate, km, problem, stage in DEMO:
        revision = Revision.objects.select_related("tracking").filter(client_email=email).first()
        if revision is None:
            revision = revision_create(
                client_name=name,
                client_email=email,
                client_phone=phone,
                vehicle_make=make,
                vehicle_model=model,
                vehicle_year=year,
                vehicle_plate=plate,
                mileage=km,
                problem_description=problem,
                preferred_date=timezone.localdate() + timedelta(days=3),
            )
            if stage in {"quote", "progress"}:
                revision = revision_quote_send(
                    revision=revision,
                    diagnostic="Courroie de distribution usée, tendeur fatigué."
                    if stage == "quote"
                    else "Plaquettes avant usées à 90 %, disques dans les tolérances.",
                    amount=Decimal("150000") if stage == "quote" else Decimal("85000"),
                    interventions="Remplacement courroie de distribution\nVidange"
                    if stage == "quote"
                    else "Remplacement plaquettes avant",
                    parts="Courroie de distribution\nFiltre à huile" if stage == "quote" else "Plaquettes avant",
                    notify=True,
                )
            if stage == "progress":
                # As the customer does: with the signed link the quote e-mail carries.
                revision = revision_quote_decide(
                    revision=revision,
                    accept=True,
                    token=quote_token(revision=revision),
                    quote_version=revision.quote_version,
                    origin=SYSTEM,
                )
                revision_status_change(
                    revision=revision, to_status=Revision.Status.EN_COURS, note="Véhicule pris en charge à l'atelier."
                )
        numbers.append(revision.tracking.number)
    return numbers


def notes() -> list[str]:
    """What seed_demo prints for a person trying the demo: the tracking number alone
    only shows the quote, answering it needs the signed link its e-mail carries."""
    revision = (
        Revision.objects.select_related("tracking")
        .filter(client_email=QUOTE_EMAIL, status=Revision.Status.DEVIS_ENVOYE)
        .first()
    )
    if revision is None:
        return []
    return [f"Quote to accept or decline ({revision.tracking.number}): {quote_link_url(revision=revision)}"]

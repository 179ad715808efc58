"""Demo revisions, one per interesting status. Identified by their e-mail address so
that re-running the seed finds them instead of creating new ones (except the quote to
accept, made again once answered)."""

from datetime import timedelta
from decimal import Decimal
from io import BytesIO
from pathlib import Path

import reportlab
from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageDraw, ImageFont

from core.origin import SYSTEM
from core.seeding import DemoItem, DemoSeed

from .models import Revision, RevisionMedia
from .quote_links import quote_link_url, quote_token
from .services import (
    revision_create,
    revision_media_add,
    revision_quote_decide,
    revision_quote_send,
    revision_status_change,
)
from .tracking import SERVICE

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


def _create(email, name, phone, make, model, year, plate, km, problem, stage) -> Revision:
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
            else "Plaquettes avant usées à 90 %, disques dans les tolérances.",
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
    return revision


# The work in progress has its pictures, drawn here (no file ships with the demo).
DEMO_PHOTOS = [
    (RevisionMedia.Label.DIAGNOSTIC, "Diagnostic — plaquettes usées", "#b42318"),
    (RevisionMedia.Label.BEFORE, "Avant intervention — disque avant", "#7a5a00"),
    (RevisionMedia.Label.AFTER, "Après intervention — plaquettes neuves", "#127a43"),
]


def _font(size: int) -> ImageFont.FreeTypeFont:
    # Bitstream Vera, which ReportLab ships (Pillow's own default font has no accents).
    return ImageFont.truetype(str(Path(reportlab.__file__).parent / "fonts" / "VeraBd.ttf"), size)


def _photo(text: str, colour: str) -> ContentFile:
    """A 1200 × 900 picture: a brake disc, roughly, and the caption on two lines."""
    image = Image.new("RGB", (1200, 900), colour)
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((60, 60, 1140, 840), radius=40, outline="white", width=8)
    draw.ellipse((450, 170, 750, 470), outline="white", width=24)
    draw.ellipse((560, 280, 640, 360), fill="white")
    for line, size, top in zip(text.split(" — "), (72, 52), (560, 670), strict=False):
        font = _font(size)
        draw.text(((1200 - draw.textlength(line, font=font)) / 2, top), line, fill="white", font=font)
    out = BytesIO()
    image.save(out, "JPEG", quality=85)
    return ContentFile(out.getvalue(), name="demo.jpg")


def _add_photos(revision: Revision) -> None:
    if revision.media.exists():  # seeded before: nothing again
        return
    for label, text, colour in DEMO_PHOTOS:
        revision_media_add(revision=revision, file=_photo(text, colour), label=label, caption=text, origin=SYSTEM)


def _existing(email: str, stage: str) -> Revision | None:
    found = Revision.objects.select_related("tracking").filter(client_email=email).order_by("-pk")
    if stage == "quote":
        # The quote to accept is used up once someone answers it (or it expires): a new
        # run makes a fresh one, so the demo always has a quote waiting.
        found = found.filter(status=Revision.Status.DEVIS_ENVOYE, quote_sent_at__gt=_validity_cutoff())
    return found.first()


def _validity_cutoff():
    return timezone.now() - timedelta(days=settings.REVISION_QUOTE_VALIDITY_DAYS)


HINTS = {
    "quote": _("devis à accepter : ouvrez le lien ci-dessous"),
    "new": _("demande reçue : envoyez son devis dans l'admin (Révisions → Valider le devis)"),
    "progress": _("travaux en cours, avec leurs photos : terminez-les dans l'admin (Changer le statut)"),
}


def seed() -> DemoSeed:
    result = DemoSeed()
    for row in DEMO:
        email, stage = row[0], row[-1]
        revision = _existing(email, stage) or _create(*row)
        if stage == "progress":
            _add_photos(revision)
        result.items.append(
            DemoItem(
                number=revision.tracking.number,
                service=str(SERVICE.label),
                state=revision.get_status_display(),
                hint=str(HINTS[stage]),
            )
        )
        if stage == "quote":
            # The number alone only shows the quote: answering it needs the signed link
            # its e-mail carries.
            result.notes.append(
                _("Lien du devis à accepter (%(number)s) : %(link)s")
                % {"number": revision.tracking.number, "link": quote_link_url(revision=revision)}
            )
    return result

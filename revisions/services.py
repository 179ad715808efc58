import logging
import secrets
import uuid
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Max
from django.utils import formats, timezone
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from PIL import Image

from core import uploads
from core.errors import DomainError
from core.money import Money, quantize
from core.notify import notify_email, notify_sms, text_lines, tracking_url
from core.origin import SYSTEM, Origin
from tracking.notes import Note
from tracking.services import (
    event_record,
    status_change,
    status_transition,
    tracked_fields_update,
    tracked_item_allocate,
)

from .models import Revision, RevisionMedia
from .quote_links import quote_link_url, quote_link_version
from .tracking import expected_delay

S = Revision.Status
logger = logging.getLogger(__name__)


class RevisionError(DomainError):
    """A customer's quote decision or link request that the revision refuses."""

    QUOTE_LINK_INVALID = "QUOTE_LINK_INVALID"  # tampered, malformed, another revision's
    QUOTE_LINK_EXPIRED = "QUOTE_LINK_EXPIRED"
    QUOTE_LINK_OUTDATED = "QUOTE_LINK_OUTDATED"  # genuine, but not for the version answered
    QUOTE_OUTDATED = "QUOTE_OUTDATED"  # staff sent a new quote since the customer saw it
    QUOTE_NOT_PENDING = "QUOTE_NOT_PENDING"
    QUOTE_EXPIRED = "QUOTE_EXPIRED"  # past its validity date: staff send a new one


def _lock(revision: Revision) -> None:
    """Lock the revision's row (not its tracking item's) and re-read it into the caller's instance."""
    revision.refresh_from_db(from_queryset=Revision.objects.select_for_update(of=("self",)).select_related("tracking"))


def _quote_notify(*, revision: Revision, key: str) -> None:
    """The quote by e-mail and SMS, with the signed link that lets the customer answer it,
    in the language the customer made the request in."""
    number, language = revision.tracking.number, revision.tracking.language
    context = {
        "revision": revision,
        "number": number,
        "quote": Money(revision.quote_amount, revision.quote_currency),
        # Staff type one intervention or part per line: the e-mail lists them as bullets.
        "interventions": text_lines(revision.planned_interventions),
        "parts": text_lines(revision.needed_parts),
        "url": tracking_url(number),
        "link": quote_link_url(revision=revision),
        "link_days": settings.REVISION_QUOTE_LINK_DAYS,
    }
    notify_email(
        key=f"{key}:email",
        to=revision.client_email,
        template="revisions/email/quote",
        context=context,
        language=language,
    )
    notify_sms(
        key=f"{key}:sms", to=revision.client_phone, template="revisions/email/quote", context=context, language=language
    )


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
        prefix="REV", initial_status=S.EN_ATTENTE, note=Note("revision.received"), origin=origin
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
        context={
            "revision": revision,
            "number": item.number,
            "url": tracking_url(item.number),
            # Rendered in the customer's language, as the rest of the e-mail.
            "expected_delay": lazy(expected_delay, str)(revision),
        },
        language=item.language,
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
    """Staff validates the diagnostic and sends the quote (status → devis_envoye) as a
    new version: links and forms showing an earlier version can no longer answer it."""
    errors = {}
    if not (diagnostic or "").strip():
        errors["diagnostic"] = _("Le diagnostic technique est obligatoire.")
    if amount is None or amount <= 0:
        errors["amount"] = _("Le montant du devis doit être supérieur à zéro.")
    if errors:
        raise ValidationError(errors)
    # Same lock as the customer's decision: a decision and a re-sent quote are applied
    # one after the other, so a customer never accepts an amount replaced meanwhile.
    _lock(revision)
    now = timezone.now()
    quote = Money(quantize(amount), currency)
    event = status_transition(
        obj=revision,
        to_status=S.DEVIS_ENVOYE,
        note=Note("revision.quote_sent", {"amount": quote}),
        origin=origin,
        fields={
            "diagnostic": diagnostic.strip(),
            "planned_interventions": (interventions or "").strip(),
            "needed_parts": (parts or "").strip(),
            "quote_amount": quote.amount,
            "quote_currency": currency,
            "quote_version": revision.quote_version + 1,
            "diagnostic_at": now,
            "quote_sent_at": now,
            "quote_decided_at": None,
        },
    )
    if notify:
        # Keyed on the history row: a re-sent quote is a new message, a retried task is not.
        _quote_notify(revision=revision, key=f"revision:event:{event.pk}")
    return revision


def _link_version(*, revision: Revision, token: str) -> int:
    """The quote version the signed link was sent for; RevisionError when it is not a
    live link of this revision."""
    try:
        return quote_link_version(token=token, revision=revision)
    except signing.SignatureExpired:
        raise RevisionError(
            RevisionError.QUOTE_LINK_EXPIRED, _("Ce lien a expiré. Demandez un nouveau lien ci-dessous.")
        ) from None
    except signing.BadSignature:
        raise RevisionError(
            RevisionError.QUOTE_LINK_INVALID, _("Ce lien n'est pas valide. Demandez un nouveau lien ci-dessous.")
        ) from None


def revision_quote_link_check(*, revision: Revision, token: str, quote_version: int) -> None:
    """Raise RevisionError unless `token` is this revision's signed link for
    `quote_version` (the proof that the customer received the quote, see
    `quote_links`). Reads only: revision_quote_decide checks again under its lock;
    the tracking page calls it before showing the accept confirmation step."""
    link_version = _link_version(revision=revision, token=token)
    # A version the revision never sent is a forged or foreign token, not an old link.
    if link_version > revision.quote_version:
        raise RevisionError(
            RevisionError.QUOTE_LINK_INVALID, _("Ce lien n'est pas valide. Demandez un nouveau lien ci-dessous.")
        )
    if link_version != quote_version:
        raise RevisionError(
            RevisionError.QUOTE_LINK_OUTDATED,
            _("Ce lien concerne une version précédente du devis. Rien n'a été enregistré."),
        )


@transaction.atomic
def revision_quote_decide(
    *, revision: Revision, accept: bool, token: str, quote_version: int, origin: Origin
) -> Revision:
    """The customer accepts or declines the version of the quote they were shown,
    proving they received it with the signed link's `token` (every door: the tracking
    page today, an API or admin tomorrow, answers only with that proof)."""
    # Lock the row so two clicks (accept then decline), or a decision and a re-sent
    # quote, are applied one after the other: the second then fails the version or the
    # pending check instead of overwriting the first. The versions are compared only
    # under the lock, against the row as it is now.
    _lock(revision)
    revision_quote_link_check(revision=revision, token=token, quote_version=quote_version)
    if revision.quote_version != quote_version:
        raise RevisionError(
            RevisionError.QUOTE_OUTDATED,
            _(
                "Le devis a été modifié depuis que vous l'avez ouvert : voici le nouveau devis. "
                "Rien n'a été enregistré."
            ),
            details={"quote_version": revision.quote_version},
        )
    revision_quote_require_pending(revision=revision)
    to_status = S.DEVIS_ACCEPTE if accept else S.DEVIS_REFUSE
    note = Note("revision.quote_accepted" if accept else "revision.quote_declined")
    status_transition(
        obj=revision, to_status=to_status, note=note, origin=origin, fields={"quote_decided_at": timezone.now()}
    )
    return revision


def revision_quote_require_pending(*, revision: Revision) -> None:
    """Raise RevisionError unless the quote waits for the customer's answer ("Renvoyer
    le lien" checks it before counting, so a press on an answered quote costs nothing)."""
    if revision.status != S.DEVIS_ENVOYE:
        raise RevisionError(RevisionError.QUOTE_NOT_PENDING, _("Ce devis n'attend plus de réponse."))
    if revision.quote_expired:
        raise RevisionError(
            RevisionError.QUOTE_EXPIRED,
            _("Ce devis n'est plus valable depuis le %(date)s : contactez l'atelier pour un nouveau devis.")
            % {"date": formats.date_format(timezone.localtime(revision.quote_valid_until), "d/m/Y")},
        )


def revision_quote_link_send(*, revision: Revision) -> None:
    """Send the pending quote's link again, to the e-mail address and phone on file
    (a customer who lost it or let it expire; the page never shows where it goes)."""
    revision_quote_require_pending(revision=revision)
    # Every request is a new message (the caller limits how often).
    _quote_notify(revision=revision, key=f"revision:{revision.pk}:quote-link:{uuid.uuid4().hex}")


@transaction.atomic
def revision_status_change(
    *, revision: Revision, to_status: str, note: str = "", notify: bool = False, origin: Origin = SYSTEM
) -> Revision:
    """Staff moves a revision along (en cours, terminé, annulé)."""
    if to_status == S.DEVIS_ENVOYE:
        raise ValidationError(_("Utilisez « Valider le devis » pour envoyer un devis."))
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
    cleaned = dict(changes)
    if "client_email" in cleaned:
        cleaned["client_email"] = cleaned["client_email"].strip().lower()
    if "vehicle_plate" in cleaned:
        cleaned["vehicle_plate"] = cleaned["vehicle_plate"].strip().upper()
    tracked_fields_update(obj=revision, changes=cleaned, editable=REVISION_EDITABLE, origin=origin)
    return revision


# --- Photos and videos -------------------------------------------------------------

IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})
VIDEO_TYPES = frozenset({"video/mp4", "video/webm"})
MEDIA_TYPES = IMAGE_TYPES | VIDEO_TYPES
THUMBNAIL_SIDE = 480


def _media_note(key: str, media: RevisionMedia) -> Note:
    return Note(key, {"kind": media.kind, "label": media.label, "caption": media.caption})


def _media_locked(media: RevisionMedia):
    rows = RevisionMedia.objects.select_for_update(of=("self",)).select_related("revision__tracking")
    return rows.filter(pk=media.pk)


def _files_delete(*names: str) -> None:
    """Remove stored files; a file already gone, or a storage that fails, is logged:
    the row is what the page shows, an orphan file only costs space."""
    for name in names:
        if not name:
            continue
        try:
            default_storage.delete(name)
        except Exception:  # any storage backend's error
            logger.exception("revision media file not deleted: %s", name)


def revision_media_add(
    *, revision: Revision, file: File, label: str, caption: str = "", origin: Origin
) -> RevisionMedia:
    """Attach a photo or a video to `revision`, decided by its content (core.uploads):
    a JPEG, PNG or WebP photo (REVISION_MEDIA_IMAGE_MAX_BYTES) is stored re-encoded at
    REVISION_MEDIA_IMAGE_MAX_SIDE without its metadata (GPS position...), with a
    thumbnail; an MP4 or WebM video (REVISION_MEDIA_VIDEO_MAX_BYTES) is stored as sent;
    anything else is refused (UploadRefused). Leaves a staff-only history row; the
    tracking page and JSON show it once committed."""
    sniffed = uploads.sniff(file)
    if sniffed in IMAGE_TYPES:
        max_bytes = settings.REVISION_MEDIA_IMAGE_MAX_BYTES
    else:  # a video, or a file refused below for its type
        max_bytes = settings.REVISION_MEDIA_VIDEO_MAX_BYTES
    content_type = uploads.check(file, allowed=MEDIA_TYPES, max_bytes=max_bytes)
    if label not in RevisionMedia.Label.values:
        raise ValidationError({"label": _("Étiquette inconnue.")})
    media = RevisionMedia(revision=revision, label=label, caption=(caption or "").strip(), uploaded_by=origin.actor)

    # The slow part (decoding, encoding, writing files) before the transaction, so that
    # no row lock waits on it; the files are removed again if the row is not saved.
    if content_type in IMAGE_TYPES:
        web = uploads.image_sanitize(file, max_side=settings.REVISION_MEDIA_IMAGE_MAX_SIDE)
        thumbnail = uploads.image_sanitize(web, max_side=THUMBNAIL_SIDE, quality=80)
        media.kind = RevisionMedia.Kind.PHOTO
        media.content_type = uploads.sniff(web)
        media.size = web.size
        with Image.open(web) as decoded:  # the header only
            media.width, media.height = decoded.size
        stored = [(media.file, web.name, web), (media.thumbnail, thumbnail.name, thumbnail)]
    else:
        media.kind = RevisionMedia.Kind.VIDEO
        media.content_type = content_type
        media.size = file.size
        file.seek(0)
        stored = [(media.file, f"{secrets.token_urlsafe(16)}.{uploads.EXTENSIONS[content_type]}", file)]
    try:
        for field_file, name, content in stored:
            field_file.save(name, content, save=False)
        with transaction.atomic():
            # Two uploads at once may take the same position: the order then falls back
            # on the id, which is the order they were saved in.
            last = revision.media.aggregate(last=Max("position"))["last"]
            media.position = 0 if last is None else last + 1
            media.full_clean()
            media.save()
            # The history row also drops the cached page and JSON, after commit.
            event_record(obj=revision, note=_media_note("revision.media_added", media), origin=origin, internal=True)
    except BaseException:
        _files_delete(media.file.name, media.thumbnail.name)
        raise
    return media


@transaction.atomic
def revision_media_update(*, media: RevisionMedia, label: str, caption: str, origin: Origin) -> RevisionMedia:
    """Staff correct a photo's or video's label or caption (its file never changes)."""
    current = _media_locked(media).get()
    caption = (caption or "").strip()
    if (current.label, current.caption) == (label, caption):
        return current
    current.label, current.caption = label, caption
    current.full_clean()
    current.save(update_fields=["label", "caption"])
    event_record(
        obj=current.revision, note=_media_note("revision.media_changed", current), origin=origin, internal=True
    )
    return current


def revision_media_delete(*, media: RevisionMedia, origin: Origin) -> None:
    """Remove a photo or video and its files (once the removal is committed: a rollback
    keeps both)."""
    with transaction.atomic():
        current = _media_locked(media).first()
        if current is None:  # removed meanwhile (two tabs, a double click)
            return
        names = (current.file.name, current.thumbnail.name)
        current.delete()
        event_record(
            obj=current.revision, note=_media_note("revision.media_removed", current), origin=origin, internal=True
        )
        transaction.on_commit(lambda: _files_delete(*names))

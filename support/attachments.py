"""Files joined to a message: images and PDF, checked by their content (core.uploads),
images re-encoded without their EXIF/GPS data, stored under random names through
Django's storage and served only to those who may read the ticket (support.views)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import File
from django.core.files.uploadedfile import UploadedFile
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from core import uploads

from .errors import INVALID_REQUEST, TicketError
from .models import Attachment, Message

ALLOWED = frozenset({"image/jpeg", "image/png", "image/webp", "application/pdf"})


@dataclass(frozen=True)
class Checked:
    file: UploadedFile
    content_type: str


def check_all(files: Sequence[UploadedFile]) -> list[Checked]:
    """Every file's type by content and size, before anything is written: one refused
    file refuses the message (the customer fixes it, nothing half-stored)."""
    files = [f for f in files if f]
    if len(files) > settings.SUPPORT_ATTACHMENT_MAX_FILES:
        raise TicketError(
            INVALID_REQUEST,
            _("%(max)s fichiers au plus par message.") % {"max": settings.SUPPORT_ATTACHMENT_MAX_FILES},
            details={"field": "files"},
        )
    return [
        Checked(file=f, content_type=uploads.check(f, allowed=ALLOWED, max_bytes=settings.SUPPORT_ATTACHMENT_MAX_BYTES))
        for f in files
    ]


def display_name(name: str, content_type: str) -> str:
    """The name shown: the customer's, made safe, with the extension of what it really is."""
    stem = get_valid_filename(os.path.splitext(os.path.basename(name or ""))[0])[:80] or "fichier"
    return f"{stem}.{uploads.EXTENSIONS[content_type]}"


def store_all(*, message: Message, files: Sequence[Checked]) -> list[Attachment]:
    stored = []
    for checked in files:
        if checked.content_type.startswith("image/"):
            content = uploads.image_sanitize(checked.file, max_side=settings.SUPPORT_IMAGE_MAX_SIDE)
            content_type = uploads.sniff(content) or checked.content_type
        else:
            checked.file.seek(0)
            content, content_type = File(checked.file), checked.content_type
            content.name = f"{uuid.uuid4().hex}.{uploads.EXTENSIONS[content_type]}"
        attachment = Attachment(
            message=message,
            name=display_name(checked.file.name, content_type),
            content_type=content_type,
            size=content.size,
        )
        attachment.file.save(content.name, content, save=False)
        attachment.save()
        stored.append(attachment)
    return stored

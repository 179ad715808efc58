"""The one check of files people upload (revision photos and videos, later ticket
attachments): the type is decided by the content, never by the name or the browser's
Content-Type, and images are decoded and written again, which drops whatever the
camera or the phone put in them (EXIF, GPS position, XMP) and anything hidden after
the picture.

    content_type = check(file, allowed=frozenset({"image/jpeg", "image/png"}), max_bytes=10 * 2**20)
    clean = image_sanitize(file, max_side=1600)  # a ContentFile with a fresh random name

Refusals are UploadRefused, with a code and a French message that names the limit.
"""

from __future__ import annotations

import secrets
from io import BytesIO

from django.core.files.base import ContentFile
from django.utils import formats
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import DomainError

# Enough for every signature below (the WebM DocType sits within the first 40 bytes).
SNIFF_BYTES = 64

# Decoded, an image takes width × height × 4 bytes: 50 megapixels is 200 MB, the most one
# upload may make a worker hold (a 12 MP phone photo is 12; Pillow's own default bound,
# Image.MAX_IMAGE_PIXELS, is 89). A tiny file can claim a huge size (a decompression bomb):
# the size is read from the header and refused before any pixel is decoded.
MAX_PIXELS = 50_000_000

# Pillow reads dozens of formats; only these are ever opened (a smaller attack surface).
_PILLOW_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}

NAMES = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/webp": "WebP",
    "application/pdf": "PDF",
    "video/mp4": "MP4",
    "video/webm": "WebM",
}
EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "application/pdf": "pdf",
    "video/mp4": "mp4",
    "video/webm": "webm",
}
# What image_sanitize writes, by the extension it gives.
SANITIZED_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}

# ISO BMFF brands of still images (HEIF/HEIC, AVIF): an `ftyp` box, but not a video.
_IMAGE_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"avif", b"avis"}


class UploadRefused(DomainError):
    """An uploaded file that is too large, of a type not accepted, or an image that
    cannot be decoded."""

    FILE_TOO_LARGE = "FILE_TOO_LARGE"
    FILE_TYPE_REFUSED = "FILE_TYPE_REFUSED"
    IMAGE_UNREADABLE = "IMAGE_UNREADABLE"


def sniff(file) -> str | None:
    """The MIME type of `file` decided by its first bytes (its name and the browser's
    Content-Type are never looked at): image/jpeg, image/png, image/webp,
    application/pdf, video/mp4, video/webm, or None. The file's position is restored."""
    position = file.tell()
    try:
        file.seek(0)
        head = file.read(SNIFF_BYTES)
    finally:
        file.seek(position)
    if isinstance(head, str):  # a file opened in text mode has no signature we accept
        return None
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head[4:8] == b"ftyp" and int.from_bytes(head[:4], "big") >= 16:
        # MP4, M4V, QuickTime's .mov of phones (Chrome, Firefox and Safari play those
        # as MP4): every ISO base media file but the still images.
        return None if head[8:12] in _IMAGE_BRANDS else "video/mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        # EBML is Matroska's container too: only its "webm" document type plays in browsers.
        return "video/webm" if b"\x42\x82\x84webm" in head else None
    return None


def _size(file) -> int:
    size = getattr(file, "size", None)
    if size is not None:
        return size
    position = file.tell()
    try:
        return file.seek(0, 2)
    finally:
        file.seek(position)


def _megabytes(max_bytes: int) -> str:
    """'10 Mo', '2,5 Mo', '500 Ko' (the reader's number format, a no-break space before the unit)."""
    if max_bytes < 2**20:
        return _("%(size)s Ko") % {"size": formats.number_format(round(max_bytes / 1024))}
    value = round(max_bytes / 2**20, 1)
    shown = formats.number_format(value, decimal_pos=0 if value == int(value) else 1)
    return _("%(size)s Mo") % {"size": shown}


def _names(types) -> str:
    return ", ".join(sorted(NAMES.get(t, t) for t in types))


def check(file, *, allowed: frozenset[str], max_bytes: int) -> str:
    """The type of `file` decided by its content (sniff) if it is one of `allowed` and
    the file is at most `max_bytes` long; else UploadRefused (FILE_TOO_LARGE,
    FILE_TYPE_REFUSED)."""
    size = _size(file)
    if size > max_bytes:
        raise UploadRefused(
            UploadRefused.FILE_TOO_LARGE,
            _("Fichier trop volumineux : %(limit)s au plus.") % {"limit": _megabytes(max_bytes)},
            details={"size": size, "max_bytes": max_bytes},
        )
    content_type = sniff(file)
    if content_type not in allowed:
        raise UploadRefused(
            UploadRefused.FILE_TYPE_REFUSED,
            _("Type de fichier non accepté (formats acceptés : %(types)s).") % {"types": _names(allowed)},
            details={"detected": content_type, "allowed": sorted(allowed)},
        )
    return content_type


def _unreadable() -> UploadRefused:
    return UploadRefused(UploadRefused.IMAGE_UNREADABLE, _("Image illisible ou endommagée."))


def image_sanitize(file, *, max_side: int, quality: int = 85) -> ContentFile:
    """`file` (a JPEG, PNG or WebP image) decoded and encoded again: turned upright as
    its EXIF orientation says, its longest side at most `max_side` pixels, and without
    any metadata (EXIF, GPS, XMP, comments; only the colour profile is kept, so colours
    do not shift). JPEG unless the image has transparency (PNG and WebP then keep their
    format and their alpha). A ContentFile with a fresh random name and the right
    extension; UploadRefused when the file is not such an image or cannot be decoded."""
    content_type = sniff(file)
    if content_type not in _PILLOW_FORMATS:
        raise UploadRefused(
            UploadRefused.FILE_TYPE_REFUSED,
            _("Type de fichier non accepté (formats acceptés : %(types)s).") % {"types": _names(_PILLOW_FORMATS)},
            details={"detected": content_type, "allowed": sorted(_PILLOW_FORMATS)},
        )
    file.seek(0)
    try:
        # Opening reads the header only: the pixel count is known before any decoding.
        image = Image.open(file, formats=[_PILLOW_FORMATS[content_type]])
        limit = min(MAX_PIXELS, Image.MAX_IMAGE_PIXELS or MAX_PIXELS)
        if image.width * image.height > limit:
            raise Image.DecompressionBombError(f"{image.width}x{image.height}")
        if image.format == "JPEG":
            # Decode straight at a reduced scale (1/2, 1/4, 1/8) when the photo is far
            # larger than needed: faster, and a fraction of the memory.
            image.draft("RGB", (max_side, max_side))
        image.load()  # a truncated or corrupt file fails here
        icc_profile = image.info.get("icc_profile")
        image = ImageOps.exif_transpose(image)
    except Image.DecompressionBombError:
        raise UploadRefused(
            UploadRefused.FILE_TOO_LARGE,
            _("Image trop grande : %(megapixels)s mégapixels au plus.") % {"megapixels": MAX_PIXELS // 1_000_000},
            details={"max_pixels": MAX_PIXELS},
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise _unreadable() from None

    alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    keep_alpha = alpha and content_type in ("image/png", "image/webp")
    image = image.convert("RGBA" if keep_alpha else "RGB")
    image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    # Nothing of the original's metadata travels with the pixels: the encoders below
    # only write what they are given.
    image.info = {}
    out = BytesIO()
    extra = {"icc_profile": icc_profile} if icc_profile else {}
    if keep_alpha and content_type == "image/webp":
        image.save(out, "WEBP", quality=quality, method=4, **extra)
        result_type = "image/webp"
    elif keep_alpha:
        image.save(out, "PNG", optimize=True, **extra)
        result_type = "image/png"
    else:
        image.save(out, "JPEG", quality=quality, optimize=True, progressive=True, **extra)
        result_type = "image/jpeg"
    return ContentFile(out.getvalue(), name=f"{secrets.token_urlsafe(16)}.{EXTENSIONS[result_type]}")
